/**
 * The window and pace of the Chatwoot send cap (sendBudget.ts), in a module without imports, so that
 * pure code (the plan's estimate, the budget share) follows the same constants as the pacer.
 *
 * Chatwoot counts a request when it arrives (Rack::Attack, config/initializers/rack_attack.rb), and
 * the sender cannot see that moment, only that it lies between the send and the answer. So the cap
 * counts each request from its send until SEND_WINDOW_MS after its answer (or for as long as none has
 * come): whatever the network or a busy server does to arrival times, no 1,000 ms at Chatwoot then
 * holds more than the cap (the proof is in sendBudget.ts). Until 2026-11-29 the cap counted sends over
 * 1,100 ms instead, a guard that paced at 91% of the budget and was still not a proof.
 */
export const SEND_WINDOW_MS = 1000;
/**
 * How late a request may still reach Chatwoot after a worker lowered its cap: the budget share's
 * join hold and raise delay (budgetShare.ts) wait this long past a window, for requests sent under the
 * old cap. The bench measured arrivals up to 60 ms after their send (BENCHMARKS.md, "The send guard").
 */
export const SEND_GUARD_MS = 100;
/**
 * A request's answer time the plan's estimate assumes: the cap's window lasts until 1,000 ms after the
 * answer, so a sender reaches SEND_WINDOW_MS / (SEND_WINDOW_MS + answer time) of its cap.
 */
export const TYPICAL_ANSWER_MS = 50;
/** The share of its cap a sender reaches when each answer takes `answerMs`. */
export function budgetShareAt(answerMs: number): number {
  return SEND_WINDOW_MS / (SEND_WINDOW_MS + Math.max(0, answerMs));
}
/** The share of the budget the plan's estimate expects the pacer to use, answers not measured. */
export const EXPECTED_BUDGET_SHARE = budgetShareAt(TYPICAL_ANSWER_MS);

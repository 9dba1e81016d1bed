/**
 * The window and pace of the Chatwoot send cap (sendBudget.ts), in a module without imports, so that
 * pure code (the plan's estimate) follows the same constants as the pacer.
 *
 * The cap holds over 1,000 ms plus a guard: requests do not reach Chatwoot after exactly the same
 * delay (a busy network, a server that reads its sockets late), and a second over budget at the
 * sender must not become one at Chatwoot. The sandbox, sharing two cores with the test, read some
 * requests 20 ms late at the 99th percentile; a 1,000 ms cap alone let 17 or 18 arrive within one
 * second of a 16/s budget (test/budget-workers.integration.test.ts). With a 50 ms guard the bench
 * (its sandboxes share a process with the bench itself, which stalled up to 115 ms) still saw 53
 * arrive within one second of a 50/s budget on 2026-11-28; a steady pace absorbs as much lateness as
 * the guard is long, so 100 ms, at the cost of pacing at 91% of the budget instead of 95%.
 */
export const SEND_GUARD_MS = 100;
export const SEND_WINDOW_MS = 1000 + SEND_GUARD_MS;
/** Even pacing at the rate the guarded cap allows, so that the cap rarely has to stop a burst. */
export const PACING_SHARE = 1000 / SEND_WINDOW_MS;

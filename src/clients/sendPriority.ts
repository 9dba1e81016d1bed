/**
 * Which waiting Chatwoot request the pacer (sendBudget.ts) lets out first. A conversation's messages
 * go one after the other (Chatwoot orders them by arrival), so a conversation of 500 messages needs
 * 500 round trips whatever the budget: at 40 ms, 20 s. In a FIFO pacer it gets one release in every
 * "requests waiting", a twentieth of the budget with twenty conversations in flight, and the bench
 * (issue 15, realistic profile) spent its last 18 s posting it alone at half the budget. Letting the
 * request of the conversation with the most requests still to send out first (longest remaining
 * first: the critical path) keeps it moving at its round-trip pace from the start while the others
 * fill the rest of the budget. Only the order changes: the cap on sends is the pacer's, untouched.
 *
 * The priority travels with the activity's async context (AsyncLocalStorage), so the clients'
 * signatures stay as they are; requests made outside withSendPriority have priority 0.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SendPriority {
  /** Requests this piece of work still has to send; higher goes first. */
  remaining: number;
}

const current = new AsyncLocalStorage<SendPriority>();

/** Runs `work` with a priority it updates as it goes (the same object the pacer reads at each send). */
export function withSendPriority<T>(work: (priority: SendPriority) => Promise<T>): Promise<T> {
  const priority: SendPriority = { remaining: 0 };
  return current.run(priority, () => work(priority));
}

/** The priority of the request being sent now: its work's remaining requests, 0 outside any. */
export function currentSendPriority(): number {
  return current.getStore()?.remaining ?? 0;
}

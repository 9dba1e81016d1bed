/**
 * The pacer's order (clients/sendPriority.ts, sendBudget.ts): the request of the work with the most
 * requests left goes first, equals in arrival order, a request that waited PRIORITY_WAIT_LIMIT_MS
 * before any; the cap on send times is the same whatever the order.
 */
import assert from 'node:assert/strict';
import { PRIORITY_WAIT_LIMIT_MS, type SendAllowance, SendScheduler } from '../src/clients/sendBudget.js';
import { currentSendPriority, withSendPriority } from '../src/clients/sendPriority.js';

/**
 * A scheduler on a virtual clock: each of its sleeps advances the clock by what it asked. Every
 * request is answered the moment it is released, so a place is held for `windowMs` from its send.
 */
function virtualScheduler(allowance: () => SendAllowance, windowMs?: number) {
  const clock = { now: 0 };
  const pacer = new SendScheduler(allowance, {
    windowMs,
    now: () => clock.now,
    sleep: (ms) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          clock.now += ms;
          resolve();
        }),
      ),
  });
  const scheduler = {
    take: (priority?: number) => pacer.take(priority).then((ticket) => ticket.answered()),
  };
  return { clock, scheduler };
}

/** Lets every queued microtask and immediate run: the pump releases what it may now. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('send priority: which waiting request the pacer lets out first', () => {
  it('releases the highest priority first and equals in the order they asked', async () => {
    // One send in 100 ms: the first goes at once, the others wait (well under the age limit).
    const { scheduler } = virtualScheduler(() => ({ perWindow: 1, perSecond: 10 }), 100);
    const order: string[] = [];
    const ask = (name: string, priority: number) => scheduler.take(priority).then(() => order.push(name));
    const all = [ask('first', 0), ask('a0', 0), ask('b5', 5), ask('c1', 1), ask('d5', 5), ask('e0', 0)];
    await Promise.all(all);
    assert.deepEqual(order, ['first', 'b5', 'd5', 'c1', 'a0', 'e0']);
  });

  it('lets a request that has waited the limit out before any priority', async () => {
    const { clock, scheduler } = virtualScheduler(() => ({ perWindow: 1, perSecond: 1 }));
    const order: [string, number][] = [];
    const ask = (name: string, priority: number) =>
      scheduler.take(priority).then(() => order.push([name, clock.now]));
    const waiting = [ask('first', 0), ask('low', 0)];
    // High-priority requests keep arriving, one per release: without the limit "low" would wait for all.
    const high: Promise<number>[] = [];
    for (let i = 0; i < 6; i++) {
      high.push(ask(`high${i}`, 100));
      await settle();
    }
    await Promise.all([...waiting, ...high]);
    const low = order.find(([name]) => name === 'low') as [string, number];
    assert.ok(low[1] >= PRIORITY_WAIT_LIMIT_MS, `released at ${low[1]} ms`);
    // Released in the first window after it had waited the limit, not after every high one.
    assert.ok(low[1] < PRIORITY_WAIT_LIMIT_MS + 1100, `released at ${low[1]} ms`);
    assert.notEqual(order.at(-1)?.[0], 'low');
  });

  it('reads the priority of the work a request is sent for, and 0 outside any', async () => {
    assert.equal(currentSendPriority(), 0);
    const seen = await withSendPriority(async (priority) => {
      priority.remaining = 7;
      await settle();
      const inside = currentSendPriority();
      priority.remaining = 2;
      return [inside, currentSendPriority()];
    });
    assert.deepEqual(seen, [7, 2]);
    assert.equal(currentSendPriority(), 0);
    // take() without an argument uses it: the high-priority work's request overtakes earlier ones.
    const { scheduler } = virtualScheduler(() => ({ perWindow: 1, perSecond: 10 }), 100);
    const order: string[] = [];
    const plain = [0, 1, 2].map((i) => scheduler.take().then(() => order.push(`plain${i}`)));
    const urgent = withSendPriority(async (priority) => {
      priority.remaining = 50;
      await scheduler.take();
      order.push('urgent');
    });
    await Promise.all([...plain, urgent]);
    assert.deepEqual(order, ['plain0', 'urgent', 'plain1', 'plain2']);
  });
});

/**
 * The Chatwoot budget on the client side: the hard cap on send times (no 1,000 ms window over the
 * allowance, whatever the timers do), and each worker's share of the budget from the pollers Temporal
 * reports, through joins, departures and a server that forgot its pollers.
 */
import assert from 'node:assert/strict';
import {
  BACKLOG_FOR_NEW_WORK,
  BudgetShare,
  budgetSlotSupplier,
  capOf,
  JOIN_HOLD_MS,
  LIVE_FOR_MS,
  type PollerSeen,
  RAISE_AFTER_MS,
  REFRESH_MS,
  STEP_OUT_AFTER_MS,
} from '../src/budgetShare.js';
import { SEND_WINDOW_MS, type SendAllowance, SendScheduler } from '../src/clients/sendBudget.js';

/** Most of `times` (sorted) within any half-open 1,000 ms window, counted by brute force. */
function busiestWindow(times: readonly number[]): number {
  let most = 0;
  for (const start of times)
    most = Math.max(most, times.filter((t) => t >= start && t < start + 1000).length);
  return most;
}

/**
 * A scheduler on a virtual clock. Each sleep advances the clock after the microtasks queued so far
 * (so a released sender reads the time it was released at), plus `lateMs()` like a busy event loop.
 * Every request is answered the moment it is released.
 */
function virtualScheduler(allowance: () => SendAllowance, lateMs: () => number = () => 0) {
  const clock = { now: 0 };
  const scheduler = new SendScheduler(allowance, {
    now: () => clock.now,
    sleep: (ms) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          clock.now += ms + lateMs();
          resolve();
        }),
      ),
  });
  const sendAll = async (count: number): Promise<number[]> => {
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: count }, () =>
        scheduler.take().then((ticket) => {
          times.push(clock.now);
          ticket.answered();
        }),
      ),
    );
    return times;
  };
  return { clock, scheduler, sendAll };
}

describe('send budget: the hard cap on send times', () => {
  it('never lets more than the cap into any 1,000 ms window, even across the edge of a second', async () => {
    // An unbounded rate: only the cap holds the sends back, so they leave in bursts at window edges.
    const { sendAll } = virtualScheduler(() => ({ perWindow: 5, perSecond: 1e9 }));
    const times = await sendAll(23);
    // Answered at once, each request holds its place for the window from its send.
    assert.equal(SEND_WINDOW_MS, 1000);
    assert.deepEqual(times.slice(0, 6), [0, 0, 0, 0, 0, SEND_WINDOW_MS]);
    assert.equal(busiestWindow(times), 5);
    for (let i = 5; i < times.length; i++)
      assert.ok((times[i] as number) - (times[i - 5] as number) >= SEND_WINDOW_MS);
    // Four full windows and three more: the cap is also reached, not only respected.
    assert.equal(times.at(-1), 4 * SEND_WINDOW_MS);
  });

  it('keeps the cap when timers fire late, and still sends at 95% of its pace or more', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Timers up to 60 ms late: a rate alone would let the requests queued behind them out together.
    const { sendAll } = virtualScheduler(
      () => ({ perWindow: 20, perSecond: 20 }),
      () => Math.floor(random() * 60),
    );
    const times = await sendAll(400);
    assert.ok(busiestWindow(times) <= 20, `busiest window ${busiestWindow(times)}`);
    const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    const used = (times.length - 1) / seconds / 20;
    // Late timers may cost 5% of the pace, no more (the cap above is the upper bound).
    assert.ok(used >= 0.95, `budget used ${used.toFixed(3)}`);
  });

  it('takes a smaller allowance at once and holds every send while it is below one', async () => {
    let allowance: SendAllowance = { perWindow: 10, perSecond: 1e9 };
    const { clock, sendAll } = virtualScheduler(() => allowance);
    const first = await sendAll(10);
    assert.deepEqual(first, Array(10).fill(0));
    allowance = { perWindow: 0, perSecond: 0 };
    const held = sendAll(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(clock.now >= 1000, 'the virtual clock moves while held');
    allowance = { perWindow: 4, perSecond: 1e9 };
    const [released] = await held;
    // Released once the allowance is back, and a window after the ten sends at 0.
    assert.ok((released as number) >= 1000);
    const later = await sendAll(8);
    assert.ok(busiestWindow([...first, released as number, ...later].filter((t) => t > 0)) <= 4);
  });
});

/**
 * The scheduler against a simulated network, on a virtual clock driven event by event: each request's
 * answer comes `latency()` ms after its release, and it reaches the server at a moment drawn anywhere
 * between its release and its answer (a late socket read, a stalled server). The busiest second is
 * counted at that server, from those arrival times only.
 */
async function simulateNetwork(options: {
  cap: number;
  requests: number;
  latency: (random: () => number) => number;
  seed: number;
}) {
  let seed = options.seed;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let now = 0;
  const timers: { at: number; fire: () => void }[] = [];
  const at = (when: number, fire: () => void) => timers.push({ at: when, fire });
  const scheduler = new SendScheduler(() => ({ perWindow: options.cap, perSecond: options.cap }), {
    now: () => now,
    sleep: (ms) => new Promise<void>((resolve) => at(now + ms, resolve)),
  });
  const arrivals: number[] = [];
  let answered = 0;
  for (let i = 0; i < options.requests; i++) {
    void scheduler.take().then((ticket) => {
      const answerAt = now + Math.max(0, Math.round(options.latency(random)));
      arrivals.push(now + Math.floor(random() * (answerAt - now + 1)));
      at(answerAt, () => {
        ticket.answered();
        answered++;
      });
    });
  }
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  while (answered < options.requests) {
    await settle();
    timers.sort((a, b) => a.at - b.at);
    const next = timers.shift();
    if (!next) throw new Error(`stuck with ${answered} of ${options.requests} answered`);
    now = Math.max(now, next.at);
    next.fire();
  }
  arrivals.sort((a, b) => a - b);
  return { arrivals, lastArrival: arrivals.at(-1) as number };
}

describe('send budget: the cap holds at the server, whatever the delays', () => {
  it('never lets more than the cap arrive within 1,000 ms, with answers from 0 to 600 ms', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { arrivals } = await simulateNetwork({
        cap: 20,
        requests: 400,
        seed,
        // Mostly quick, sometimes a stall of up to 600 ms (a server that stopped reading).
        latency: (random) => (random() < 0.1 ? random() * 600 : random() * 60),
      });
      assert.ok(busiestWindow(arrivals) <= 20, `seed ${seed}: busiest window ${busiestWindow(arrivals)}`);
    }
  });

  it('uses the budget but for the answer times: 96% or more with 40 ms answers', async () => {
    const { lastArrival } = await simulateNetwork({
      cap: 50,
      requests: 1000,
      seed: 9,
      latency: () => 40,
    });
    // 1,000 requests at 50 a second take 20 s; each window is stretched by its 40 ms answer.
    const used = 1000 / 50 / (lastArrival / 1000);
    assert.ok(used >= 0.96 && used <= 1.0, `budget used ${used.toFixed(3)}`);
  });

  it('counts a request without an answer until it has one', async () => {
    let now = 0;
    const scheduler = new SendScheduler(() => ({ perWindow: 1, perSecond: 1e9 }), {
      now: () => now,
      sleep: (ms) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            now += ms;
            resolve();
          }),
        ),
    });
    const first = await scheduler.take();
    let second = false;
    void scheduler.take().then(() => {
      second = true;
    });
    while (now < 5000) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(second, false, 'the first request, unanswered, still holds the only place');
    first.answered();
    const answeredAt = now;
    while (!second && now < answeredAt + 5000) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.ok(second, 'released once the answer came');
    assert.ok(now >= answeredAt + SEND_WINDOW_MS, `released at ${now}, answered at ${answeredAt}`);
  });
});

describe('budget share: each worker takes its part from the pollers Temporal reports', () => {
  it('splits a budget into whole caps that add up to it exactly', () => {
    for (const budget of [1, 7, 20, 24, 50, 200]) {
      for (let workers = 1; workers <= 7; workers++) {
        const live = Array.from({ length: workers }, (_, i) => `w${i}`);
        const caps = live.map((self) => capOf(budget, live, self));
        assert.equal(
          caps.reduce((a, b) => a + b, 0),
          budget,
        );
        assert.ok(Math.max(...caps) - Math.min(...caps) <= 1, `${budget}/${workers}: ${caps}`);
      }
    }
    // A fractional budget rounds down: never more than asked for.
    assert.equal(capOf(20.9, ['a', 'b'], 'a') + capOf(20.9, ['a', 'b'], 'b'), 20);
  });

  it('a newcomer never raises anyone else cap', () => {
    for (const budget of [5, 20, 23, 50]) {
      for (let workers = 1; workers <= 6; workers++) {
        const live = Array.from({ length: workers }, (_, i) => `w${i * 2}`).sort();
        for (const newcomer of ['a', 'w3', 'z']) {
          const after = [...live, newcomer].sort();
          for (const self of live) assert.ok(capOf(budget, after, self) <= capOf(budget, live, self));
        }
      }
    }
  });

  it('holds a joining worker until the others have counted it for a full window', () => {
    let now = 100_000;
    const share = new BudgetShare('b', () => now);
    // Not yet in Temporal's list: the others cannot know it exists.
    share.observe([{ identity: 'a', lastAccessMs: now }], now);
    assert.equal(share.allowance(20).perWindow, 0);
    now += 2000;
    share.observe(
      [
        { identity: 'a', lastAccessMs: now },
        { identity: 'b', lastAccessMs: now },
      ],
      now,
    );
    assert.equal(share.allowance(20, now + JOIN_HOLD_MS - 1).perWindow, 0);
    const allowed = share.allowance(20, now + JOIN_HOLD_MS);
    assert.deepEqual(allowed, { perWindow: 10, perSecond: 10 });
  });

  it('lowers its cap at once when a worker joins, and raises it only once every recent view allows', () => {
    let now = 200_000;
    const share = new BudgetShare('a', () => now);
    const seen = (...identities: string[]) =>
      share.observe(
        identities.map((identity) => ({ identity, lastAccessMs: now })),
        now,
      );
    seen('a');
    now += JOIN_HOLD_MS;
    seen('a');
    assert.equal(share.allowance(24).perWindow, 24);
    now += 2000;
    seen('a', 'b', 'c');
    assert.equal(share.allowance(24).perWindow, 8);
    // b and c leave: the cap stays at 8 until the view with three workers is older than RAISE_AFTER_MS.
    now += 2000;
    seen('a');
    assert.equal(share.allowance(24).perWindow, 8);
    now += RAISE_AFTER_MS;
    seen('a');
    assert.equal(share.allowance(24).perWindow, 24);
  });

  it('counts a worker until its last poll is LIVE_FOR_MS old, and holds itself when it is missing', () => {
    let now = 500_000;
    const share = new BudgetShare('a', () => now);
    const lastPollOfB = now;
    share.observe(
      [
        { identity: 'a', lastAccessMs: now },
        { identity: 'b', lastAccessMs: lastPollOfB },
      ],
      now,
    );
    now += JOIN_HOLD_MS;
    share.observe(
      [
        { identity: 'a', lastAccessMs: now },
        { identity: 'b', lastAccessMs: lastPollOfB },
      ],
      now,
    );
    assert.equal(share.allowance(30).perWindow, 15);
    now = lastPollOfB + LIVE_FOR_MS - 1;
    share.observe(
      [
        { identity: 'a', lastAccessMs: now },
        { identity: 'b', lastAccessMs: lastPollOfB },
      ],
      now,
    );
    assert.equal(share.workers, 2);
    now = lastPollOfB + LIVE_FOR_MS + RAISE_AFTER_MS;
    share.observe(
      [
        { identity: 'a', lastAccessMs: now },
        { identity: 'b', lastAccessMs: lastPollOfB },
      ],
      now,
    );
    assert.equal(share.workers, 1);
    assert.equal(share.allowance(30).perWindow, 30);
    // A restarted server has forgotten every poller: this worker holds until it is listed again.
    now += 2000;
    share.observe([], now);
    assert.equal(share.allowance(30).perWindow, 0);
  });
});

describe('budget share: a worker without Chatwoot work steps out for the others', () => {
  it('steps out after STEP_OUT_AFTER_MS idle beside a live worker, never while working or alone', () => {
    let now = 1_000_000;
    const share = new BudgetShare('b', () => now);
    const seen = (...identities: string[]) =>
      share.observe(
        identities.map((identity) => ({ identity, lastAccessMs: now })),
        now,
      );
    seen('a', 'b');
    now += STEP_OUT_AFTER_MS * 2;
    assert.equal(share.wantsPresence(), true, 'just started: there for the work to come');
    share.activityStarted();
    share.activityFinished(now);
    seen('b');
    now += STEP_OUT_AFTER_MS + 1;
    assert.equal(share.wantsPresence(), true, 'alone: no one else could use its share');
    seen('a', 'b');
    assert.equal(share.wantsPresence(), false, 'idle beside a live worker');
    // Back at once, before Temporal could drop it: still a full join hold from its next view.
    share.activityStarted();
    share.present(now);
    seen('a', 'b');
    assert.equal(share.allowance(20, now + JOIN_HOLD_MS - 1).perWindow, 0);
    assert.equal(share.allowance(20, now + JOIN_HOLD_MS).perWindow, 10);
    share.activityFinished(now);
    now += STEP_OUT_AFTER_MS;
    assert.equal(share.wantsPresence(), false);
    share.activityStarted();
    assert.equal(share.wantsPresence(), true, 'back with work');
    now += STEP_OUT_AFTER_MS * 2;
    assert.equal(share.wantsPresence(), true, 'not while an activity runs, however long');
    share.activityFinished(now);
    now += STEP_OUT_AFTER_MS - 1;
    assert.equal(share.wantsPresence(), true, 'idle spells shorter than STEP_OUT_AFTER_MS keep it');
    now += 1;
    assert.equal(share.wantsPresence(), false);
    // The other worker is gone too: one of them must hold the budget for the next work.
    seen('b');
    assert.equal(share.wantsPresence(), true, 'alone again: back');
    seen('a', 'b');
    assert.equal(
      share.wantsPresence(),
      true,
      'and it stays until it has worked, so idle workers do not take turns',
    );
  });

  /**
   * Two workers on a simulated Temporal: each polls for presence every second while it wants to (the
   * server keeps its last poll's time), and each describes the list every REFRESH_MS, out of step.
   * Worker a runs one long activity (a verification); b has nothing to do, then gets work again.
   */
  it('gives the working one the whole budget, never more than the budget together, and holds the one back', () => {
    const budget = 20;
    let now = 2_000_000;
    const clock = () => now;
    const a = new BudgetShare('a', clock);
    const b = new BudgetShare('b', clock);
    const lastPoll = new Map<string, number>();
    const list = (): PollerSeen[] =>
      [...lastPoll].map(([identity, lastAccessMs]) => ({ identity, lastAccessMs }));
    const caps: { t: number; a: number; b: number }[] = [];
    let bStepsOutAt: number | undefined;
    let aWholeAt: number | undefined;
    const run = (untilMs: number) => {
      for (; now < untilMs; now += 100) {
        for (const share of [a, b]) {
          if (now % 1000 === 0 && share.wantsPresence()) {
            lastPoll.set(share.identity, now);
            share.present(now);
          }
        }
        if (now % REFRESH_MS === 0) a.observe(list(), now);
        if (now % REFRESH_MS === 1000) b.observe(list(), now);
        if (bStepsOutAt === undefined && !b.wantsPresence()) bStepsOutAt = now;
        const capA = a.allowance(budget).perWindow;
        const capB = b.allowance(budget).perWindow;
        if (aWholeAt === undefined && capA === budget) aWholeAt = now;
        caps.push({ t: now, a: capA, b: capB });
      }
    };
    const start = now;
    a.activityStarted();
    // b has worked before (an import), and has nothing left.
    b.activityStarted();
    b.activityFinished(now);
    run(start + JOIN_HOLD_MS + 3000);
    assert.deepEqual(caps.at(-1), { t: now - 100, a: 10, b: 10 }, 'both counted, half each');

    run(start + STEP_OUT_AFTER_MS + 60_000);
    assert.ok(
      bStepsOutAt !== undefined && bStepsOutAt - start >= STEP_OUT_AFTER_MS,
      'b stepped out when idle',
    );
    assert.ok(aWholeAt !== undefined, 'a got the whole budget');
    const waited = aWholeAt - (bStepsOutAt ?? 0);
    assert.ok(
      waited >= LIVE_FOR_MS && waited <= LIVE_FOR_MS + RAISE_AFTER_MS + 2 * REFRESH_MS,
      `${waited} ms`,
    );
    assert.equal(caps.at(-1)?.b, 0, 'b holds while it is away');

    const back = now;
    b.activityStarted();
    run(back + 30_000);
    const firstSendOfB = caps.find((c) => c.t >= back && c.b > 0);
    assert.ok(firstSendOfB, 'b sends again once counted');
    assert.ok(firstSendOfB.t - back >= JOIN_HOLD_MS, 'after a join hold');
    assert.deepEqual(caps.at(-1), { t: now - 100, a: 10, b: 10 });

    const over = caps.filter((c) => c.a + c.b > budget);
    assert.deepEqual(over, [], 'the caps never add up to more than the budget');
  });
});

describe('budget slots: a worker takes Chatwoot work only while its budget has room', () => {
  const ctx = {
    slotType: 'activity' as const,
    taskQueue: 'chatwoot-writes',
    workerIdentity: 'w',
    workerBuildId: '',
    isSticky: false,
  };
  const slotInfo = { slotInfo: { type: 'activity' as const, activityType: 'x' }, permit: {} };

  it('holds polls while requests wait for the budget, and never hands out more than its slots', async () => {
    let backlog = BACKLOG_FOR_NEW_WORK;
    const slots = budgetSlotSupplier(2, () => backlog);
    assert.equal(slots.tryReserveSlot(ctx), null);
    let reserved = false;
    const pending = slots.reserveSlot(ctx, new AbortController().signal).then(() => {
      reserved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(reserved, false, 'a backlogged worker must not poll for more work');
    backlog = 0;
    await pending;
    assert.ok(slots.tryReserveSlot(ctx));
    assert.equal(slots.tryReserveSlot(ctx), null, 'two slots at most');
    slots.releaseSlot(slotInfo);
    assert.ok(slots.tryReserveSlot(ctx));
  });

  it('tells the share when an activity runs, not when a poll ends without one', () => {
    const events: string[] = [];
    const slots = budgetSlotSupplier(2, () => 0, {
      activityStarted: () => events.push('started'),
      activityFinished: () => events.push('finished'),
    });
    const permit = slots.tryReserveSlot(ctx) ?? {};
    slots.releaseSlot({ permit });
    const used = slots.tryReserveSlot(ctx) ?? {};
    slots.markSlotUsed({ slotInfo: slotInfo.slotInfo, permit: used });
    slots.releaseSlot({ slotInfo: slotInfo.slotInfo, permit: used });
    assert.deepEqual(events, ['started', 'finished']);
  });

  it('gives up a reservation the worker no longer needs', async () => {
    const slots = budgetSlotSupplier(1, () => BACKLOG_FOR_NEW_WORK);
    const abort = new AbortController();
    const pending = slots.reserveSlot(ctx, abort.signal);
    abort.abort();
    await assert.rejects(pending);
  });
});

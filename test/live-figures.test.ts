/**
 * The live figures of issue 16: the Chatwoot request rate a worker's pacer measures (against its share
 * and the budget), the workers' rates added up by the import, and the export's progress reports. The
 * expected figures are counted here from the send times and samples, not with the code under test.
 */
import assert from 'node:assert/strict';
import type { ExportedSoFar } from '../src/activities/contract.js';
import { SendScheduler, USAGE_WINDOW_MS } from '../src/clients/sendBudget.js';
import { exportReport, newExportProgressCarry } from '../src/workflows/exportProgress.js';
import {
  RATE_SAMPLE_TTL_MS,
  recordRateSample,
  requestRateOf,
  type TimedRateSample,
} from '../src/workflows/requestRate.js';

/** A scheduler on a clock the test moves; sleeps advance it. */
function clocked(perWindow: number, perSecond: number) {
  const clock = { now: 1_000_000 };
  const allowance = { perWindow, perSecond };
  const pacer = new SendScheduler(() => allowance, {
    now: () => clock.now,
    sleep: (ms) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          clock.now += ms;
          resolve();
        }),
      ),
  });
  // Each request answered as it is released: its place is held for 1,000 ms from its send.
  const scheduler = {
    take: () => pacer.take().then((ticket) => ticket.answered()),
    usage: (nowMs?: number) => pacer.usage(nowMs),
  };
  return { clock, allowance, scheduler };
}

describe('live figures: the request rate a pacer measures', () => {
  it('reports the sends of the last 10 s per second, and the cap it holds to', async () => {
    const { clock, scheduler } = clocked(8, 1e9);
    assert.deepEqual(scheduler.usage(), { sentPerSecond: 0, capPerSecond: 8 });
    // 8 sends now, then 8 more each window: the cap lets them out in bursts a window apart.
    const sent: number[] = [];
    await Promise.all(Array.from({ length: 120 }, () => scheduler.take().then(() => sent.push(clock.now))));
    const now = clock.now;
    const inWindow = sent.filter((t) => t > now - USAGE_WINDOW_MS).length;
    const usage = scheduler.usage(now);
    assert.equal(usage.capPerSecond, 8);
    assert.equal(usage.sentPerSecond, (inWindow * 1000) / USAGE_WINDOW_MS);
    // Near the cap (8 per 1,000 ms), never above it.
    assert.ok(usage.sentPerSecond > 7 && usage.sentPerSecond <= 8, String(usage.sentPerSecond));
    // Ten seconds of silence later nothing is counted.
    assert.equal(scheduler.usage(now + USAGE_WINDOW_MS).sentPerSecond, 0);
  });

  it('measures a sender that began lately over its own life, and shows a held share as 0', async () => {
    const { clock, allowance, scheduler } = clocked(10, 1e9);
    await Promise.all(Array.from({ length: 10 }, () => scheduler.take()));
    // Ten sends at once, read 2 s later: 5/s, not 1/s over a 10 s window it did not live through.
    assert.equal(scheduler.usage(clock.now + 2000).sentPerSecond, 5);
    allowance.perWindow = 0;
    assert.equal(scheduler.usage(clock.now + 2000).capPerSecond, 0);
  });
});

describe('live figures: the workers added up', () => {
  const sample = (sender: string, sentPerSecond: number, at: number): TimedRateSample => ({
    sender,
    sentPerSecond,
    capPerSecond: 8,
    budgetPerSecond: 16,
    at,
  });

  it('adds the latest sample of each worker and forgets a silent worker', () => {
    const samples = new Map<string, TimedRateSample>();
    recordRateSample(samples, sample('a', 6, 0), 0);
    recordRateSample(samples, sample('b', 7.5, 0), 1000);
    // A newer sample of a replaces its older one.
    recordRateSample(samples, sample('a', 7.2, 0), 2000);
    assert.deepEqual(requestRateOf(samples.values(), 2000), {
      requestsPerSecond: 14.7,
      budgetPerSecond: 16,
      workers: 2,
    });
    // b says nothing for longer than the TTL (it died, or its conversations are all done).
    recordRateSample(samples, sample('a', 7.9, 0), 1000 + RATE_SAMPLE_TTL_MS + 1);
    assert.deepEqual(requestRateOf(samples.values(), 1000 + RATE_SAMPLE_TTL_MS + 1), {
      requestsPerSecond: 7.9,
      budgetPerSecond: 16,
      workers: 1,
    });
    assert.equal(samples.size, 1);
    assert.equal(requestRateOf([], 0), undefined);
    // Without a budget the activity returns no sample: nothing to add.
    recordRateSample(samples, undefined, 10 * RATE_SAMPLE_TTL_MS);
    assert.equal(requestRateOf(samples.values(), 10 * RATE_SAMPLE_TTL_MS), undefined);
  });
});

describe('live figures: the export reports', () => {
  const exported = (conversations: number, over: Partial<ExportedSoFar> = {}): ExportedSoFar => ({
    conversations,
    leftOut: 0,
    rejected: 0,
    listed: 600,
    limit: 0,
    complete: false,
    ...over,
  });

  it('reports changes at most every 5 s with a rate, and always the end, once', () => {
    const carry = newExportProgressCarry(0);
    const first = exportReport(carry, exported(50, { leftOut: 10 }), 5000);
    // 60 got through (written and left out) in 5 s: 720 a minute.
    assert.deepEqual(first, { ...exported(50, { leftOut: 10 }), perMinute: 720, at: 5000 });
    assert.equal(exportReport(carry, exported(80), 7000), undefined, 'too soon');
    assert.equal(exportReport(carry, exported(50, { leftOut: 10 }), 20_000), undefined, 'nothing new');
    const second = exportReport(carry, exported(110, { leftOut: 10 }), 20_000);
    assert.equal(second?.perMinute, (120 / 20_000) * 60_000);
    const end = exportReport(carry, exported(590, { leftOut: 10, complete: true }), 20_500);
    assert.equal(end?.complete, true);
    assert.equal(exportReport(carry, exported(590, { leftOut: 10, complete: true }), 30_000), undefined);
  });

  it('spaces reports out on a long export (1/200 of the time spent)', () => {
    const carry = newExportProgressCarry(0);
    const hour = 3_600_000;
    assert.ok(exportReport(carry, exported(1), hour));
    // An hour in, the interval is a little over 18 s (1/200 of the time since the start).
    assert.equal(exportReport(carry, exported(2), hour + 10_000), undefined);
    assert.equal(exportReport(carry, exported(2), hour + 18_000), undefined);
    assert.ok(exportReport(carry, exported(3), hour + 18_100));
  });
});

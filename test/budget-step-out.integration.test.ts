/**
 * A worker without Chatwoot work steps out of the budget (budgetShare.ts), on the real local Temporal
 * server: its presence polls stop, the working worker gets the whole budget once Temporal's list has
 * dropped the idle one, and the idle one, given work again, sends nothing until the other has lowered
 * its cap. The rule's timing is checked on a simulated clock in send-budget.test; this checks that
 * the presence loop and DescribeTaskQueue behave as that simulation assumes.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { BudgetShare, JOIN_HOLD_MS, LIVE_FOR_MS, RAISE_AFTER_MS, watchPollers } from '../src/budgetShare.js';
import { startLocalTemporal } from './helpers/temporal.js';

const BUDGET = 20;
/** Short here so the test does not wait STEP_OUT_AFTER_MS; the rule is the same. */
const STEP_OUT_AFTER_MS = 1500;

describe('budget share on Temporal: an idle worker steps out and comes back', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;

  before(async () => {
    env = await startLocalTemporal();
  });

  after(async () => {
    await env?.teardown();
  });

  it('leaves the whole budget to the working worker, then rejoins behind a join hold', async () => {
    const queue = `step-out-${Date.now()}`;
    const working = new BudgetShare('working@test', Date.now, STEP_OUT_AFTER_MS);
    const idle = new BudgetShare('idle@test', Date.now, STEP_OUT_AFTER_MS);
    working.activityStarted();
    // The idle one has worked before (an import) and has nothing left.
    idle.activityStarted();
    idle.activityFinished();
    const logs: string[] = [];
    const watchers = [working, idle].map((share) =>
      watchPollers(env.client, env.namespace ?? 'default', queue, share, (line) =>
        logs.push(`${share.identity}: ${line}`),
      ),
    );
    const samples: { t: number; working: number; idle: number }[] = [];
    const sampler = setInterval(
      () =>
        samples.push({
          t: Date.now(),
          working: working.allowance(BUDGET).perWindow,
          idle: idle.allowance(BUDGET).perWindow,
        }),
      50,
    );
    const until = async (what: string, test: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${logs.join(' | ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return Date.now();
    };
    try {
      const started = Date.now();
      const whole = await until(
        'the working worker to get the whole budget',
        () => working.allowance(BUDGET).perWindow === BUDGET && working.workers === 1,
        STEP_OUT_AFTER_MS + LIVE_FOR_MS + RAISE_AFTER_MS + JOIN_HOLD_MS + 20_000,
      );
      assert.ok(
        logs.some((line) => line.startsWith('idle@test') && /leaving this share/.test(line)),
        logs.join(' | '),
      );
      assert.ok(whole - started >= STEP_OUT_AFTER_MS + LIVE_FOR_MS, 'not before Temporal dropped it');

      const back = Date.now();
      idle.activityStarted();
      const sendsAgain = await until(
        'the returning worker to send',
        () => idle.allowance(BUDGET).perWindow > 0,
        JOIN_HOLD_MS + LIVE_FOR_MS + 20_000,
      );
      assert.ok(sendsAgain - back >= JOIN_HOLD_MS, `held ${sendsAgain - back} ms`);
      await until('both at half', () => working.allowance(BUDGET).perWindow === BUDGET / 2, 10_000);
      assert.ok(logs.some((line) => line.startsWith('idle@test') && /rejoining/.test(line)));

      const over = samples.filter((s) => s.working + s.idle > BUDGET);
      assert.deepEqual(over, [], 'the two caps never added up to more than the budget');
    } finally {
      clearInterval(sampler);
      for (const watcher of watchers) watcher.stop();
    }
  });
});

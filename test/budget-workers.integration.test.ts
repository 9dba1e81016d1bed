/**
 * One Chatwoot budget across worker processes: CHATWOOT_REQUESTS_PER_SECOND is given to every worker
 * unchanged, and together they keep to it, because each takes its share from the workers Temporal sees
 * polling the chatwoot-writes queue (src/budgetShare.ts). A migration runs with two Chatwoot worker
 * processes, then a third joins and another migration runs with three. The sandbox's busiest 1,000 ms
 * must stay within the budget, nothing may be refused (429), and while conversations are imported the
 * workers together must use at least 90% of the budget. (The contacts step before them is left out of
 * that figure: its few activities run on as few workers, each at its own share.)
 *
 * Processes: a Temporal dev server, one worker for workflows and Intercom reads, and two then three
 * workers for the chatwoot-writes queue only (the real src/worker.ts, WORKER_QUEUES=chatwoot-writes).
 */
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { MigrationInputRaw } from '../src/config.js';
import type { ScenarioOptions } from '../src/sandbox/scenario.js';
import type { ImportTotals } from '../src/workflows/importWorkflow.js';
import {
  type ProcessStack,
  type SandboxProcess,
  startProcessStack,
  startSandboxProcess,
  startWorkerProcess,
  type WorkerProcess,
  waitFor,
  waitForWorkflow,
  workerEnvFor,
} from './helpers/processes.js';

/** Low enough that the workers could send far more: the budget, not the pipeline, sets the pace. */
const BUDGET = 16;
const CONVERSATIONS = 90;
const SEED = 31;
const workerScript = fileURLToPath(new URL('../src/worker.js', import.meta.url));
const scenarioOptions: ScenarioOptions = {
  seed: SEED,
  conversations: CONVERSATIONS,
  partsPerConversation: 5,
  agentTokens: true,
  chatwootMessagesPerMinute: 3000,
  // Rack::Attack's req/ip at the budget: a worker that overspent would be answered 429.
  chatwootThrottlePerMinute: BUDGET * 60,
};

/** Most arrivals within any 1,000 ms (a check of its own, not the sandbox's meter). */
function busiestWindow(times: readonly number[]): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] as number) - (times[i] as number) >= 1000) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

const ms = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  ts ? Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : Number.NaN;

/**
 * A measurement of the shared budget rather than a check of its rule (the rule itself, no more than
 * the share in any window, is checked exactly in send-budget.test). The sandboxes run in a process of
 * their own (startSandboxProcess), so the test's Temporal client cannot make them timestamp arrivals
 * late. Still on demand, like the bench, for two reasons measured in round 2 (3 min 10 s a run):
 * - the busiest second held at 16 of 16 on an idle machine (load below 2, every run), but reached
 *   17 and 18 at load averages of 3 to 14 on two cores, where even the sandbox's own process ran up
 *   to 100-290 ms late and read requests of a whole interval together;
 * - the budget is used at 73-88%, not 90%: it is saturated (15-16 a second) until the last
 *   conversations, which then run on the one or two workers that hold them, at their share alone
 *   (5 a second of 16 for up to 20 s with three workers). A share is not lent to a busy worker:
 *   lending idle shares (tried on 2026-11-28, not kept) was measured at 66-80% with two workers and 66-69%
 *   with three (load 4-6), against 71-87.5% and 82.6-85.3% without it (load 2-5) on 2026-11-28,
 *   since every return of an idle worker costs a join hold. A worker idle for STEP_OUT_AFTER_MS
 *   (30 s) does step out now, for phases of a single activity; that is too late for such a tail.
 * With the cap counted from each answer (2a3a2f5; the guard's 90.9% ceiling gone), two runs on
 * 2026-11-29: two workers 91.2% and 78.0%, three 84.8% and 76.8%, busiest 1,000 ms 16 of 16 each
 * time; the spread is the tail's. On 2026-11-30 three workers saw 17 and then 22 in the migration's
 * first second: the preflight's Chatwoot reads came from the workflow worker, which has no share of
 * the budget, beside the mapping's (more of them at once since the mapping's three lines). Since the
 * patch preflight-within-budget they run on chatwoot-writes; the next run: two workers 94.4%,
 * three 93.1%, busiest 16 of 16 both.
 *   BUDGET_WORKERS=1 npx mocha dist/test/budget-workers.integration.test.js
 */
const describeMeasurement = process.env.BUDGET_WORKERS === '1' ? describe : describe.skip;

describeMeasurement('one Chatwoot budget across worker processes', function () {
  this.timeout(600_000);
  let stack: ProcessStack;
  let client: Client;
  let baseEnv: Record<string, string>;
  const chatwootWorkers: WorkerProcess[] = [];
  let flowWorker: WorkerProcess | undefined;

  before(async () => {
    stack = await startProcessStack('i2c-budget-');
    client = stack.client;
    // Same seed, same tokens: one set of workers serves both scenarios.
    const probe = await startSandboxProcess(scenarioOptions);
    baseEnv = workerEnvFor(stack.server.address, probe);
    await probe.close();
    flowWorker = await startWorkerProcess({
      script: workerScript,
      env: { ...baseEnv, WORKER_QUEUES: 'migration,intercom-reads' },
      timeoutMs: 180_000,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const worker of chatwootWorkers)
      console.error(`chatwoot worker ${worker.pid}:\n${worker.output().slice(-3000)}`);
    console.error(`workflow worker:\n${flowWorker?.output().slice(-3000)}`);
  });

  after(async () => {
    await stack?.close();
  });

  /** Starts Chatwoot workers until there are `count`, and waits until every one has seen them all. */
  const chatwootWorkersUpTo = async (count: number) => {
    while (chatwootWorkers.length < count) {
      chatwootWorkers.push(
        await startWorkerProcess({
          script: workerScript,
          env: {
            ...baseEnv,
            WORKER_QUEUES: 'chatwoot-writes',
            CHATWOOT_REQUESTS_PER_SECOND: String(BUDGET),
          },
          timeoutMs: 60_000,
        }),
      );
    }
    // The last count each worker logged (budgetShare.ts logs every change). Workers left idle since
    // the previous test may have stepped out (STEP_OUT_AFTER_MS): they rejoin with the migration's
    // first activities, before the conversations this test measures.
    const seenBy = (worker: WorkerProcess) =>
      Number([...worker.output().matchAll(/chatwoot budget: (\d+) worker\(s\) share/g)].at(-1)?.[1] ?? 0);
    const newest = chatwootWorkers.at(-1) as WorkerProcess;
    await waitFor(`the newest Chatwoot worker to take its share`, () => seenBy(newest) > 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  };

  const migrate = async (workers: number) => {
    await chatwootWorkersUpTo(workers);
    // An account per run: the migration's workflow ids are made from it.
    const account = workers;
    const sandbox: SandboxProcess = await startSandboxProcess({
      ...scenarioOptions,
      account,
      recordArrivals: true,
    });
    try {
      const id = `migration-${account}`;
      const base = sandbox.input(`file://${join(stack.dataDir, `blobs-${workers}`)}`);
      const input: MigrationInputRaw = { ...base, import: { ...base.import, windowSize: 20 } };
      const handle = await client.workflow.start('accountMigration', {
        taskQueue: 'migration',
        workflowId: id,
        args: [input],
      });
      const importHandle = client.workflow.getHandle(`${id}/import`);
      await waitForWorkflow('the import to start', importHandle, { timeoutMs: 240_000, intervalMs: 500 });
      const totals = (await importHandle.result()) as ImportTotals;
      const importEnd = Date.now();
      await handle.terminate('the test measured the import');

      // The conversations' part of the import: from the last contacts activity to the import's end.
      const history = await importHandle.fetchHistory();
      const events = history.events ?? [];
      const contactsScheduled = new Set(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'importContacts')
          .map((e) => String(e.eventId)),
      );
      const contactsDone = events
        .filter((e) =>
          contactsScheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '')),
        )
        .map((e) => ms(e.eventTime));
      const closed = events.at(-1);
      const conversationsFrom = contactsDone.length ? Math.max(...contactsDone) : ms(events[0]?.eventTime);
      const conversationsTo = ms(closed?.eventTime);
      assert.ok(conversationsTo > conversationsFrom && conversationsTo <= importEnd + 1000);

      const { arrivals, endpoints } = await sandbox.arrivals();
      const stats = await sandbox.stats();
      const part = arrivals.filter((t) => t >= conversationsFrom && t <= conversationsTo);
      const sent = part.length;
      const used = sent / (((conversationsTo - conversationsFrom) / 1000) * BUDGET);
      // The same from the part's first request to its last: without the workflow's bookkeeping at the ends.
      const usedBetween = (sent - 1) / ((((part.at(-1) ?? 0) - (part[0] ?? 0)) / 1000) * BUDGET);
      const busiest = stats.busiestSecond.requests;
      const peakAt = stats.busiestSecond.startedAt ?? 0;
      if (busiest > BUDGET) {
        // What arrived around the busiest second.
        arrivals.forEach((t, i) => {
          if (t >= peakAt - 1500 && t < peakAt + 1500) console.log(`${t - peakAt} ${endpoints[i]}`);
        });
      }
      console.log(
        `${workers} Chatwoot workers: ${arrivals.length} requests, busiest 1,000 ms ${busiest} of ${BUDGET}, ` +
          `${sent} requests in ${((conversationsTo - conversationsFrom) / 1000).toFixed(1)} s of conversations ` +
          `(${(used * 100).toFixed(1)}% of the budget; ${(usedBetween * 100).toFixed(1)}% from its first request to its last), ` +
          `${totals.completed} conversations; ` +
          `event loop delay of the sandbox's process: max ${stats.eventLoopDelayMs.max.toFixed(0)} ms, ` +
          `p99 ${stats.eventLoopDelayMs.p99.toFixed(0)} ms; load average ${loadavg()[0]?.toFixed(2)}`,
      );
      assert.equal(totals.failed, 0);
      assert.ok(totals.completed > 0);
      assert.equal(busiestWindow(arrivals), busiest, 'the sandbox measures what arrived');
      assert.ok(busiest <= BUDGET, `busiest 1,000 ms: ${busiest} requests over a budget of ${BUDGET}`);
      assert.equal(stats.throttled, 0);
      assert.ok(used >= 0.9, `only ${(used * 100).toFixed(1)}% of the budget used`);
    } finally {
      await sandbox.close();
    }
  };

  it('two workers keep to the budget together and use it', () => migrate(2));

  it('a third joins: three workers keep to the budget together and use it', () => migrate(3));
});

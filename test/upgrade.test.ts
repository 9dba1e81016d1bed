/**
 * A worker upgrade under a sleeping retention reminder: the reminder is started and run by the
 * workflow code of commit a14a44c (its bundle, as a worker of that build ran it:
 * test/fixtures/old-workflows/, built by scripts/bundle-old-workflows.ts, with the input as that
 * build's schema wrote it), that worker is shut down, and a worker of the current build takes the
 * workflow over on Temporal's time-skipping test server, replaying the old history and finishing it.
 * This is the project's upgrade rule (patched() for every changed command, README "Upgrading workers
 * under running migrations") checked on the longest-lived workflow it has.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ActivityDeps } from '../src/activities/deps.js';
import { createReminderActivities } from '../src/activities/retention/reminder.js';
import type { PlaceProgress, RetentionPlace } from '../src/activities/retention/scope.js';
import { taskQueues } from '../src/config.js';
import { workflowBundle } from '../src/worker.js';
import { retentionDecisionSignal } from '../src/workflows/definitions.js';
import { until as holds } from './helpers/eventually.js';
import { type RecordingServer, startRecordingServer } from './helpers/recordingServer.js';
import { repoRoot } from './helpers/temporal.js';
import { startTimeSkipping, terminateWhenIdle } from './helpers/timeSkipping.js';

const OLD_COMMIT = 'a14a44c';
const { EventType } = proto.temporal.api.enums.v1;
const fixtures = join(repoRoot, 'test', 'fixtures', 'old-workflows');

interface RunningWorker {
  worker: Worker;
  running: Promise<void>;
}

describe(`a retention reminder started by the build of ${OLD_COMMIT} completes on the current build`, function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let webhook: RecordingServer<string> | undefined;
  let webhookUrl: string;
  let reminders: { workflowId: string; account: number }[] = [];
  let deletions: number[] = [];
  let account = 700;
  const workers: RunningWorker[] = [];
  const started: WorkflowHandle[] = [];
  const oldBundle = { code: readFileSync(join(fixtures, `${OLD_COMMIT}.js`), 'utf8') };
  /** What the old build's migrationInputSchema().parse() produced (none of the fields added since). */
  const oldInput = JSON.parse(readFileSync(join(fixtures, `${OLD_COMMIT}-retention-input.json`), 'utf8')) as {
    account: number;
    retention: { webhookUrl: string };
  };

  before(async () => {
    env = await startTimeSkipping();
    webhook = await startRecordingServer(
      (request, response) => {
        reminders.push(JSON.parse(request.body));
        response.writeHead(204).end();
      },
      (bytes) => bytes.toString('utf8'),
    );
    webhookUrl = `${webhook.url}/retention`;
  });

  after(async () => {
    for (const { worker, running } of workers.splice(0)) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    }
    await env?.teardown();
    await webhook?.close();
  });

  beforeEach(() => {
    reminders = [];
    deletions = [];
  });

  afterEach(async () => {
    for (const handle of started.splice(0)) await terminateWhenIdle(handle);
    for (const { worker, running } of workers.splice(0)) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    }
  });

  /** Both queues the reminder uses, served under `identity` by the given workflow code. */
  async function startWorkers(
    identity: string,
    bundle: { code: string },
    options: { sticky?: boolean } = {},
  ): Promise<() => Promise<void>> {
    const { sendRetentionReminder } = createReminderActivities(new ActivityDeps({ chatwootAgentTokens: {} }));
    // Intercom and the snapshot are recorded fakes: what is under test is the workflow code. The old
    // build deletes with deleteIntercomData; the current one plans, deletes in batches and reports
    // (patch retention-decision-scope), which a decision taken after the upgrade goes through.
    const deleteIntercomData = async ({ input }: { input: { account: number } }) => {
      deletions.push(input.account);
      return 42;
    };
    const planRetentionDeletion = async () => 42;
    const deleteIntercomBatch = async ({
      input,
      place,
    }: {
      input: { account: number };
      place: RetentionPlace;
    }): Promise<PlaceProgress> => {
      deletions.push(input.account);
      return {
        place,
        total: 42,
        position: 42,
        done: true,
        deleted: 42,
        alreadyGone: 0,
        failed: 0,
        goneOnResume: 0,
      };
    };
    const writeRetentionReport = async ({ input }: { input: { account: number } }) =>
      `acct-${input.account}/retention/report.json`;
    const activities = {
      sendRetentionReminder,
      deleteIntercomData,
      planRetentionDeletion,
      deleteIntercomBatch,
      writeRetentionReport,
    };
    const mine = await Promise.all([
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: taskQueues.main,
        identity,
        workflowBundle: bundle,
        // Without a cache the worker asks for no sticky queue. The test server keeps sending a
        // workflow's tasks to the sticky queue of a worker that shut down, and its time stays locked
        // while such a task waits, so the 10 s fallback to the normal queue would never come (a real
        // server drops the sticky queue when the worker says it is shutting down).
        ...(options.sticky === false ? { maxCachedWorkflows: 0 } : {}),
        activities,
      }),
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: taskQueues.intercom,
        identity,
        activities,
      }),
    ]).then((created) => created.map((worker) => ({ worker, running: worker.run() })));
    workers.push(...mine);
    return async () => {
      for (const { worker, running } of mine) {
        worker.shutdown();
        await running;
      }
    };
  }

  const until = (check: () => boolean | Promise<boolean>, what: string) =>
    holds(what, check, { timeoutMs: 20_000, intervalMs: 25 });

  async function lastEventIs(
    handle: WorkflowHandle,
    type: proto.temporal.api.enums.v1.EventType,
  ): Promise<boolean> {
    const events = (await handle.fetchHistory()).events ?? [];
    return events.at(-1)?.eventType === type;
  }

  /** Which worker identities completed the workflow tasks, in order. */
  async function taskCompleters(handle: WorkflowHandle): Promise<string[]> {
    const events = (await handle.fetchHistory()).events ?? [];
    return events
      .map((event) => event.workflowTaskCompletedEventAttributes?.identity)
      .filter((identity): identity is string => !!identity);
  }

  async function startOld(): Promise<WorkflowHandle> {
    const input = { ...oldInput, account: ++account, retention: { ...oldInput.retention, webhookUrl } };
    const handle = await env.client.workflow.start('retentionReminder', {
      taskQueue: taskQueues.main,
      workflowId: `migration-${input.account}/retention`,
      args: [{ input, cutoverAt: await env.currentTimeMs() }],
    });
    started.push(handle);
    return handle;
  }

  it('upgraded while its year-long timer sleeps: the new build reminds, takes the decision and deletes', async () => {
    const stopOld = await startWorkers(`old-${OLD_COMMIT}`, oldBundle, { sticky: false });
    const handle = await startOld();
    // The old code is asleep on its 365 days.
    await until(
      () => lastEventIs(handle, EventType.EVENT_TYPE_TIMER_STARTED),
      'the old build starting the timer',
    );
    await stopOld();
    assert.deepEqual(await taskCompleters(handle), [`old-${OLD_COMMIT}`]);

    await startWorkers('new-build', await workflowBundle());
    await env.sleep('366 days');
    await until(() => reminders.length === 1, 'the reminder from the new build');
    assert.equal(reminders[0].workflowId, handle.workflowId);

    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    const result = (await handle.result()) as { decision: string; deletedContacts: number };
    assert.equal(result.decision, 'delete');
    assert.equal(result.deletedContacts, 42);
    assert.deepEqual(deletions, [account]);
    const completers = await taskCompleters(handle);
    assert.equal(completers[0], `old-${OLD_COMMIT}`);
    assert.ok(completers.length > 1, 'the new build completed workflow tasks');
    assert.deepEqual(new Set(completers.slice(1)), new Set(['new-build']));
  });

  it('upgraded while waiting for the decision after the old build sent the reminder', async () => {
    const stopOld = await startWorkers(`old-${OLD_COMMIT}`, oldBundle, { sticky: false });
    const handle = await startOld();
    await until(
      () => lastEventIs(handle, EventType.EVENT_TYPE_TIMER_STARTED),
      'the old build starting the timer',
    );
    await env.sleep('366 days');
    await until(() => reminders.length === 1, 'the reminder from the old build');
    // Idle after the reminder: the old code now waits in condition() for the signal.
    await until(
      () => lastEventIs(handle, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
      'the old build waiting for the decision',
    );
    await stopOld();

    await startWorkers('new-build', await workflowBundle());
    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    const result = (await handle.result()) as { decision: string; deletedContacts: number };
    assert.equal(result.decision, 'delete');
    assert.deepEqual(deletions, [account], 'deleted once, by the new build');
    assert.equal(reminders.length, 1, 'the new build did not send the reminder again');
    const completers = await taskCompleters(handle);
    assert.ok(
      completers.includes(`old-${OLD_COMMIT}`) && completers.at(-1) === 'new-build',
      completers.join(),
    );
  });
});

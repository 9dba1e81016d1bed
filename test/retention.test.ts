/**
 * The retention reminder on Temporal's time-skipping test server: the real 365-day timer, the real
 * reminder activity POSTing to a webhook on 127.0.0.1, and a recorded fake of the Intercom deletion,
 * which must never run without a well-formed retentionDecision signal.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ActivityDeps } from '../src/activities/deps.js';
import { createReminderActivities } from '../src/activities/retention/reminder.js';
import { emptyProgress, type RetentionPlace } from '../src/activities/retention/scope.js';
import { type MigrationInput, migrationInputSchema, taskQueues } from '../src/config.js';
import { workflowBundle } from '../src/worker.js';
import { retentionDecisionSignal, signalDescriptions } from '../src/workflows/definitions.js';
import { retentionReminder } from '../src/workflows/retentionReminder.js';
import { until as holds } from './helpers/eventually.js';
import { type RecordingServer, startRecordingServer } from './helpers/recordingServer.js';
import { startTimeSkipping, terminateWhenIdle } from './helpers/timeSkipping.js';

const DAY = 24 * 3_600_000;

interface Reminder {
  event: string;
  account: number;
  cutoverAt: string;
  dueAt: string;
  workflowId: string;
  text: string;
}

describe('the retention reminder on a time-skipping server', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<unknown>;
  let webhook: RecordingServer<string> | undefined;
  let webhookUrl: string;
  /** What the webhook received, with the server's (skipped) time at arrival. */
  let reminders: { body: Reminder; at: number; contentType?: string }[] = [];
  let deletions: number[] = [];
  let account = 500;
  const started: WorkflowHandle[] = [];

  before(async () => {
    env = await startTimeSkipping();
    webhook = await startRecordingServer(
      async (request, response) => {
        reminders.push({
          body: JSON.parse(request.body) as Reminder,
          at: await env.currentTimeMs(),
          contentType: request.headers['content-type'],
        });
        response.writeHead(204).end();
      },
      (bytes) => bytes.toString('utf8'),
    );
    webhookUrl = `${webhook.url}/retention`;

    const { sendRetentionReminder } = createReminderActivities(new ActivityDeps({ chatwootAgentTokens: {} }));
    // Histories recorded before the patch retention-decision-scope schedule this one.
    const deleteIntercomData = async ({ input }: { input: MigrationInput }) => {
      deletions.push(input.account);
      return 42;
    };
    // Since the patch: plan, batches, report (the real ones run in retention-scope.test.ts).
    const planRetentionDeletion = async () => 42;
    const deleteIntercomBatch = async ({
      input,
      place,
    }: {
      input: MigrationInput;
      place: RetentionPlace;
    }) => {
      deletions.push(input.account);
      return { ...emptyProgress(place), total: 42, position: 42, deleted: 42, done: true };
    };
    const writeRetentionReport = async () => 'acct-0/retention/report.json';
    const activities = {
      sendRetentionReminder,
      deleteIntercomData,
      planRetentionDeletion,
      deleteIntercomBatch,
      writeRetentionReport,
    };
    workers = await Promise.all([
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: taskQueues.main,
        workflowBundle: await workflowBundle(),
        activities,
      }),
      Worker.create({ connection: env.nativeConnection, taskQueue: taskQueues.intercom, activities }),
    ]);
    running = Promise.all(workers.map((worker) => worker.run()));
  });

  after(async () => {
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await env?.teardown();
    await webhook?.close();
  });

  beforeEach(() => {
    reminders = [];
    deletions = [];
  });

  afterEach(async () => {
    for (const handle of started.splice(0)) await terminateWhenIdle(handle);
  });

  async function start(): Promise<{
    handle: WorkflowHandleWithFirstExecutionRunId<typeof retentionReminder>;
    input: MigrationInput;
    cutoverAt: number;
  }> {
    const input = migrationInputSchema().parse({
      account: ++account,
      chatwoot: { baseUrl: 'http://127.0.0.1:9' },
      retention: { webhookUrl },
      // The test's endpoint is on loopback over http, which only the sandbox flag lets through.
      attachments: { allowLoopbackHttp: true },
    });
    assert.equal(input.retention.after, '365 days');
    const cutoverAt = await env.currentTimeMs();
    const handle = await env.client.workflow.start(retentionReminder, {
      taskQueue: taskQueues.main,
      workflowId: `migration-${input.account}/retention`,
      args: [{ input, cutoverAt }],
    });
    started.push(handle);
    return { handle, input, cutoverAt };
  }

  const until = (check: () => boolean, what: string) =>
    holds(what, check, { timeoutMs: 10_000, intervalMs: 25 });

  it('reminds after 365 days, deletes nothing without a decision, and deletes on {"action":"delete"}', async () => {
    const { handle, input, cutoverAt } = await start();
    await env.sleep('364 days');
    assert.equal(reminders.length, 0, 'no reminder before the year is over');

    await env.sleep('2 days');
    await until(() => reminders.length === 1, 'the reminder');
    const [{ body, at, contentType }] = reminders;
    assert.equal(contentType, 'application/json');
    assert.ok(Math.abs(at - cutoverAt - 365 * DAY) < DAY, `reminded ${(at - cutoverAt) / DAY} days later`);
    assert.deepEqual(
      { ...body, text: undefined },
      {
        event: 'intercom_retention_review_due',
        account: input.account,
        cutoverAt: new Date(cutoverAt).toISOString(),
        dueAt: new Date(cutoverAt + 365 * DAY).toISOString(),
        workflowId: handle.workflowId,
        text: undefined,
      },
    );
    assert.match(body.text, /--name retentionDecision/);
    assert.match(body.text, new RegExp(`--workflow-id ${handle.workflowId}`));

    // Nobody answered: a month later nothing is deleted and the workflow still waits.
    await env.sleep('30 days');
    assert.deepEqual(deletions, []);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    assert.equal(reminders.length, 1, 'one reminder, not one a day');

    const metadata = (await handle.query('__temporal_workflow_metadata')) as {
      definition: { signalDefinitions: { name: string; description?: string }[] };
    };
    assert.deepEqual(metadata.definition.signalDefinitions, [
      { name: 'retentionDecision', description: signalDescriptions.retentionDecision },
    ]);

    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    const result = await handle.result();
    assert.equal(result.decision, 'delete');
    assert.equal(result.deletedContacts, 42);
    assert.deepEqual(deletions, [input.account]);
  });

  it('on {"action":"keep","for":"180 days"} continues as new and reminds again 180 days later', async () => {
    const { handle, cutoverAt } = await start();
    await env.sleep('366 days');
    await until(() => reminders.length === 1, 'the first reminder');

    const decidedAt = await env.currentTimeMs();
    await handle.signal(retentionDecisionSignal, { action: 'keep', for: '180 days' });
    await env.sleep('179 days');
    assert.equal(reminders.length, 1, 'no second reminder before 180 days');
    const { runId } = await handle.describe();
    assert.notEqual(runId, handle.firstExecutionRunId, 'the decision continued the workflow as new');

    await env.sleep('2 days');
    await until(() => reminders.length === 2, 'the second reminder');
    const second = reminders[1];
    const dueAt = Date.parse(second.body.dueAt);
    assert.ok(Math.abs(dueAt - decidedAt - 180 * DAY) < DAY, `due ${(dueAt - decidedAt) / DAY} days on`);
    assert.ok(Math.abs(second.at - dueAt) < DAY, 'sent when due');
    assert.equal(second.body.cutoverAt, new Date(cutoverAt).toISOString(), 'still about the same cut-over');
    assert.deepEqual(deletions, [], 'keeping deletes nothing');

    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    assert.equal((await handle.result()).decision, 'delete');
    assert.equal(deletions.length, 1);
  });

  it('ignores malformed decisions: a typo never reads as "delete"', async () => {
    const { handle } = await start();
    await env.sleep('366 days');
    await until(() => reminders.length === 1, 'the reminder');
    // Sent as raw JSON, as from the Web UI's signal dialog.
    for (const malformed of [
      { action: 'kep' },
      { action: 'delete', for: '180 days' },
      { action: 'keep', for: 'forever' },
      { action: 'keep', for: 0 },
      'delete',
    ]) {
      await handle.signal('retentionDecision', malformed);
    }
    await env.sleep('30 days');
    assert.deepEqual(deletions, []);
    assert.equal(reminders.length, 1, 'no "keep" was read either');
    assert.equal((await handle.describe()).status.name, 'RUNNING');

    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    assert.equal((await handle.result()).decision, 'delete');
  });
});

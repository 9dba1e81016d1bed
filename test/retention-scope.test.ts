/**
 * The retention decision's scope, carried out by the real activities on Temporal's time-skipping
 * server against the Intercom sandbox (DELETE /contacts/{id}, DELETE /conversations/{id}) and a local
 * blob store holding an export: what each scope deletes and leaves, the exact report (blob, workflow
 * result, Current Details), resuming after an attempt dies mid-batch, a refused token that stops a
 * place until the decision is sent again, and malformed decisions that delete nothing.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ActivityDeps, activitiesForQueue } from '../src/activities/index.js';
import { writeChunk, writeManifest } from '../src/activities/manifests.js';
import type { RetentionReport } from '../src/activities/retention/scope.js';
import type { IntercomClient } from '../src/clients/intercom/client.js';
import { type MigrationInput, taskQueues } from '../src/config.js';
import type { BlobStore } from '../src/storage/blobStore.js';
import { getJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import { workflowBundle } from '../src/worker.js';
import { retentionDecisionSignal } from '../src/workflows/definitions.js';
import { type RetentionArgs, retentionReminder } from '../src/workflows/retentionReminder.js';
import { until as holds } from './helpers/eventually.js';
import { INTERCOM_TOKEN, type IntercomHarness, startIntercomHarness } from './helpers/intercomHarness.js';
import { startTimeSkipping, terminateWhenIdle } from './helpers/timeSkipping.js';

const DAY = 24 * 3_600_000;

/** Where the next attempt should die: after the n-th successful call of that kind (then once only). */
interface CrashPlan {
  contactDeletes?: number;
  blobDeletes?: number;
}

/** A worker's dependencies whose calls can fail once mid-batch, after the call took effect. */
class CrashingDeps extends ActivityDeps {
  plan: CrashPlan = {};
  private counts = { contactDeletes: 0, blobDeletes: 0 };

  reset(plan: CrashPlan): void {
    this.plan = plan;
    this.counts = { contactDeletes: 0, blobDeletes: 0 };
  }

  private tick(kind: keyof CrashPlan): void {
    this.counts[kind]++;
    if (this.counts[kind] === this.plan[kind]) {
      this.plan[kind] = undefined;
      throw new Error('simulated worker crash after the call took effect');
    }
  }

  override intercom(input: MigrationInput): IntercomClient {
    const client = super.intercom(input);
    return new Proxy(client, {
      get: (target, name, receiver) => {
        if (name !== 'deleteContact') return Reflect.get(target, name, receiver);
        return async (id: string) => {
          await target.deleteContact(id);
          this.tick('contactDeletes');
        };
      },
    });
  }

  override store(input: Pick<MigrationInput, 'blobStoreUrl'>): BlobStore {
    const store = super.store(input);
    return new Proxy(store, {
      get: (target, name, receiver) => {
        if (name !== 'delete') return Reflect.get(target, name, receiver);
        return async (key: string) => {
          await target.delete(key);
          this.tick('blobDeletes');
        };
      },
    });
  }
}

interface Setup {
  harness: IntercomHarness;
  input: MigrationInput;
  store: BlobStore;
  contactIds: string[];
  conversationIds: string[];
  /** The snapshot's objects, retention folder excepted. */
  snapshotKeys: string[];
}

describe('the retention decision scope (time-skipping server, Intercom sandbox, local blob store)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<unknown>;
  const deps = new CrashingDeps({ intercomToken: INTERCOM_TOKEN, chatwootAgentTokens: {} });
  const harnesses: IntercomHarness[] = [];
  const started: WorkflowHandle[] = [];
  let account = 900;

  before(async () => {
    env = await startTimeSkipping();
    workers = await Promise.all([
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: taskQueues.main,
        workflowBundle: await workflowBundle(),
        activities: activitiesForQueue(taskQueues.main, deps),
      }),
      Worker.create({
        connection: env.nativeConnection,
        taskQueue: taskQueues.intercom,
        activities: activitiesForQueue(taskQueues.intercom, deps),
      }),
    ]);
    running = Promise.all(workers.map((worker) => worker.run()));
  });

  after(async () => {
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await env?.teardown();
  });

  afterEach(async () => {
    deps.reset({});
    for (const handle of started.splice(0)) await terminateWhenIdle(handle);
    for (const harness of harnesses.splice(0)) await harness.close();
  });

  /** A sandbox workspace and, in the blob store, the export of it plus attachments and reports. */
  async function setUp(): Promise<Setup> {
    const harness = await startIntercomHarness({
      workspace: { seed: 17, conversations: 9, contacts: 7 },
      input: { account: ++account },
    });
    harnesses.push(harness);
    const { input, dataset } = harness;
    const store = deps.store(input);
    const contactIds = dataset.contacts.map((contact) => contact.id);
    const conversationIds = dataset.conversations.map((conversation) => conversation.id);
    for (const [entity, ids] of [
      ['contacts', contactIds],
      ['conversations', conversationIds],
    ] as const) {
      const dir = blobLayout.entityDir(input.account, entity);
      const chunks = [
        await writeChunk(
          store,
          blobLayout.chunk(dir, 1),
          ids.slice(0, 4).map((id) => ({ id })),
        ),
        await writeChunk(
          store,
          blobLayout.chunk(dir, 2),
          ids.slice(4).map((id) => ({ id })),
        ),
      ];
      await writeManifest(store, dir, {
        entity,
        count: ids.length,
        chunks,
        complete: true,
        exportedAt: new Date(0).toISOString(),
      });
    }
    await writeManifest(store, blobLayout.entityDir(input.account, 'companies'), {
      entity: 'companies',
      count: 0,
      chunks: [],
      complete: true,
      exportedAt: new Date(0).toISOString(),
    });
    const first = conversationIds[0] as string;
    await store.put(blobLayout.attachmentFile(input.account, first, 'part-1', 0, 'passport.pdf'), 'scan');
    await store.put(blobLayout.attachmentIndex(input.account, first), '{}');
    await store.put(blobLayout.report(input.account), '{}');
    await store.put(blobLayout.sealedManifest(input.account), '{}');
    const snapshotKeys: string[] = [];
    for await (const key of store.list(`${blobLayout.root(input.account)}/`)) snapshotKeys.push(key);
    return { harness, input, store, contactIds, conversationIds, snapshotKeys };
  }

  async function start(setup: Setup, tuning?: RetentionArgs['tuning']) {
    const cutoverAt = (await env.currentTimeMs()) - 366 * DAY;
    const handle = await env.client.workflow.start(retentionReminder, {
      taskQueue: taskQueues.main,
      workflowId: `migration-${setup.input.account}/retention`,
      args: [{ input: setup.input, cutoverAt, ...(tuning ? { tuning } : {}) }],
    });
    started.push(handle);
    return handle;
  }

  async function remaining(store: BlobStore, input: MigrationInput): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of store.list(`${blobLayout.root(input.account)}/`)) keys.push(key);
    return keys;
  }

  async function details(handle: WorkflowHandle): Promise<string> {
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    return metadata.currentDetails ?? '';
  }

  const until = (check: () => Promise<boolean>, what: string) =>
    holds(what, check, { timeoutMs: 30_000, intervalMs: 50 });

  const counts = (report: RetentionReport) =>
    Object.fromEntries(
      report.places.map((p) => [
        p.place,
        { total: p.total, deleted: p.deleted, gone: p.alreadyGone, failed: p.failed },
      ]),
    );

  it('{"action":"delete"} still means the Intercom contacts only, counting ones already gone', async () => {
    const setup = await setUp();
    const { dataset } = setup.harness;
    // Deleted by someone else before the decision: already gone, not deleted by it.
    dataset.contacts.splice(0, 1);
    const handle = await start(setup);
    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    const result = await handle.result();

    assert.deepEqual(dataset.contacts, [], 'every contact deleted');
    assert.equal(dataset.conversations.length, setup.conversationIds.length, 'conversations untouched');
    assert.equal(result.deletedContacts, setup.contactIds.length - 1);
    assert.ok(result.report);
    assert.deepEqual(counts(result.report), {
      'intercom-contacts': { total: 7, deleted: 6, gone: 1, failed: 0 },
    });
    const kept = await remaining(setup.store, setup.input);
    for (const key of setup.snapshotKeys) assert.ok(kept.includes(key), `${key} kept`);
    assert.deepEqual(
      await getJson(setup.store, blobLayout.retentionReport(setup.input.account)),
      result.report,
    );
    assert.equal(setup.harness.sandbox.stats.byRoute['DELETE /contacts/{id}'], 7, 'one request per contact');
  });

  it('"what":["intercom-conversations"] deletes the conversations only, without their reporting data if asked', async () => {
    const setup = await setUp();
    const { dataset } = setup.harness;
    const handle = await start(setup);
    await handle.signal(retentionDecisionSignal, {
      action: 'delete',
      what: ['intercom-conversations'],
      conversationMetrics: 'delete',
    });
    const result = await handle.result();
    assert.deepEqual(dataset.conversations, []);
    assert.equal(dataset.contacts.length, setup.contactIds.length, 'contacts untouched');
    const listed = dataset.deletedConversations.filter((d) => setup.conversationIds.includes(d.id));
    assert.equal(listed.length, 9);
    assert.ok(
      listed.every((d) => d.metrics_retained === false),
      'retain_metrics=false was sent',
    );
    assert.deepEqual(counts(result.report as RetentionReport), {
      'intercom-conversations': { total: 9, deleted: 9, gone: 0, failed: 0 },
    });
    assert.equal(result.deletedContacts, 0);
  });

  it('"what":["snapshot"] deletes the blob data and keeps only the retention report', async () => {
    const setup = await setUp();
    const handle = await start(setup);
    await handle.signal(retentionDecisionSignal, { action: 'delete', what: ['snapshot'] });
    const result = await handle.result();
    assert.equal(setup.harness.dataset.contacts.length, 7, 'Intercom untouched');
    assert.equal(setup.harness.dataset.conversations.length, 9);
    assert.deepEqual((await remaining(setup.store, setup.input)).sort(), [
      blobLayout.retentionReport(setup.input.account),
      blobLayout.retentionReportMarkdown(setup.input.account),
    ]);
    assert.deepEqual(counts(result.report as RetentionReport), {
      snapshot: { total: setup.snapshotKeys.length, deleted: setup.snapshotKeys.length, gone: 0, failed: 0 },
    });
    const markdown = (
      await setup.store.get(blobLayout.retentionReportMarkdown(setup.input.account))
    )?.toString();
    const n = setup.snapshotKeys.length;
    assert.ok(markdown?.includes(`| snapshot | ${n} | ${n} | 0 | 0 | 0 | done |`), markdown);
    assert.match(markdown ?? '', /"You can delete a single contact\."/);
  });

  it('"what":"all" in small batches across continue-as-new: Intercom first, the snapshot last, an exact report', async () => {
    const setup = await setUp();
    const handle = await start(setup, { batchSize: 2, batchesPerRun: 3 });
    await handle.signal(retentionDecisionSignal, { action: 'delete', what: 'all' });
    const result = await handle.result();
    const { runId } = await handle.describe();
    assert.notEqual(runId, handle.firstExecutionRunId, 'the deletion continued as new');
    assert.deepEqual(setup.harness.dataset.contacts, []);
    assert.deepEqual(setup.harness.dataset.conversations, []);
    assert.deepEqual(counts(result.report as RetentionReport), {
      'intercom-conversations': { total: 9, deleted: 9, gone: 0, failed: 0 },
      'intercom-contacts': { total: 7, deleted: 7, gone: 0, failed: 0 },
      snapshot: { total: setup.snapshotKeys.length, deleted: setup.snapshotKeys.length, gone: 0, failed: 0 },
    });
    assert.equal(setup.harness.sandbox.stats.byRoute['DELETE /conversations/{id}'], 9);
    assert.equal(setup.harness.sandbox.stats.byRoute['DELETE /contacts/{id}'], 7);
    assert.equal((await remaining(setup.store, setup.input)).length, 2, 'the report, JSON and Markdown');
    assert.deepEqual(
      await getJson(setup.store, blobLayout.retentionReport(setup.input.account)),
      result.report,
    );
  });

  it('an attempt that dies mid-batch resumes: nothing deleted twice, the report exact', async () => {
    const setup = await setUp();
    setup.harness.dataset.contacts.splice(6, 1);
    // The 3rd contact's DELETE succeeds and the attempt dies before it knows; likewise the 5th blob.
    deps.reset({ contactDeletes: 3, blobDeletes: 5 });
    const handle = await start(setup, { batchSize: 4 });
    await handle.signal(retentionDecisionSignal, {
      action: 'delete',
      what: ['intercom-contacts', 'snapshot'],
    });
    const result = await handle.result();
    const report = result.report as RetentionReport;
    assert.deepEqual(counts(report), {
      'intercom-contacts': { total: 7, deleted: 6, gone: 1, failed: 0 },
      snapshot: { total: setup.snapshotKeys.length, deleted: setup.snapshotKeys.length, gone: 0, failed: 0 },
    });
    assert.equal(report.places[0]?.goneOnResume, 1, 'the in-flight contact was found gone on resume');
    // 7 planned, one re-sent after the crash (its 404 counted as this decision's deletion).
    assert.equal(setup.harness.sandbox.stats.byRoute['DELETE /contacts/{id}'], 8);
    assert.deepEqual(setup.harness.dataset.contacts, []);
    assert.equal(deps.plan.contactDeletes, undefined, 'the crash happened');
    assert.equal(deps.plan.blobDeletes, undefined, 'the blob crash happened');
    assert.match(await details(handle), /\| intercom-contacts \| 7 \| 6 \| 1 \| 0 \| done \|/);
  });

  it('a refused token stops the place; sending the decision again after the fix resumes it', async () => {
    const setup = await setUp();
    setup.harness.sandbox.rotateToken('another-token');
    const handle = await start(setup);
    await handle.signal(retentionDecisionSignal, { action: 'delete', what: ['intercom-contacts'] });
    await until(async () => (await details(handle)).includes('stopped: AccessRefused'), 'the stop');
    assert.equal(setup.harness.dataset.contacts.length, 7);
    const reportKey = blobLayout.retentionReport(setup.input.account);
    await until(() => setup.store.exists(reportKey), 'the partial report');
    const partial = await getJson<RetentionReport>(setup.store, reportKey);
    assert.equal(partial?.places[0]?.stopped?.startsWith('AccessRefused'), true);
    assert.equal(partial?.finishedAt, undefined);

    setup.harness.sandbox.rotateToken(INTERCOM_TOKEN);
    await handle.signal(retentionDecisionSignal, { action: 'delete' });
    const result = await handle.result();
    assert.deepEqual(counts(result.report as RetentionReport), {
      'intercom-contacts': { total: 7, deleted: 7, gone: 0, failed: 0 },
    });
    assert.ok(result.report?.finishedAt);
    const shown = await details(handle);
    assert.match(shown, /\| intercom-contacts \| 7 \| 7 \| 0 \| 0 \| done \|/);
    assert.match(shown, /What Intercom deletes with a contact: .*"You can delete a single contact\."/);
  });

  it('ignores malformed scopes: nothing is deleted until a well-formed decision', async () => {
    const setup = await setUp();
    const handle = await start(setup);
    for (const malformed of [
      { action: 'delete', what: [] },
      { action: 'delete', what: ['intercom-contacts', 'intercom-contacts'] },
      { action: 'delete', what: ['chatwoot'] },
      { action: 'delete', what: 'everything' },
      { action: 'delete', what: 'intercom-contacts' },
      { action: 'delete', conversationMetrics: 'delete' },
      { action: 'delete', what: ['intercom-contacts'], conversationMetrics: 'delete' },
      { action: 'delete', what: 'all', conversationMetrics: 'forget' },
      { action: 'delete', what: 'all', also: 'chatwoot' },
    ]) {
      await handle.signal('retentionDecision', malformed);
    }
    await env.sleep('30 days');
    assert.equal(setup.harness.dataset.contacts.length, 7);
    assert.equal(setup.harness.dataset.conversations.length, 9);
    assert.equal((await remaining(setup.store, setup.input)).length, setup.snapshotKeys.length);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    assert.match(await details(handle), /Ignored a malformed decision: .*"also"/);

    await handle.signal(retentionDecisionSignal, { action: 'delete', what: ['intercom-contacts'] });
    assert.equal((await handle.result()).deletedContacts, 7);
  });
});

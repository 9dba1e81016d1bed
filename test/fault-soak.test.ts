/**
 * The fault soak: a whole migration while both services misbehave (429s, 5xx, dropped connections,
 * latency) and the machinery under it crashes. The worker is a separate process, SIGKILLed during the
 * export, while conversations are being imported, and during verification (or the rollout), and
 * started again each time; the Temporal server itself is stopped and started again on its database
 * file in the middle of the import. Afterwards the sandboxes' own state must hold every item exactly
 * once, and the migration's own verification must say the same.
 *
 * Every wait follows the workflows' progress (describe, the import's `progress` query, the parent's
 * `status` query) under a deadline; every child process is killed in the after hook.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { writeSoakWorkflowBundle } from '../scripts/soak-worker.js';
import type { MigrationInputRaw } from '../src/config.js';
import type { DumpConversation, SandboxDump } from '../src/sandbox/chatwoot/state.js';
import type { FaultConfig } from '../src/sandbox/faults.js';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import type { ImportProgress, MigrationStatus } from '../src/workflows/definitions.js';
import type { ImportTotals } from '../src/workflows/importWorkflow.js';
import {
  type ProcessStack,
  startProcessStack,
  startWorkerProcess,
  type TemporalServerProcess,
  type WorkerProcess,
  waitFor,
  workerEnvFor,
} from './helpers/processes.js';

const CONVERSATIONS = 60;
const MIGRATION_ID = 'migration-1';
const workerScript = fileURLToPath(new URL('../scripts/soak-worker.js', import.meta.url));

/**
 * Every request is delayed; some are refused. A 429 pauses the whole client (the real services'
 * throttles are per token or IP), so its rate is what slows a migration most; Intercom's 429s even
 * wait for the next 10-second window.
 */
const intercomFaults: Partial<FaultConfig> = {
  rate429: 0.01,
  rate5xx: 0.03,
  rateDrop: 0.02,
  latencyMs: 2,
  jitterMs: 10,
  seed: 101,
};
const chatwootFaults: Partial<FaultConfig> = {
  rate429: 0.02,
  rate5xx: 0.05,
  rateDrop: 0.03,
  latencyMs: 2,
  jitterMs: 10,
  seed: 202,
};

interface DuplicateItem {
  kind: 'contact' | 'conversation' | 'message';
  key: string;
  intercomConversationId?: string;
  /** Chatwoot ids and creation times (unix seconds) of the copies. */
  copies: string[];
}

/** What the sandbox holds more than once, named, so a failure says where to look. */
function duplicatesIn(dump: SandboxDump, accountId: number): DuplicateItem[] {
  const account = dump.accounts.find((a) => a.id === accountId);
  if (!account) throw new Error(`no account ${accountId} in the Chatwoot sandbox`);
  const found: DuplicateItem[] = [];
  const groups = <T>(items: T[], keyOf: (item: T) => string | null | undefined) => {
    const byKey = new Map<string, T[]>();
    for (const item of items) {
      const key = keyOf(item);
      if (key) byKey.set(key, [...(byKey.get(key) ?? []), item]);
    }
    return [...byKey].filter(([, copies]) => copies.length > 1);
  };
  for (const [key, copies] of groups(account.contacts, (c) => c.identifier)) {
    found.push({ kind: 'contact', key, copies: copies.map((c) => `${c.id}@${c.created_at}`) });
  }
  const intercomId = (c: DumpConversation) => {
    const id = c.custom_attributes.intercom_conversation_id;
    return typeof id === 'string' ? id : undefined;
  };
  for (const [key, copies] of groups(account.conversations, intercomId)) {
    found.push({
      kind: 'conversation',
      key,
      intercomConversationId: key,
      copies: copies.map((c) => `${c.display_id}@${c.created_at}`),
    });
  }
  for (const conversation of account.conversations) {
    for (const [key, copies] of groups(conversation.messages, (m) => m.source_id)) {
      found.push({
        kind: 'message',
        key,
        intercomConversationId: intercomId(conversation),
        copies: copies.map((m) => `${m.id}@${m.created_at}`),
      });
    }
  }
  return found;
}

describe('fault soak: a migration through crashes, restarts and flaky services', function () {
  // Alone the soak takes about 140 s; on a loaded 2-core CI machine its phases have taken twice as long.
  this.timeout(480_000);
  let stack: ProcessStack;
  let dataDir: string;
  let server: TemporalServerProcess;
  let client: Client;
  let scenario: Scenario;
  let worker: WorkerProcess | undefined;
  let workerEnv: Record<string, string>;
  const workerLogs: string[] = [];
  const events: string[] = [];

  const note = (event: string) => events.push(`${new Date().toISOString()} ${event}`);

  /** SOAK_POST_MORTEM_DIR=<dir> keeps, on failure, what explains it: worker output, histories, Chatwoot's state. */
  const postMortemDir = process.env.SOAK_POST_MORTEM_DIR;
  const keepForPostMortem = (name: string, content: string) => {
    if (!postMortemDir) return;
    mkdirSync(postMortemDir, { recursive: true });
    writeFileSync(join(postMortemDir, name), content);
  };
  const keepHistory = async (workflowId: string) =>
    keepForPostMortem(
      `history-${workflowId.replace(/\W/g, '_')}.json`,
      JSON.stringify(await client.workflow.getHandle(workflowId).fetchHistory(), null, 1),
    );

  before(async () => {
    stack = await startProcessStack('i2c-soak-', (dir) =>
      writeSoakWorkflowBundle(join(dir, 'soak-workflows.js')),
    );
    ({ dataDir, server, client } = stack);
    scenario = await startScenario({
      seed: 23,
      conversations: CONVERSATIONS,
      partsPerConversation: 5,
      caseDuplicateContacts: 4,
      attachmentEvery: 4,
      inlineImageEvery: 7,
      agentTokens: true,
      chatwootMessagesPerMinute: 3000,
      intercomFaults,
      chatwootFaults,
    });
    workerEnv = {
      ...workerEnvFor(server.address, scenario),
      SOAK_WORKFLOW_BUNDLE: join(dataDir, 'soak-workflows.js'),
    };
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    const logs = [...workerLogs, worker?.output() ?? ''].join('\n--- worker restarted ---\n');
    console.error(
      `soak events:\n${events.join('\n')}\nworker output (last 8000 chars):\n${logs.slice(-8000)}`,
    );
    keepForPostMortem('worker.log', logs);
    console.error(`open workflows:\n${(await describeOpenWorkflows().catch(String)).slice(0, 8000)}`);
  });

  /** For a failure report: every running workflow with its running activities and children. */
  const describeOpenWorkflows = async (): Promise<string> => {
    const lines: string[] = [];
    await client.withDeadline(Date.now() + 10_000, async () => {
      for await (const execution of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
        const { raw } = await client.workflow.getHandle(execution.workflowId).describe();
        const activities = (raw.pendingActivities ?? []).map(
          (a) =>
            `${a.activityType?.name} state=${a.state} attempt=${a.attempt} failure=${a.lastFailure?.message ?? ''}`,
        );
        lines.push(
          `${execution.workflowId} (${execution.type}) children=${raw.pendingChildren?.length ?? 0} ${activities.join('; ')}`,
        );
        if (postMortemDir) await keepHistory(execution.workflowId);
      }
    });
    return lines.join('\n');
  };

  after(async () => {
    await stack?.close();
    await scenario?.close();
  });

  const startWorker = async () => {
    worker = await startWorkerProcess({ script: workerScript, env: workerEnv, timeoutMs: 60_000 });
    note(`worker ${worker.pid} running`);
  };

  let kills = 0;
  const killAndRestartWorker = async (when: string) => {
    const victim = worker as WorkerProcess;
    await victim.kill();
    kills++;
    workerLogs.push(victim.output());
    note(`worker ${victim.pid} SIGKILLed ${when}`);
    await startWorker();
  };

  /** A query needs a live worker; while there is none it fails or waits, so it is bounded and optional. */
  const tryQuery = async <T>(workflowId: string, query: string): Promise<T | undefined> => {
    try {
      return await client.withDeadline(Date.now() + 3000, () =>
        client.workflow.getHandle(workflowId).query<T>(query),
      );
    } catch {
      return undefined;
    }
  };

  /** The activities a workflow has running right now, by type, with whether they have heartbeated. */
  const runningActivities = async (workflowId: string) => {
    try {
      const description = await client.withDeadline(Date.now() + 3000, () =>
        client.workflow.getHandle(workflowId).describe(),
      );
      return (description.raw.pendingActivities ?? [])
        .filter((a) => a.lastStartedTime)
        .map((a) => ({
          type: a.activityType?.name ?? '',
          heartbeated: !!a.heartbeatDetails?.payloads?.length,
        }));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return [];
      throw error;
    }
  };

  const importProgress = () => tryQuery<ImportProgress>(`${MIGRATION_ID}/import`, 'progress');

  it('loses nothing and duplicates nothing', async () => {
    const started = Date.now();
    await startWorker();
    const base = scenario.input(`file://${join(dataDir, 'blobs')}`);
    const input: MigrationInputRaw = {
      ...base,
      // Small pages: the export checkpoints several times, so the kill lands between checkpoints.
      export: { pageSize: 10 },
      import: { ...base.import, windowSize: 20, childrenPerRun: 25 },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
    };
    const handle = await client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: MIGRATION_ID,
      args: [input],
    });

    // 1. During the export, once the conversation export has checkpointed at least once.
    await waitFor(
      'the conversation export to checkpoint',
      async () =>
        (await runningActivities(`${MIGRATION_ID}/export`)).some(
          (a) => a.type === 'exportConversations' && a.heartbeated,
        ),
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    await killAndRestartWorker('during the export');

    // 2. While conversations are being imported.
    const deleted = new Set(scenario.intercom.dataset.deletedConversations.map((d) => d.id));
    const total = scenario.intercom.dataset.conversations.filter((c) => !deleted.has(c.id)).length;
    await waitFor(
      'a quarter of the import',
      async () => {
        const progress = await importProgress();
        return !!progress && progress.completed >= total / 4 && progress.inFlight > 0;
      },
      // From the export's kill: its retry waits out the heartbeat timeout, then export, rehosting and
      // mapping run before the first conversation (45-55 s alone, over 90 s once under load).
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    await killAndRestartWorker(`with the import in flight`);

    // 3. The Temporal server goes down and comes back on its database, mid-import, worker running.
    await waitFor(
      'half of the import',
      async () => {
        const progress = await importProgress();
        return !!progress && progress.completed >= total / 2 && progress.inFlight > 0;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    note('stopping the temporal server');
    await server.restart();
    note('temporal server restarted');

    // 4. During verification, or the rollout if verification was too quick to catch.
    let lastPhase: string | undefined;
    await waitFor(
      'verification or the rollout',
      async () => {
        if ((await runningActivities(`${MIGRATION_ID}/verify`)).some((a) => a.type === 'reconcileMigration'))
          return true;
        lastPhase = (await tryQuery<MigrationStatus>(MIGRATION_ID, 'status'))?.phase ?? lastPhase;
        return lastPhase === 'rollout' || lastPhase === 'retention' || lastPhase === 'done';
      },
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    await killAndRestartWorker(lastPhase ? `in phase ${lastPhase}` : 'during verification');

    const result = await client.withDeadline(
      started + 210_000,
      () => handle.result() as Promise<MigrationResult>,
    );
    note(`migration finished: ${result.reconciled}`);
    assert.ok(kills >= 3, `the worker was killed ${kills} times`);

    const dataset = scenario.intercom.dataset;
    const summary = reconcileSandboxes(dataset, scenario.chatwoot.dump(), {
      account: scenario.account,
      activityParts: 'activity',
      timestampLine: true,
      partsCap: 500,
      deletedConversationIds: [...deleted],
    });
    assert.deepEqual(summary.problems, []);
    const duplicates = duplicatesIn(scenario.chatwoot.dump(), scenario.account);
    if (duplicates.length && postMortemDir) {
      keepForPostMortem('chatwoot-dump.json', JSON.stringify({ duplicates, dump: scenario.chatwoot.dump() }));
      for (const { intercomConversationId } of duplicates) {
        if (intercomConversationId) await keepHistory(`${MIGRATION_ID}/conv-${intercomConversationId}`);
      }
    }
    assert.deepEqual(duplicates, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(summary.conversations.expected, total);
    assert.equal(summary.conversations.found, total);
    assert.ok(summary.attachments.expected > 0);

    // The migration's own verification, through Chatwoot's API, agrees with the sandbox's state.
    assert.equal(result.reconciliation.duplicates, 0);
    assert.equal(result.reconciliation.missing, 0);
    assert.equal(result.reconciliation.conversations.found, summary.conversations.found);
    assert.equal(result.reconciliation.messages.found, summary.messages.found);
    assert.equal(result.reconciliation.attachments.found, summary.attachments.found);
    assert.ok(result.rolloutFinished);
    const imported = (await client.workflow.getHandle(`${MIGRATION_ID}/import`).result()) as ImportTotals;
    assert.deepEqual(imported.failedConversationIds, []);
    assert.equal(imported.completed, total);

    // The export's attempt on the killed worker timed out and a new one took over (from its checkpoint).
    const exportHistory = await client.workflow.getHandle(`${MIGRATION_ID}/export`).fetchHistory();
    const exportConversationsScheduled = new Set(
      (exportHistory.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'exportConversations')
        .map((e) => String(e.eventId)),
    );
    const resumedAfterTimeout = (exportHistory.events ?? []).some((e) => {
      const started = e.activityTaskStartedEventAttributes;
      return (
        !!started &&
        exportConversationsScheduled.has(String(started.scheduledEventId)) &&
        (started.attempt ?? 1) > 1 &&
        !!started.lastFailure?.timeoutFailureInfo
      );
    });
    assert.ok(resumedAfterTimeout, 'the conversation export was not retried after the kill');

    // The faults did happen on both sides: a soak without them would prove nothing.
    for (const counts of [scenario.intercom.faults.counts, scenario.chatwoot.faults.counts]) {
      assert.ok(
        counts.injected429 > 0 && counts.injected5xx > 0 && counts.dropped > 0,
        JSON.stringify(counts),
      );
    }
    note(`soak took ${Math.round((Date.now() - started) / 1000)} s`);
    console.log(events.join('\n'));
  });
});

/**
 * Records the histories the replay tests run: a small migration on a fresh local dev server, then
 * one history per workflow type (`temporal workflow show --output json`) into test/histories/.
 * Run after changing workflow code on purpose (and keep old histories that must still replay):
 *   make build && node dist/scripts/record-histories.js
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@temporalio/worker';
import { runErase } from '../src/cli/erase.js';
import { repoRoot, startDevServer, temporalCliPath } from '../src/localStack.js';
import { startScenario } from '../src/sandbox/scenario.js';
import { createWorkerSet } from '../src/worker.js';
import { retentionDecisionSignal } from '../src/workflows/definitions.js';

async function main(): Promise<void> {
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'i2c-record-'));
  const server = await startDevServer({ port: 7299, uiPort: 8299 });
  const scenario = await startScenario({
    seed: 11,
    conversations: 12,
    partsPerConversation: 4,
    caseDuplicateContacts: 2,
    attachmentEvery: 3,
    chatwootMessagesPerMinute: 3000,
  });
  const workers = await createWorkerSet({
    address: server.address,
    namespace: 'default',
    env: {
      intercomToken: scenario.intercomToken,
      chatwootToken: scenario.chatwootToken,
      chatwootAgentTokens: {},
    },
  });
  const running = workers.run();
  try {
    const input = {
      ...scenario.input(`file://${join(dataDir, 'blobs')}`),
      import: { windowSize: 4, childrenPerRun: 5, messagesPerMinute: 2850 },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
      retention: { after: '2s' },
    };
    await workers.client.workflow.execute('accountMigration', {
      taskQueue: 'migration',
      workflowId: 'migration-1',
      args: [input],
    });
    const show = (workflowId: string, runId: string | undefined, name: string): void => {
      const json = execFileSync(
        temporalCliPath(),
        [
          'workflow',
          'show',
          '--address',
          server.address,
          '-w',
          workflowId,
          ...(runId ? ['-r', runId] : []),
          '--output',
          'json',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const file = join(repoRoot, 'test', 'histories', `${name}.json`);
      writeFileSync(file, json);
      console.log(`recorded ${name} (${workflowId}) -> ${file}`);
    };
    // The plan reads without writing; the erasure removes one contact; both are their own workflows.
    await workers.client.workflow.execute('migrationPlan', {
      taskQueue: 'migration',
      workflowId: 'migration-1/plan',
      args: [input],
    });
    show('migration-1/plan', undefined, 'migrationPlan');
    const person = scenario.intercom.dataset.contacts[0];
    if (!person) throw new Error('the scenario has no contact to erase');
    await runErase(workers.client, { account: 1, intercomContact: person.id });
    for await (const execution of workers.client.workflow.list({ query: "WorkflowType = 'erasePerson'" }))
      show(execution.workflowId, execution.runId, 'erasePerson');
    // Answer the year-later reminder so its first run completes (continues as new) and can be recorded.
    const retention = workers.client.workflow.getHandle('migration-1/retention');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await retention.signal(retentionDecisionSignal, { action: 'keep', for: '1 day' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const seen = new Set<string>();
    for await (const execution of workers.client.workflow.list()) {
      if (seen.has(execution.type) || execution.type === 'migrationPlan' || execution.type === 'erasePerson')
        continue;
      // The retention reminder is still waiting for its decision: record the rest, complete runs only.
      if (execution.status.name !== 'COMPLETED' && execution.status.name !== 'CONTINUED_AS_NEW') continue;
      seen.add(execution.type);
      show(execution.workflowId, execution.runId, execution.type);
    }
    // Last, as it deletes the snapshot: a second reminder whose decision deletes everything.
    const deleting = await workers.client.workflow.start('retentionReminder', {
      taskQueue: 'migration',
      workflowId: 'migration-1/retention-delete-all',
      args: [{ input, cutoverAt: Date.now() - 10_000 }],
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await deleting.signal(retentionDecisionSignal, { action: 'delete', what: 'all' });
    await deleting.result();
    show('migration-1/retention-delete-all', undefined, 'retentionReminder.delete-scope');
  } finally {
    workers.shutdown();
    await running;
    await scenario.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

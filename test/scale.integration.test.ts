/**
 * 2,000 conversations through the import's sliding window and its continue-as-new, on the real
 * local Temporal server: exactly once at scale, bounded histories, and pause honoured between
 * conversations.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import { createWorkerSet, type WorkerSet, workflowBundle } from '../src/worker.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { importProgressQuery, pauseSignal, resumeSignal } from '../src/workflows/definitions.js';
import { startLocalTemporal } from './helpers/temporal.js';

const CONVERSATIONS = 2000;
const CHILDREN_PER_RUN = 400;

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`a migration of ${CONVERSATIONS} conversations`, function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;
  let scenario: Scenario;
  let workers: WorkerSet;
  let running: Promise<void>;
  let dataDir: string;

  before(async () => {
    env = await startLocalTemporal();
    scenario = await startScenario({
      seed: 2000,
      conversations: CONVERSATIONS,
      partsPerConversation: 3,
      attachmentEvery: 0,
      inlineImageEvery: 0,
      caseDuplicateContacts: 10,
      chatwootMessagesPerMinute: 3000,
      intercomRateLimitPer10s: 100_000,
      chatwootThrottlePerMinute: 1_000_000,
    });
    dataDir = mkdtempSync(join(tmpdir(), 'i2c-scale-'));
    workers = await createWorkerSet({
      connections: { native: env.nativeConnection, client: env.client },
      namespace: 'default',
      env: {
        intercomToken: scenario.intercomToken,
        chatwootToken: scenario.chatwootToken,
        chatwootAgentTokens: {},
      },
      workflowBundle: await workflowBundle(),
    });
    running = workers.run();
  });

  after(async () => {
    workers?.shutdown();
    await running;
    await scenario?.close();
    await env?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports every conversation exactly once through the window and continue-as-new, pausing on request', async () => {
    const base = scenario.input(`file://${join(dataDir, 'blobs')}`);
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: 'migration-1',
      args: [
        {
          ...base,
          import: { ...base.import, windowSize: 40, childrenPerRun: CHILDREN_PER_RUN },
          rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
        },
      ],
    });

    // Pause once the import is under way: no new conversation starts until resume.
    const importHandle = env.client.workflow.getHandle('migration-1/import');
    await waitFor('the import to start conversations', async () => {
      const progress = await importHandle.query(importProgressQuery);
      return progress.started >= 100 ? progress : undefined;
    });
    await handle.signal(pauseSignal);
    const drained = await waitFor('in-flight conversations to finish', async () => {
      const progress = await importHandle.query(importProgressQuery);
      return progress.paused && progress.inFlight === 0 ? progress : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stillPaused = await importHandle.query(importProgressQuery);
    assert.equal(stillPaused.started, drained.started, 'no conversation started while paused');
    assert.ok(stillPaused.started < CONVERSATIONS);
    await handle.signal(resumeSignal);

    const result = (await handle.result()) as MigrationResult;
    const dataset = scenario.intercom.dataset;
    const summary = reconcileSandboxes(dataset, scenario.chatwoot.dump(), {
      account: scenario.account,
      activityParts: 'note',
      timestampLine: true,
      partsCap: 500,
      deletedConversationIds: dataset.deletedConversations.map((d) => d.id),
    });
    assert.deepEqual(summary.problems.slice(0, 5), []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.ok(
      summary.conversations.found >= CONVERSATIONS * 0.9,
      `${summary.conversations.found} conversations`,
    );
    assert.equal(result.reconciliation.missing, 0);

    // Continue-as-new kept every run of the import small.
    const runs: number[] = [];
    for await (const execution of env.client.workflow.list({ query: `WorkflowId = 'migration-1/import'` })) {
      runs.push(execution.historyLength);
    }
    assert.ok(
      runs.length >= Math.floor(summary.conversations.expected / CHILDREN_PER_RUN),
      `${runs.length} runs`,
    );
    for (const length of runs) assert.ok(length < 6000, `an import run has ${length} events`);
  });
});

/**
 * 2,000 conversations through the import's sliding window and its continue-as-new, on the real
 * local Temporal server: exactly once at scale, bounded histories, and pause honoured between
 * conversations.
 */
import assert from 'node:assert/strict';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { importProgressQuery, pauseSignal, resumeSignal } from '../src/workflows/definitions.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

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
  let rig: MigrationRig;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 2000,
        conversations: CONVERSATIONS,
        partsPerConversation: 3,
        attachmentEvery: 0,
        inlineImageEvery: 0,
        caseDuplicateContacts: 10,
        chatwootMessagesPerMinute: 3000,
        intercomRateLimitPer10s: 100_000,
        chatwootThrottlePerMinute: 1_000_000,
      },
      withoutAgentTokens: true,
    });
  });

  after(() => rig?.close());

  it('imports every conversation exactly once through the window and continue-as-new, pausing on request', async () => {
    const { env, scenario } = rig;
    const handle = await rig.start(
      rig.input({
        import: { ...scenario.input('').import, windowSize: 40, childrenPerRun: CHILDREN_PER_RUN },
      }),
    );

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
    const summary = scenario.reconcile();
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

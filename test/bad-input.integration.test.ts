/**
 * Wrong configuration and refused tokens, end to end on the real local Temporal server: a wrong
 * account id or token fails the migration before anything is written, with what to fix; a token
 * revoked mid-way holds the migration with the reason, and after the fix and a resume it finishes
 * with nothing lost and nothing written twice.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { type MigrationInputRaw, workflowIds } from '../src/config.js';
import { type Scenario, type ScenarioOptions, startScenario } from '../src/sandbox/scenario.js';
import { createBlobStore } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import type { WorkerSet } from '../src/worker.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { importProgressQuery, resumeSignal, statusQuery } from '../src/workflows/definitions.js';
import { PREFLIGHT_FAILED } from '../src/workflows/failureTypes.js';
import { eventually as poll } from './helpers/eventually.js';
import {
  chatwootWrites,
  runWorkers,
  type ScenarioTokens,
  startMigration as startMigrationOn,
  temporalSuite,
} from './helpers/migrationHarness.js';

const ADMIN_EMAIL = 'migration-bot@sandbox.test';

describe('bad configuration and refused tokens', function () {
  this.timeout(240_000);
  const suite = temporalSuite('i2c-bad-input-', { cleanupAfterEach: true });
  const { cleanups } = suite;

  async function sandboxes(options: Partial<ScenarioOptions> & { account: number }): Promise<Scenario> {
    const scenario = await startScenario({
      seed: options.account,
      conversations: 30,
      partsPerConversation: 4,
      attachmentEvery: 5,
      agentTokens: true,
      chatwootMessagesPerMinute: 3000,
      ...options,
    });
    cleanups.push(() => scenario.close());
    return scenario;
  }

  async function startWorkers(tokens: ScenarioTokens): Promise<WorkerSet> {
    const running = await runWorkers(suite.env, tokens, { bundle: suite.bundle });
    cleanups.push(running.stop);
    return running.workers;
  }

  function migrationInput(scenario: Scenario, overrides: Partial<MigrationInputRaw> = {}): MigrationInputRaw {
    const base = scenario.input(`file://${join(suite.dataDir, `blobs-${scenario.account}`)}`);
    return {
      ...base,
      import: { ...base.import, windowSize: 4 },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
      ...overrides,
    };
  }

  const startMigration = (input: MigrationInputRaw) => startMigrationOn(suite.env.client, input);

  /** The migration's own failure (under the client's WorkflowFailedError). */
  async function failureOf(result: Promise<unknown>): Promise<Error & { type?: string }> {
    const error = await result.then(
      () => assert.fail('the migration should have failed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof Error);
    return error.cause as Error & { type?: string };
  }

  const eventually = <T>(what: string, probe: () => Promise<T | undefined>) =>
    poll(what, probe, { timeoutMs: 60_000, intervalMs: 100 });

  const writesTo = chatwootWrites;

  const reconcile = (scenario: Scenario) => scenario.reconcile();

  /** Both the sandboxes' own state and the workflow's verification: all there, nothing twice. */
  function assertMigratedExactlyOnce(scenario: Scenario, result: MigrationResult): void {
    const summary = reconcile(scenario);
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(summary.conversations.found, summary.conversations.expected);
    assert.equal(result.reconciliation.duplicates, 0);
    assert.equal(result.reconciliation.missing, 0);
  }

  it('an unknown Chatwoot account fails before anything is written, naming the account', async () => {
    const scenario = await sandboxes({ account: 21 });
    await startWorkers(scenario);
    const handle = await startMigration(migrationInput(scenario, { account: 9021 }));
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, PREFLIGHT_FAILED);
    assert.match(failure.message, /Chatwoot account 9021 does not exist, or the user of CHATWOOT_TOKEN/);
    assert.match(failure.message, /its accounts: 21/);
    assert.match(failure.message, /Nothing was written/);
    assert.equal(writesTo(scenario), 0);
    assert.equal(scenario.intercom.stats.byRoute['GET /conversations'] ?? 0, 0);
  });

  it('a wrong Intercom token fails before anything is written, naming INTERCOM_TOKEN', async () => {
    const scenario = await sandboxes({ account: 22 });
    // An agent token wrong too: the two services are checked at once (the Chatwoot half on the
    // Chatwoot queue), and Intercom's verdict still comes first.
    const [first, second] = Object.entries(scenario.chatwootAgentTokens);
    assert.ok(first && second, 'the scenario has at least two agents with tokens');
    const swapped = { ...scenario.chatwootAgentTokens, [first[0]]: second[1], [second[0]]: first[1] };
    await startWorkers({
      ...scenario,
      intercomToken: 'not-the-workspace-token',
      chatwootAgentTokens: swapped,
    });
    const handle = await startMigration(migrationInput(scenario));
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, PREFLIGHT_FAILED);
    assert.match(failure.message, /Intercom rejected the access token \(401\)/);
    assert.match(failure.message, /INTERCOM_TOKEN/);
    assert.equal(writesTo(scenario), 0);
  });

  it('an agent token listed under another agent fails before anything is written, without naming e-mails', async () => {
    const scenario = await sandboxes({ account: 23 });
    const [first, second] = Object.entries(scenario.chatwootAgentTokens);
    assert.ok(first && second, 'the scenario has at least two agents with tokens');
    const swapped = { ...scenario.chatwootAgentTokens, [first[0]]: second[1], [second[0]]: first[1] };
    await startWorkers({ ...scenario, chatwootAgentTokens: swapped });
    const failure = await failureOf((await startMigration(migrationInput(scenario))).result());
    assert.equal(failure.type, PREFLIGHT_FAILED);
    assert.match(failure.message, /entry 1 of CHATWOOT_AGENT_TOKENS belongs to Chatwoot user \d+/);
    assert.ok(!failure.message.includes('@'), `no e-mail in the failure: ${failure.message}`);
    assert.equal(writesTo(scenario), 0);
  });

  it('a Chatwoot token revoked mid-import holds the migration; after the fix and resume nothing is lost or doubled', async () => {
    const scenario = await sandboxes({ account: 24, conversations: 40 });
    const workers = await startWorkers(scenario);
    const handle = await startMigration(migrationInput(scenario));
    const importHandle = suite.env.client.workflow.getHandle(workflowIds.child(24, 'import'));
    await eventually('ten conversations imported', async () => {
      const progress = await importHandle.query(importProgressQuery).catch(() => undefined);
      return progress && progress.completed >= 10 ? progress : undefined;
    });

    // The administrator resets the token in Chatwoot's profile page: every later request is refused.
    const newToken = scenario.chatwoot.state.resetAccessToken(ADMIN_EMAIL);
    const blocked = await eventually('the migration to block', async () => {
      const status = await handle.query(statusQuery);
      return status.blocked ? status : undefined;
    });
    assert.equal(blocked.phase, 'import');
    assert.equal(blocked.paused, true);
    assert.match(blocked.blocked ?? '', /Chatwoot rejected the access token \(401\)/);
    assert.match(blocked.blocked ?? '', /CHATWOOT_TOKEN/);
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    assert.match(metadata.currentDetails ?? '', /\*\*Blocked:\*\* Chatwoot rejected the access token/);
    assert.match(metadata.currentDetails ?? '', /then signal \*\*resume\*\*/);

    // Held, not failing through the list: nothing counted as failed, and nothing new is started.
    const held = await eventually('the import to settle', async () => {
      const progress = await importHandle.query(importProgressQuery);
      return progress.inFlight === 0 ? progress : undefined;
    });
    assert.equal(held.failed, 0);
    assert.ok(held.completed >= 10 && held.completed < 40, `completed ${held.completed}`);
    const migratedWhileBlocked = reconcile(scenario).conversations.found;
    assert.ok(migratedWhileBlocked >= held.completed, 'what was imported is still there');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await importHandle.query(importProgressQuery)).started, held.started, 'nothing started');

    // The operator puts the new token into the workers' environment, restarts them and resumes.
    workers.shutdown();
    await startWorkers({ ...scenario, chatwootToken: newToken });
    await handle.signal(resumeSignal);
    assertMigratedExactlyOnce(scenario, (await handle.result()) as MigrationResult);
    const status = await handle.query(statusQuery);
    assert.equal(status.blocked, undefined);
    assert.equal(status.imported?.failed, 0);
  });

  it('an Intercom token rotated mid-export holds the migration until resumed, then the export runs again', async () => {
    const scenario = await sandboxes({ account: 25, intercomFaults: { latencyMs: 40 } });
    const workers = await startWorkers(scenario);
    const handle = await startMigration(migrationInput(scenario));
    await eventually('the export to start', async () => {
      const status = await handle.query(statusQuery);
      return status.phase === 'export' ? status : undefined;
    });
    const rotated = 'rotated-intercom-token';
    scenario.intercom.rotateToken(rotated);
    const blocked = await eventually('the migration to block', async () => {
      const status = await handle.query(statusQuery);
      return status.blocked ? status : undefined;
    });
    assert.equal(blocked.phase, 'export');
    assert.match(blocked.blocked ?? '', /Intercom rejected the access token \(401\)/);
    assert.equal(writesTo(scenario), 0, 'nothing reaches Chatwoot before the export is complete');

    workers.shutdown();
    await startWorkers({ ...scenario, intercomToken: rotated });
    await handle.signal(resumeSignal);
    assertMigratedExactlyOnce(scenario, (await handle.result()) as MigrationResult);
  });

  it('malformed, oversized and badly encoded Intercom data is set aside or cleaned; the rest is migrated exactly once', async () => {
    const scenario = await sandboxes({ account: 26 });
    const withParts = scenario.intercom.dataset.conversations.filter(
      (c) => (c.conversation_parts?.conversation_parts.length ?? 0) > 1,
    );
    const [malformed, huge, dirty] = withParts;
    const firstPart = (conversation: (typeof withParts)[number]) => {
      const part = conversation.conversation_parts?.conversation_parts[0];
      assert.ok(part);
      return part;
    };
    // A shape the schema refuses (Intercom sends Unix seconds), a body far over Chatwoot's 150,000
    // characters, and text PostgreSQL cannot store: a lone surrogate from a cut emoji and a NUL.
    (firstPart(malformed) as { created_at: unknown }).created_at = 'yesterday';
    firstPart(huge).body = `<p>${'lorem ipsum dolor '.repeat(25_000)}</p>`;
    firstPart(dirty).body = '<p>half an emoji \ud83d and a NUL \u0000 here</p>';
    const contact = scenario.intercom.dataset.contacts[0];
    contact.name = `${'Very Long Name '.repeat(40)}\u0000`;

    await startWorkers(scenario);
    const result = (await (await startMigration(migrationInput(scenario))).result()) as MigrationResult;
    assert.match(result.reconciled, /duplicates 0, missing 0, rejected 1$/);

    const summary = scenario.reconcile({ rejectedConversationIds: [malformed.id] });
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(summary.rejected, 1);
    assert.equal(summary.messages.found, summary.messages.expected);

    const account = scenario.chatwoot.dump().accounts.find((a) => a.id === scenario.account);
    assert.ok(account);
    const stored = JSON.stringify(account);
    assert.ok(!stored.includes('\\u0000'), 'no NUL reached Chatwoot');
    assert.doesNotMatch(stored, /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i, 'no lone surrogate reached Chatwoot');
    const hugeTarget = account.conversations.find(
      (c) => c.custom_attributes.intercom_conversation_id === huge.id,
    );
    assert.ok(hugeTarget, 'the oversized conversation was imported');

    // Through the store: the snapshot, reports included, is encrypted at rest.
    const report = (
      (await createBlobStore(`file://${join(suite.dataDir, `blobs-${scenario.account}`)}`).get(
        blobLayout.reportMarkdown(scenario.account),
      )) ?? Buffer.alloc(0)
    ).toString('utf8');
    assert.match(report, new RegExp(`${malformed.id}[^\\n]*created_at`));
  });
});

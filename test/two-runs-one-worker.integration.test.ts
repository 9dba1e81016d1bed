/**
 * One long-running worker serves two migrations of the same account one after the other (a
 * rehearsal, then the real run) with different blob stores and sandboxes. Each must find its own
 * export, mapping and contacts: nothing cached for the first may leak into the second.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../src/config.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type RunningWorkers, runWorkers } from './helpers/migrationHarness.js';
import { startLocalTemporal } from './helpers/temporal.js';

describe('two migrations of one account on one worker', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let workers: RunningWorkers;
  const scenarios: Scenario[] = [];
  let dataDir: string;

  before(async () => {
    env = await startLocalTemporal();
    dataDir = mkdtempSync(join(tmpdir(), 'i2c-two-runs-'));
    // Different workspaces behind the same token, as a rehearsal copy and production would be.
    for (const [seed, conversations] of [
      [31, 14],
      [32, 18],
    ] as const) {
      scenarios.push(
        await startScenario({
          seed,
          conversations,
          partsPerConversation: 4,
          attachmentEvery: 3,
          inlineImageEvery: 4,
          intercomToken: 'one-token-for-both',
          chatwootMessagesPerMinute: 3000,
        }),
      );
    }
    workers = await runWorkers(env, scenarios[0] as Scenario);
  });

  after(async () => {
    await workers?.stop();
    for (const scenario of scenarios) await scenario.close();
    await env?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function migrate(scenario: Scenario, blobs: string): Promise<MigrationResult> {
    const input = {
      ...scenario.input(`file://${join(dataDir, blobs)}`),
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
    };
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: workflowIds.migration(scenario.account),
      args: [input],
    });
    const result = (await handle.result()) as MigrationResult;
    // The year-long retention reminder of the first run would hold the second run's id.
    await env.client.workflow.getHandle(result.retentionWorkflowId).terminate('next run of the account');
    return result;
  }

  it("imports each run's own data into each run's Chatwoot", async () => {
    const [first, second] = scenarios as [Scenario, Scenario];
    await migrate(first, 'rehearsal');
    await migrate(second, 'production');

    for (const scenario of [first, second]) {
      const summary = scenario.reconcile();
      assert.deepEqual(summary.problems, []);
      assert.equal(summary.missing, 0);
      assert.equal(summary.duplicates, 0);
      assert.equal(summary.conversations.found, summary.conversations.expected);
    }
    // No conversation of the rehearsal's workspace reached production's Chatwoot, and the other way round.
    const idsOf = (scenario: Scenario) =>
      new Set(
        scenario.chatwoot
          .dump()
          .accounts[0].conversations.map((c) =>
            c.custom_attributes.intercom_ticket_id !== undefined
              ? `ticket ${String(c.custom_attributes.intercom_ticket_id)}`
              : String(c.custom_attributes.intercom_conversation_id),
          ),
      );
    const workspaceIds = (scenario: Scenario) =>
      new Set([
        ...scenario.intercom.dataset.conversations.map((c) => c.id),
        ...(scenario.intercom.dataset.tickets ?? []).map((t) => `ticket ${t.id}`),
      ]);
    assert.deepEqual(idsOf(second), workspaceIds(second));
    assert.deepEqual(idsOf(first), workspaceIds(first));
    // Inline images point at each run's own Intercom host.
    const firstHost = new URL(first.intercom.url).host;
    assert.notEqual(firstHost, new URL(second.intercom.url).host);
    const bodies = second.chatwoot
      .dump()
      .accounts[0].conversations.flatMap((c) => c.messages.map((m) => m.content ?? ''))
      .join('\n');
    assert.ok(!bodies.includes(firstHost), "production's messages link to the rehearsal's Intercom");
  });
});

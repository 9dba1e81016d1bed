/**
 * Export and import overlapped (issue 15): on the real local Temporal server, a migration whose
 * Chatwoot budget bounds it starts importing conversations while the export is still running, imports
 * everything exactly once, and reports how close its wall time comes to (Chatwoot requests / budget).
 * Timing is printed, not asserted (the machine is shared); the order of events is asserted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { workflowIds } from '../src/config.js';
import { createBlobStore, getJson } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { migrationRigSuite } from './helpers/migrationHarness.js';

const BUDGET = 40;

describe('an import that follows the export', function () {
  this.timeout(300_000);
  const arrivals: number[] = [];
  const rig = migrationRigSuite({
    scenario: {
      seed: 23,
      conversations: 160,
      partsPerConversation: 4,
      caseDuplicateContacts: 3,
      attachmentEvery: 5,
      inlineImageEvery: 9,
      chatwootMessagesPerMinute: 100_000,
      onChatwootRequest: (atMs) => arrivals.push(atMs),
    },
    // Intercom slower than the import needs, as a big workspace's export is: the export lasts long
    // enough that an import waiting for it would visibly start late.
    environment: { chatwootRequestsPerSecond: BUDGET, intercomRequestsPerSecond: 12 },
  });

  it('imports its first conversation before the export has finished, and everything exactly once', async () => {
    const { env, scenario, dataDir } = rig;
    const blobDir = join(dataDir, 'blobs');
    const input = {
      ...scenario.input(`file://${blobDir}`),
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
      export: { pageSize: 10 },
      import: { ...scenario.input('').import, windowSize: 4, childrenPerRun: 60 },
    };
    const startedAt = Date.now();
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: workflowIds.migration(scenario.account),
      args: [input],
    });
    const result = (await handle.result()) as MigrationResult;

    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(summary.conversations.found, summary.conversations.expected);
    assert.ok(summary.conversations.expected >= 150);
    assert.ok(summary.attachments.expected > 0);
    assert.equal(summary.attachments.found, summary.attachments.expected);
    assert.equal(result.reconciliation.duplicates, 0);

    const describe = (id: string) => env.client.workflow.getHandle(id).describe();
    const exportRun = await describe(workflowIds.child(scenario.account, 'export'));
    const verifyRun = await describe(workflowIds.child(scenario.account, 'verify'));
    // Through the store: the snapshot is encrypted at rest (storage/protectedStore.ts).
    const store = createBlobStore(`file://${blobDir}`);
    const manifest = (await getJson<{ chunks: { key: string }[] }>(
      store,
      blobLayout.entityManifest(scenario.account, 'conversations'),
    )) ?? { chunks: [] };
    assert.ok(manifest.chunks.length >= 15, 'the export wrote many chunks');
    const firstChunk = ((await store.get(manifest.chunks[0].key)) ?? Buffer.alloc(0)).toString('utf8');
    const firstId = (JSON.parse(firstChunk.split('\n')[0]) as { id: string }).id;
    const firstConversation = await describe(workflowIds.conversation(scenario.account, firstId));
    const exportClosed = exportRun.closeTime?.getTime() ?? Number.POSITIVE_INFINITY;
    const firstImported = firstConversation.closeTime?.getTime() ?? Number.POSITIVE_INFINITY;
    assert.ok(
      firstImported < exportClosed,
      `the first conversation was imported at ${new Date(firstImported).toISOString()}, the export closed at ${new Date(exportClosed).toISOString()}`,
    );

    // What the budget allows: every Chatwoot request of the migration up to the verification's end.
    const verifyClosed = verifyRun.closeTime?.getTime() ?? Date.now();
    const requests = arrivals.filter((at) => at <= verifyClosed).length;
    const wallS = (verifyClosed - startedAt) / 1000;
    const boundS = requests / BUDGET;
    const exportS = (exportClosed - startedAt) / 1000;
    const firstS = (firstImported - startedAt) / 1000;
    console.log(
      `      overlap: conversations=${summary.conversations.expected} chatwoot_requests=${requests} budget=${BUDGET}/s ` +
        `budget_bound_s=${boundS.toFixed(1)} e2e_to_verified_s=${wallS.toFixed(1)} ratio=${(wallS / boundS).toFixed(3)} ` +
        `export_closed_s=${exportS.toFixed(1)} first_conversation_imported_s=${firstS.toFixed(1)}`,
    );
  });
});

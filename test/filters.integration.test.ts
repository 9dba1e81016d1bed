/**
 * A migration with filters on the sandboxes (issue 16): the left-out counts of the report equal an
 * independent count from the generated workspace (the rules written again here, from the README),
 * nothing left out reaches Chatwoot, and the sandbox reconciliation is exact over what was kept.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import { workflowIds } from '../src/config.js';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import { blobLayout } from '../src/storage/layout.js';
import { migrationRigSuite } from './helpers/migrationHarness.js';

describe('a migration with filters', function () {
  this.timeout(300_000);
  const rig = migrationRigSuite({
    scenario: { seed: 16, conversations: 80, partsPerConversation: 3 },
  });

  it('leaves out what the filters say, counts it by reason, and imports the rest exactly', async () => {
    const { env, scenario, dataDir } = rig;
    const dataset = scenario.intercom.dataset;
    const deleted = new Set(dataset.deletedConversations.map((d) => d.id));
    const live = dataset.conversations.filter((c) => !deleted.has(c.id));
    // A cut in the middle of the workspace's updates, written with a zone other than UTC.
    const times = live.map((c) => c.updated_at).sort((a, b) => a - b);
    const cut = times[Math.floor(times.length / 3)] as number;
    const cutText = new Date((cut + 3600) * 1000).toISOString().replace('Z', '+01:00').replace('.000', '');
    const tagCounts = new Map<string, number>();
    for (const c of live)
      for (const t of c.tags?.tags ?? []) tagCounts.set(t.name, (tagCounts.get(t.name) ?? 0) + 1);
    const tag = [...tagCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    assert.ok(tag, 'the generated workspace has tagged conversations');
    const filters = {
      conversations: { updatedSince: cutText, states: ['open', 'closed'], excludeTags: [tag.toUpperCase()] },
    };

    // The independent count: the README's rules, in its order of reasons.
    const reasonOf = (c: Conversation) => {
      if (c.updated_at < cut) return 'updated-before';
      if (!['open', 'closed'].includes(c.state)) return 'state';
      if ((c.tags?.tags ?? []).some((t) => t.name.toLowerCase() === tag.toLowerCase())) return 'excluded-tag';
      return 'kept';
    };
    const expected: Record<string, number> = { 'updated-before': 0, state: 0, 'excluded-tag': 0, kept: 0 };
    for (const c of live) expected[reasonOf(c)] = (expected[reasonOf(c)] ?? 0) + 1;
    assert.ok(
      expected['updated-before'] > 0 && expected['excluded-tag'] > 0 && expected.kept > 0,
      JSON.stringify(expected),
    );

    const blobDir = join(dataDir, 'blobs');
    const input = {
      // Plain on purpose: the test reads the report straight from the folder.
      ...scenario.input(`file://${blobDir}?encryption=none`),
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
      filters,
    };
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: workflowIds.migration(scenario.account),
      args: [input],
    });
    await handle.result();

    const report = JSON.parse(readFileSync(join(blobDir, blobLayout.report(scenario.account)), 'utf8')) as {
      leftOut: { conversations: Record<string, number>; contacts: { unreferenced: number } };
      summary: { missing: number; duplicates: number; conversations: { expected: number; found: number } };
    };
    assert.deepEqual(
      {
        'updated-before': report.leftOut.conversations['updated-before'],
        state: report.leftOut.conversations.state,
        'excluded-tag': report.leftOut.conversations['excluded-tag'],
      },
      {
        'updated-before': expected['updated-before'],
        state: expected.state,
        'excluded-tag': expected['excluded-tag'],
      },
    );
    assert.equal(report.leftOut.contacts.unreferenced, 0);
    assert.equal(report.summary.missing, 0);
    assert.equal(report.summary.duplicates, 0);
    assert.equal(report.summary.conversations.expected, expected.kept);
    const markdown = readFileSync(
      join(blobDir, blobLayout.report(scenario.account).replace(/\.json$/, '.md')),
      'utf8',
    );
    assert.match(markdown, /## Left out by the filters/);

    // Nothing left out is in Chatwoot; the reconciliation over the kept conversations is exact.
    const kept = new Set(live.filter((c) => reasonOf(c) === 'kept').map((c) => c.id));
    const dump = scenario.chatwoot.dump();
    const account = dump.accounts.find((a) => a.id === scenario.account);
    const imported = (account?.conversations ?? [])
      .map((c) => c.custom_attributes.intercom_conversation_id)
      .filter((id): id is string => typeof id === 'string');
    assert.deepEqual(
      imported.filter((id) => !kept.has(id)),
      [],
    );
    const summary = reconcileSandboxes(
      { ...dataset, conversations: live.filter((c) => kept.has(c.id)) },
      dump,
      {
        account: scenario.account,
        activityParts: 'activity',
        timestampLine: true,
        partsCap: 500,
        deletedConversationIds: [...deleted],
      },
    );
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.conversations.found, kept.size);
  });
});

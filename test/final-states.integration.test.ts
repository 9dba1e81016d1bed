/**
 * The batched effect, checked after a whole migration: the verification compares each conversation's
 * status and labels in Chatwoot with Intercom's from the archive listing it already pages (no request
 * of its own), and the rollout's from_intercom check reads the same listing instead of one
 * POST /conversations/filter per conversation.
 */
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ReconciliationSummary } from '../src/activities/contract.js';
import { ActivityDeps } from '../src/activities/deps.js';
import { createRolloutCheckActivities } from '../src/activities/rollout/checks.js';
import { createVerificationActivities } from '../src/activities/verification/chatwootWrites.js';
import type { FinalStateMismatch } from '../src/activities/verification/finalStates.js';
import { parseMigrationInput } from '../src/config.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig, workerEnvironment } from './helpers/migrationHarness.js';

const A = '/api/v1/accounts/:account_id';

/** The test's own rules (not the product's mapping): Intercom state -> Chatwoot status, tag -> label. */
const statusOf = (state: string) => ({ closed: 'resolved', snoozed: 'snoozed' })[state] ?? 'open';
const labelOf = (tag: string) =>
  tag
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '');

describe('final statuses and labels after the batched import', function () {
  this.timeout(600_000);
  let rig: MigrationRig;
  let result: MigrationResult;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 23,
        conversations: 80,
        partsPerConversation: 4,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
    result = (await (await rig.start(rig.input())).result()) as MigrationResult;
  });
  after(() => rig?.close());

  const account = () => rig.scenario.chatwoot.dump().accounts[0];
  const migrated = () =>
    account().conversations.filter((c) => typeof c.custom_attributes.intercom_conversation_id === 'string');
  const post = async (path: string, body: unknown) => {
    const { scenario } = rig;
    const response = await fetch(`${scenario.chatwoot.url}/api/v1/accounts/${scenario.account}${path}`, {
      method: 'POST',
      headers: { api_access_token: scenario.chatwootToken, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, await response.clone().text());
  };
  const requests = async <T>(run: () => Promise<T>) => {
    const byRoute = () => ({ ...rig.scenario.chatwoot.stats.byRoute });
    const before = byRoute();
    const value = await run();
    const after = byRoute();
    const sent = (route: string) => (after[route] ?? 0) - (before[route] ?? 0);
    const total = Object.keys(after).reduce((sum, route) => sum + sent(route), 0);
    return { value, sent, total };
  };
  const input = () => {
    const parsed = parseMigrationInput(rig.input());
    assert.ok(parsed.ok);
    return parsed.input;
  };
  const deps = () => new ActivityDeps(workerEnvironment(rig.scenario));

  it('counts every conversation as Intercom has it, and finds a status, label or assignee changed since', async () => {
    const byIntercomId = new Map(rig.scenario.intercom.dataset.conversations.map((c) => [c.id, c]));
    const conversations = migrated();
    assert.ok(conversations.length >= 60, `${conversations.length} migrated`);
    // Checked here by the test's own rules: the batch applied every status and label.
    for (const conversation of conversations) {
      const source = byIntercomId.get(conversation.custom_attributes.intercom_conversation_id as string);
      assert.ok(source);
      assert.equal(conversation.status, statusOf(source.state), `status of ${source.id}`);
      // The cut-over tags every migrated conversation in Intercom after the export: not a label.
      for (const tag of (source.tags?.tags ?? []).filter((t) => t.name !== 'migrated-to-chatwoot'))
        assert.ok(conversation.labels.includes(labelOf(tag.name)), `${tag.name} on ${source.id}`);
      assert.ok(conversation.labels.includes('from_intercom'));
    }
    assert.deepEqual(result.reconciliation.finalStates, {
      expected: conversations.length,
      found: conversations.length,
    });
    assert.match(
      result.reconciled,
      new RegExp(`final states ${conversations.length}/${conversations.length}, duplicates 0, missing 0`),
    );

    // Four conversations changed behind the migration's back.
    const tagged = conversations.filter((c) => c.labels.length >= 2);
    const [untagged, unmarked] = tagged;
    const pending = conversations.find((c) => c !== untagged && c !== unmarked);
    assert.ok(pending && untagged && unmarked && new Set([pending, untagged, unmarked]).size === 3);
    const unassigned = conversations.find(
      (c) => c.assignee_id !== null && c !== pending && c !== untagged && c !== unmarked,
    );
    assert.ok(unassigned);
    const assignedTo = unassigned.assignee_id as number;
    const idOf = (c: { custom_attributes: Record<string, unknown> }) =>
      c.custom_attributes.intercom_conversation_id as string;
    await post(`/conversations/${pending.display_id}/toggle_status`, { status: 'pending' });
    await post(`/conversations/${untagged.display_id}/labels`, { labels: ['from_intercom'] });
    const keptOnUnmarked = unmarked.labels.filter((label) => label !== 'from_intercom');
    await post(`/conversations/${unmarked.display_id}/labels`, { labels: keptOnUnmarked });
    await post(`/conversations/${unassigned.display_id}/assignments`, { assignee_id: null });

    const { reconcileMigration } = createVerificationActivities(deps());
    const verified = await requests(
      (): Promise<ReconciliationSummary> =>
        new MockActivityEnvironment().run(reconcileMigration, { input: input() }),
    );
    const summary = verified.value;
    assert.deepEqual(summary.finalStates, {
      expected: conversations.length,
      found: conversations.length - 4,
    });
    assert.equal(summary.missing, 0, 'a differing state is not a missing item');
    // No request of its own: the archive pages and one messages read per conversation, as before.
    assert.equal(verified.sent(`POST ${A}/conversations/filter`), 0);
    assert.equal(verified.sent(`GET ${A}/conversations/:id`), 0);
    assert.equal(
      verified.sent(`GET ${A}/conversations/:id/messages`),
      summary.conversations.found + (summary.tickets?.found ?? 0),
    );

    const report = JSON.parse(
      ((await deps().store(input()).get(summary.reportKey)) as Buffer).toString('utf8'),
    ) as { finalStateMismatches: FinalStateMismatch[] };
    const expected: FinalStateMismatch[] = [
      {
        conversationId: idOf(pending),
        chatwootId: pending.display_id,
        status: { expected: pending.status, found: 'pending' },
        missingLabels: [],
      },
      {
        conversationId: idOf(untagged),
        chatwootId: untagged.display_id,
        missingLabels: untagged.labels.filter((label) => label !== 'from_intercom').sort(),
      },
      {
        conversationId: idOf(unmarked),
        chatwootId: unmarked.display_id,
        missingLabels: ['from_intercom'],
      },
      {
        conversationId: idOf(unassigned),
        chatwootId: unassigned.display_id,
        missingLabels: [],
        assignee: { expected: assignedTo, found: null },
      },
    ];
    const sortById = (list: FinalStateMismatch[]) =>
      [...list].sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1));
    assert.deepEqual(report.finalStateMismatches, sortById(expected));
    const markdown = (
      (await deps()
        .store(input())
        .get(summary.reportKey.replace(/\.json$/, '.md'))) as Buffer
    ).toString('utf8');
    assert.match(markdown, /status, labels and assignee as in Intercom \| \d+ \| \d+ \|/);
    assert.ok(markdown.includes(`- ${idOf(pending)} (Chatwoot #${pending.display_id}): status pending`));

    // Cut-over's check: the archive listing, one page per 25, instead of one filter per conversation.
    const { verifyMigratedLabels } = createRolloutCheckActivities(deps());
    const checked = await requests(() =>
      new MockActivityEnvironment().run(verifyMigratedLabels, { input: input() }),
    );
    console.log(
      `      verifyMigratedLabels: ${checked.total} requests for ${conversations.length} conversations ` +
        `(filters ${checked.sent(`POST ${A}/conversations/filter`)}, ` +
        `pages ${checked.sent(`GET ${A}/conversations`)}, ` +
        `reads ${checked.sent(`GET ${A}/conversations/:id`)}, ` +
        `label writes ${checked.sent(`POST ${A}/conversations/:id/labels`)})`,
    );
    assert.deepEqual(checked.value, { checked: conversations.length, repaired: 1 });
    const repaired = account().conversations.find((c) => c.display_id === unmarked.display_id);
    assert.deepEqual([...(repaired?.labels ?? [])].sort(), [...keptOnUnmarked, 'from_intercom'].sort());
    assert.equal(checked.sent(`POST ${A}/conversations/filter`), 0);
    assert.ok(checked.sent(`GET ${A}/conversations`) <= Math.ceil(conversations.length / 25) + 1);
    assert.ok(checked.total <= Math.ceil(conversations.length / 25) + 1 + 2, `${checked.total} requests`);
  });
});

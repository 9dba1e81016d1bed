/**
 * A migration sets the labels and final statuses of the conversations it creates through
 * POST /bulk_actions (IMPORT_BULK_FINAL_STATE), every one of them exactly as Intercom has it, with a
 * sync record only once the batch is read back; and a batch whose job Chatwoot lost is sent again.
 * Prints the Chatwoot route table per conversation.
 */
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityDeps } from '../src/activities/deps.js';
import type { PendingFinalState } from '../src/activities/import/bulkActions.js';
import {
  type BulkFinalStateResult,
  createBulkActionActivities,
} from '../src/activities/import/bulkActions.js';
import { parseMigrationInput } from '../src/config.js';
import type { LabelPlan } from '../src/mapping/labels.js';
import type { SyncedIntercomState } from '../src/mapping/syncMerge.js';
import { getJson, putJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { type MigrationRig, startMigrationRig, workerEnvironment } from './helpers/migrationHarness.js';

const A = '/api/v1/accounts/:account_id';

describe('labels and final statuses through POST /bulk_actions', function () {
  this.timeout(600_000);
  let rig: MigrationRig;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 23,
        conversations: 80,
        partsPerConversation: 6,
        attachmentEvery: 6,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
  });
  after(() => rig?.close());

  const parsedInput = () => {
    const parsed = parseMigrationInput(rig.input());
    assert.ok(parsed.ok);
    return parsed.input;
  };

  it('migrates with bulk actions, and every label and status is Intercom’s', async () => {
    const { scenario } = rig;
    const handle = await rig.start(rig.input());
    const result = (await handle.result()) as MigrationResult;
    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(result.reconciliation.duplicates, 0);

    const byRoute = scenario.chatwoot.stats.byRoute;
    const sent = (route: string) => byRoute[route] ?? 0;
    const conversations = summary.conversations.found;
    // The route table, per conversation (tickets are conversations too).
    const total = Object.values(byRoute).reduce((sum, n) => sum + n, 0);
    const items = conversations + (summary.tickets?.found ?? 0);
    console.log(
      `      ${total} Chatwoot requests for ${items} conversations: ${(total / items).toFixed(3)} each`,
    );
    for (const [route, count] of Object.entries(byRoute).sort((a, b) => b[1] - a[1])) {
      console.log(`        ${(count / items).toFixed(3)}  ${count}\t${route}`);
    }

    assert.ok(sent(`POST ${A}/bulk_actions`) > 0, 'bulk actions used');
    // Only a conversation snoozed until a time keeps its own toggle (the job takes no snoozed_until).
    const dataset = scenario.intercom.dataset;
    const snoozedWithTime = dataset.conversations.filter(
      (c) => c.state === 'snoozed' && typeof c.snoozed_until === 'number',
    ).length;
    assert.ok(
      sent(`POST ${A}/conversations/:id/toggle_status`) <= snoozedWithTime + (summary.tickets?.found ?? 0),
    );
    const combos = new Set(
      dataset.conversations.map((c) =>
        JSON.stringify([c.state, (c.tags?.tags ?? []).map((tag) => tag.name).sort()]),
      ),
    );
    const tagNames = new Set(
      dataset.conversations.flatMap((c) => (c.tags?.tags ?? []).map((tag) => tag.name)),
    );
    console.log(
      `      ${conversations} conversations, ${summary.tickets?.found ?? 0} tickets; ` +
        `${combos.size} distinct (state, tags), ${tagNames.size} distinct tags`,
    );
    // Tickets (ticketImport) still set theirs one by one.
    assert.ok(
      sent(`POST ${A}/conversations/:id/labels`) <= (summary.tickets?.found ?? 0),
      'no per-conversation labels for created conversations',
    );

    // Exact: each conversation's status and labels, from Intercom's state and tags and the label plan.
    const input = parsedInput();
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const store = deps.store(input);
    const plan = (await getJson<LabelPlan>(
      store,
      blobLayout.mappingPart(input.account, 'labels'),
    )) as LabelPlan;
    const titleOf = new Map(plan.labels.flatMap((label) => label.tags.map((tag) => [tag, label.title])));
    const dump = scenario.chatwoot.dump().accounts[0];
    const migrated = new Map(
      dump.conversations
        .filter((c) => typeof c.custom_attributes.intercom_conversation_id === 'string')
        .map((c) => [c.custom_attributes.intercom_conversation_id as string, c]),
    );
    let checked = 0;
    for (const conversation of dataset.conversations) {
      const target = migrated.get(conversation.id);
      if (!target) continue;
      checked++;
      const status = conversation.state === 'closed' ? 'resolved' : conversation.state;
      assert.equal(target.status, status, `status of ${conversation.id}`);
      // The cut-over tags every conversation in Intercom after the import: not one of its labels.
      const tags = (conversation.tags?.tags ?? [])
        .map((tag) => tag.name)
        .filter((name) => name !== 'migrated-to-chatwoot');
      const expected = new Set(
        ['from_intercom', ...tags.map((tag) => titleOf.get(tag) ?? tag)].map((l) => l.toLowerCase()),
      );
      assert.deepEqual(
        [...new Set(target.labels.map((label) => label.toLowerCase()))].sort(),
        [...expected].sort(),
        `labels of ${conversation.id}`,
      );
      assert.ok(
        await getJson(store, blobLayout.syncedConversation(input.account, conversation.id)),
        `sync record of ${conversation.id}`,
      );
      assert.equal(
        await getJson(store, blobLayout.conversationFinalState(input.account, conversation.id)),
        undefined,
        `no final state left waiting for ${conversation.id}`,
      );
    }
    assert.equal(checked, conversations);
  });

  it('sends a batch again when its job did not apply, and records it only then', async () => {
    const { scenario } = rig;
    const input = parsedInput();
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const store = deps.store(input);
    // Two migrated conversations put back as an import leaves them before their batch.
    const account = scenario.chatwoot.state.accounts.get(input.account);
    assert.ok(account);
    const targets = account.conversations
      .filter(
        (c) => typeof c.customAttributes.intercom_conversation_id === 'string' && c.status !== 'snoozed',
      )
      .slice(0, 2);
    assert.equal(targets.length, 2);
    const ids: string[] = [];
    for (const conversation of targets) {
      const intercomId = conversation.customAttributes.intercom_conversation_id as string;
      ids.push(intercomId);
      const recordKey = blobLayout.syncedConversation(input.account, intercomId);
      const record = (await getJson<SyncedIntercomState>(store, recordKey)) as SyncedIntercomState;
      const pending: PendingFinalState = {
        chatwootId: conversation.displayId,
        status: conversation.status as PendingFinalState['status'],
        labels: [...conversation.labels],
        record,
      };
      await putJson(store, blobLayout.conversationFinalState(input.account, intercomId), pending);
      await store.delete(recordKey);
      conversation.status = 'pending';
      conversation.labels = [];
    }
    const jobs = scenario.chatwoot.state.bulkActionJobs;
    const droppedBefore = jobs.dropped;
    jobs.dropNext = 1;
    const { applyFinalStates } = createBulkActionActivities(deps);
    const outcome: BulkFinalStateResult = await new MockActivityEnvironment().run(
      applyFinalStates,
      { input },
      [...ids, 'not-pending'],
    );
    assert.equal(jobs.dropped - droppedBefore, 1, 'the first job was lost');
    assert.equal(outcome.confirmed, 2);
    assert.equal(outcome.notPending, 1);
    assert.ok(outcome.resent >= 1, 'sent again');
    assert.ok(outcome.requests >= 2);
    assert.equal(scenario.reconcile().duplicates, 0);
    for (const [index, conversation] of targets.entries()) {
      assert.notEqual(conversation.status, 'pending');
      assert.ok(conversation.labels.includes('from_intercom'));
      assert.ok(await getJson(store, blobLayout.syncedConversation(input.account, ids[index] as string)));
    }
    // Run again (a retried attempt, a re-run): nothing left to send.
    const again: BulkFinalStateResult = await new MockActivityEnvironment().run(
      applyFinalStates,
      { input },
      ids,
    );
    assert.deepEqual([again.alreadyDone, again.requests], [2, 0]);
  });
});

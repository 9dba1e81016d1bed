/**
 * A migration sets the labels, final statuses and assignees of the conversations it creates through
 * POST /bulk_actions (IMPORT_BULK_FINAL_STATE), every one of them exactly as Intercom has it, with a
 * sync record only once the batch is read back; the assignees by their own tokens, so no agent is
 * notified and no conversation is assigned one by one; and a batch whose job Chatwoot lost is sent again.
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
    // Tickets' go by bulk action too (ticketImport's patch import-tickets-batched).
    assert.ok(sent(`POST ${A}/conversations/:id/toggle_status`) <= snoozedWithTime);
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
    assert.equal(
      sent(`POST ${A}/conversations/:id/labels`),
      0,
      'no per-conversation labels for created conversations and tickets',
    );
    // Every agent has a token here: no conversation or ticket is assigned by its own request.
    assert.equal(sent(`POST ${A}/conversations/:id/assignments`), 0, 'per-conversation assignments');
    // Self-assignments by bulk action, after the messages: no agent heard of the history.
    assert.deepEqual(scenario.chatwoot.dump().accounts[0].notifications, []);

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
    // The assignee Intercom has, found by e-mail among Chatwoot's users (not through the mapping).
    const userByEmail = new Map(
      [...scenario.chatwoot.state.users.values()].map((user) => [user.email.toLowerCase(), user.id]),
    );
    const adminEmail = new Map(dataset.admins.map((admin) => [String(admin.id), admin.email?.toLowerCase()]));
    let assigned = 0;
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
      const email = adminEmail.get(String(conversation.admin_assignee_id ?? ''));
      const agent = email ? userByEmail.get(email) : undefined;
      if (agent !== undefined) {
        assigned++;
        assert.equal(target.assignee_id, agent, `assignee of ${conversation.id}`);
      }
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
    // One POST /assignments each before the assignees were batched.
    console.log(`      ${assigned} conversations assigned through bulk actions`);
    assert.ok(assigned > conversations / 4, `${assigned} of ${conversations} conversations have an agent`);
  });

  /**
   * Migrated conversations put back as an import leaves them before their batch (pending, no labels,
   * no assignee, a final-state blob and no sync record); `skip` leaves out those an earlier test took.
   */
  const putBack = async (deps: ActivityDeps, count: number, skip = 0) => {
    const { scenario } = rig;
    const input = parsedInput();
    const store = deps.store(input);
    const account = scenario.chatwoot.state.accounts.get(input.account);
    assert.ok(account);
    const targets = account.conversations
      .filter(
        (c) =>
          typeof c.customAttributes.intercom_conversation_id === 'string' &&
          c.status !== 'snoozed' &&
          c.assigneeId !== null,
      )
      .slice(skip, skip + count);
    assert.equal(targets.length, count);
    const assignees = targets.map((c) => c.assigneeId);
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
        assigneeId: conversation.assigneeId ?? undefined,
        record,
      };
      await putJson(store, blobLayout.conversationFinalState(input.account, intercomId), pending);
      await store.delete(recordKey);
      conversation.status = 'pending';
      conversation.labels = [];
      conversation.assigneeId = null;
    }
    return { input, store, targets, assignees, ids };
  };

  it('sends a batch again when its job did not apply, and records it only then', async () => {
    const { scenario } = rig;
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const { input, store, targets, assignees, ids } = await putBack(deps, 2);
    const jobs = scenario.chatwoot.state.bulkActionJobs;
    const droppedBefore = jobs.dropped;
    jobs.dropNext = 1;
    const { applyFinalStates } = createBulkActionActivities(deps);
    const outcome: BulkFinalStateResult = await new MockActivityEnvironment().run(
      applyFinalStates,
      { input },
      [...ids, 'not-pending'],
    );
    // Whichever job was lost (the batch's requests go at once), what it carried was sent again.
    assert.equal(jobs.dropped - droppedBefore, 1, 'the first job was lost');
    assert.equal(outcome.confirmed, 2);
    assert.equal(outcome.notPending, 1);
    assert.ok(outcome.resent >= 1, 'sent again');
    assert.ok(outcome.requests >= 3, 'an assignee request, an administrator request, one again');
    assert.equal(outcome.assignedOneByOne, 0);
    assert.ok(outcome.assigneeRequests >= new Set(assignees).size, 'assignees sent with their tokens');
    assert.equal(scenario.reconcile().duplicates, 0);
    for (const [index, conversation] of targets.entries()) {
      assert.notEqual(conversation.status, 'pending');
      assert.ok(conversation.labels.includes('from_intercom'));
      assert.equal(conversation.assigneeId, assignees[index]);
      assert.ok(await getJson(store, blobLayout.syncedConversation(input.account, ids[index] as string)));
    }
    // Run again (a retried attempt, a re-run): nothing left to send.
    const again: BulkFinalStateResult = await new MockActivityEnvironment().run(
      applyFinalStates,
      { input },
      ids,
    );
    assert.deepEqual([again.alreadyDone, again.requests], [2, 0]);
    assert.deepEqual(scenario.chatwoot.dump().accounts[0].notifications, []);
  });

  it('looks early at a batch, a request a look while its job waits, and sends nothing again', async () => {
    const { scenario } = rig;
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const { input, ids } = await putBack(deps, 2, 2);
    const jobs = scenario.chatwoot.state.bulkActionJobs;
    const delayBefore = jobs.delayMs;
    // Later than both probes (300 and 1,000 ms after the sends), earlier than the first re-send (3 s).
    jobs.delayMs = 1_800;
    const LIST = 'GET /api/v1/accounts/:account_id/conversations';
    const SHOW = 'GET /api/v1/accounts/:account_id/conversations/:id';
    const byRoute = scenario.chatwoot.stats.byRoute;
    const before = [byRoute[LIST] ?? 0, byRoute[SHOW] ?? 0];
    try {
      const { applyFinalStates } = createBulkActionActivities(deps);
      const outcome: BulkFinalStateResult = await new MockActivityEnvironment().run(
        applyFinalStates,
        { input },
        ids,
      );
      assert.deepEqual([outcome.confirmed, outcome.resent], [2, 0]);
    } finally {
      jobs.delayMs = delayBefore;
    }
    const [pages, looks] = [(byRoute[LIST] ?? 0) - (before[0] ?? 0), (byRoute[SHOW] ?? 0) - (before[1] ?? 0)];
    // The two conversations are the inbox's oldest: each probe reads the first page and looks at the
    // newer of them (not applied: it stops there); then a page and a look-up each.
    assert.deepEqual([pages, looks], [3, 4]);
  });

  it('assigns per conversation, before the status, an agent whose token this worker lacks', async () => {
    const { scenario } = rig;
    // A worker started without CHATWOOT_AGENT_TOKENS, after a mapping that saw them.
    const deps = new ActivityDeps({ ...workerEnvironment(scenario), chatwootAgentTokens: {} });
    const { input, targets, assignees, ids } = await putBack(deps, 2, 2);
    const before = { ...scenario.chatwoot.stats.byRoute };
    const { applyFinalStates } = createBulkActionActivities(deps);
    const outcome: BulkFinalStateResult = await new MockActivityEnvironment().run(
      applyFinalStates,
      { input },
      ids,
    );
    assert.equal(outcome.confirmed, 2);
    assert.deepEqual([outcome.assignedOneByOne, outcome.assigneeRequests], [2, 0]);
    const sent = (route: string) => (scenario.chatwoot.stats.byRoute[route] ?? 0) - (before[route] ?? 0);
    assert.equal(sent(`POST ${A}/conversations/:id/assignments`), 2);
    for (const [index, conversation] of targets.entries()) {
      assert.equal(conversation.assigneeId, assignees[index]);
      assert.notEqual(conversation.status, 'pending');
    }
    // Assigned while still pending: NotificationListener#assignee_changed skips it.
    assert.deepEqual(scenario.chatwoot.dump().accounts[0].notifications, []);
  });
});

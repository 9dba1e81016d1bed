/**
 * The Chatwoot sandbox's POST /bulk_actions as Chatwoot 4.10 has it (bulk_actions_controller.rb,
 * bulk_actions_job.rb): 200 with an empty body at once, the labels added and the status set later by
 * the job, no inbox permission applied to the ids, snoozed_until ignored, the assignee notified when
 * assigned this way, 422 only for the controller's own checks, and a lost job leaves everything as it was.
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { call as callSandbox, type Json, ok as okSandbox } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';
const ALICE = 'sandbox-alice-token';
const BOB = 'sandbox-bob-token';
const BOB_ID = 3;
const A1 = '/api/v1/accounts/1';

/** The sandbox's answer to one request, as the administrator unless `token` says otherwise. */
const call = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown, token = ADMIN) =>
  callSandbox(sandbox, method, path, { body, token });
const ok = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown, token = ADMIN) =>
  okSandbox(sandbox, method, path, body, token);

const until = async (check: () => Promise<boolean>, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('Chatwoot sandbox: POST /bulk_actions (BulkActionsController, BulkActionsJob)', function () {
  this.timeout(30_000);
  let sandbox: ChatwootSandbox;
  let inboxId: number;
  let contactId: number;
  afterEach(() => sandbox?.close());

  beforeEach(async () => {
    sandbox = await startChatwootSandbox();
    const inbox = await ok(sandbox, 'POST', `${A1}/inboxes`, { name: 'Archive', channel: { type: 'api' } });
    inboxId = Number(inbox.id);
    const contact = await ok(sandbox, 'POST', `${A1}/contacts`, { name: 'Ann', identifier: 'bulk:1' });
    contactId = Number(contact.payload.contact.id);
  });

  const createPending = async (labels: string[] = []) => {
    const conversation = await ok(sandbox, 'POST', `${A1}/conversations`, {
      inbox_id: inboxId,
      contact_id: contactId,
      status: 'pending',
    });
    if (labels.length > 0)
      await ok(sandbox, 'POST', `${A1}/conversations/${conversation.id}/labels`, { labels });
    return Number(conversation.id);
  };
  const show = (id: number) => ok(sandbox, 'GET', `${A1}/conversations/${id}`);
  const notificationsOf = async (ids: number[]) => {
    const answer = (await (await fetch(`${sandbox.url}/__sandbox/notifications`)).json()) as Json;
    const notifications = answer.accounts.find((account: Json) => account.id === 1).notifications as Json[];
    return notifications
      .filter((n) => ids.includes(n.conversation_id))
      .map((n) => [n.notification_type, n.user_id]);
  };

  it('answers 200 with no body at once and applies labels (added) and status later', async () => {
    sandbox.state.bulkActionJobs.delayMs = 300;
    const first = await createPending(['kept']);
    const second = await createPending();
    const answer = await call(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [first, second],
      fields: { status: 'resolved' },
      labels: { add: ['billing', 'vip'] },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.text, '', 'head :ok');
    // Not yet: the job waits in its queue.
    assert.equal((await show(first)).status, 'pending');
    assert.deepEqual((await show(second)).labels, []);
    await until(async () => (await show(second)).status === 'resolved');
    const one = await show(first);
    assert.equal(one.status, 'resolved');
    assert.deepEqual([...one.labels].sort(), ['billing', 'kept', 'vip'], 'added to, not replaced');
    assert.deepEqual([...(await show(second)).labels].sort(), ['billing', 'vip']);
    await sandbox.state.jobsSettled();
    const messages = await ok(sandbox, 'GET', `${A1}/conversations/${second}/messages`);
    const activities = messages.payload.filter((m: Json) => m.message_type === 2).map((m: Json) => m.content);
    assert.ok(
      activities.some((text: string) => /marked resolved by/.test(text)),
      activities.join(' | '),
    );
    assert.ok(
      activities.some((text: string) => /added billing, vip/.test(text)),
      activities.join(' | '),
    );
  });

  it('sending the same again changes nothing (no new activity message)', async () => {
    const id = await createPending();
    const body = { type: 'Conversation', ids: [id], fields: { status: 'open' }, labels: { add: ['x'] } };
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, body);
    await until(async () => (await show(id)).status === 'open');
    await sandbox.state.jobsSettled();
    const before = (await ok(sandbox, 'GET', `${A1}/conversations/${id}/messages`)).payload.length;
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, body);
    await sandbox.state.jobsSettled();
    const after = await ok(sandbox, 'GET', `${A1}/conversations/${id}/messages`);
    assert.equal(after.payload.length, before);
    assert.deepEqual((await show(id)).labels, ['x']);
  });

  it('ignores snoozed_until (the job reads only fields) and ids of other accounts or unknown', async () => {
    const id = await createPending();
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'conversation',
      ids: [id, 999_999],
      fields: { status: 'snoozed' },
      snoozed_until: 2_000_000_000,
    });
    await sandbox.state.jobsSettled();
    const conversation = await show(id);
    assert.equal(conversation.status, 'snoozed');
    assert.equal(conversation.snoozed_until ?? null, null);
  });

  it('refuses only what the controller checks: the type, an unknown assignee or team', async () => {
    const id = await createPending();
    const bad = await call(sandbox, 'POST', `${A1}/bulk_actions`, { type: 'Message', ids: [id] });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json, { success: false });
    const assignee = await call(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [id],
      fields: { assignee_id: 4242 },
    });
    assert.equal(assignee.status, 422);
    assert.deepEqual(assignee.json, { error: 'Invalid assignee_id' });
    const team = await call(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [id],
      fields: { team_id: 4242 },
    });
    assert.deepEqual([team.status, team.json], [422, { error: 'Invalid team_id' }]);
    // An unknown status is the job's problem: accepted, and the job raises without a word.
    const status = await call(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [id],
      fields: { status: 'archived' },
      labels: { add: ['seen'] },
    });
    assert.equal(status.status, 200);
    await sandbox.state.jobsSettled();
    const after = await show(id);
    assert.equal(after.status, 'pending');
    assert.deepEqual(after.labels, ['seen'], 'add_labels ran before the update raised');
  });

  it('applies to conversations the calling agent cannot see (no inbox permission in the job)', async () => {
    const id = await createPending();
    // Alice is no member of the archive inbox: she cannot read the conversation...
    assert.notEqual((await call(sandbox, 'GET', `${A1}/conversations/${id}`, undefined, ALICE)).status, 200);
    // ...but her bulk action resolves it.
    await ok(
      sandbox,
      'POST',
      `${A1}/bulk_actions`,
      { type: 'Conversation', ids: [id], fields: { status: 'resolved' } },
      ALICE,
    );
    await sandbox.state.jobsSettled();
    assert.equal((await show(id)).status, 'resolved');
  });

  it('an assignee set by bulk action is notified, even when the conversation was pending', async () => {
    const id = await createPending();
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [id],
      fields: { assignee_id: BOB_ID, status: 'resolved' },
    });
    await sandbox.state.jobsSettled();
    const answer = (await (await fetch(`${sandbox.url}/__sandbox/notifications`)).json()) as Json;
    const notifications = answer.accounts.find((account: Json) => account.id === 1).notifications as Json[];
    assert.deepEqual(
      notifications.filter((n) => n.conversation_id === id).map((n) => [n.notification_type, n.user_id]),
      [['conversation_assignment', BOB_ID]],
    );
  });

  it('an agent assigning itself by bulk action (its own token) notifies no one, pending or not', async () => {
    const resolvedFirst = await createPending();
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [resolvedFirst],
      fields: { status: 'resolved' },
    });
    await sandbox.state.jobsSettled();
    const stillPending = await createPending();
    // Current.user is the caller: Bob's own token, Bob's own id (Conversation#self_assign?).
    await ok(
      sandbox,
      'POST',
      `${A1}/bulk_actions`,
      { type: 'Conversation', ids: [resolvedFirst, stillPending], fields: { assignee_id: BOB_ID } },
      BOB,
    );
    await sandbox.state.jobsSettled();
    for (const id of [resolvedFirst, stillPending]) {
      assert.equal((await show(id)).meta.assignee.id, BOB_ID);
      const messages = await ok(sandbox, 'GET', `${A1}/conversations/${id}/messages`);
      const activities = messages.payload
        .filter((m: Json) => m.message_type === 2)
        .map((m: Json) => m.content);
      assert.ok(activities.includes('Bob Agent self-assigned this conversation'), activities.join(' | '));
    }
    assert.deepEqual(await notificationsOf([resolvedFirst, stillPending]), []);
    // The same assignment by someone else (the administrator, then Alice) on a resolved conversation
    // is notified: notifiable_assignee_change? is about the caller, not the route.
    const other = await createPending();
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [other],
      fields: { status: 'resolved' },
    });
    await sandbox.state.jobsSettled();
    await ok(
      sandbox,
      'POST',
      `${A1}/bulk_actions`,
      { type: 'Conversation', ids: [other], fields: { assignee_id: BOB_ID } },
      ALICE,
    );
    await sandbox.state.jobsSettled();
    assert.deepEqual(await notificationsOf([other]), [['conversation_assignment', BOB_ID]]);
  });

  it('a lost job applies nothing, and the answer was 200 all the same', async () => {
    const id = await createPending();
    sandbox.state.bulkActionJobs.dropNext = 1;
    await ok(sandbox, 'POST', `${A1}/bulk_actions`, {
      type: 'Conversation',
      ids: [id],
      fields: { status: 'open' },
      labels: { add: ['a'] },
    });
    await sandbox.state.jobsSettled();
    assert.equal((await show(id)).status, 'pending');
    assert.deepEqual((await show(id)).labels, []);
    assert.equal(sandbox.state.bulkActionJobs.dropped, 1);
  });
});

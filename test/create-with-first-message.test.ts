/**
 * POST /conversations as Chatwoot 4.10 runs it (ConversationsController#create: ConversationBuilder,
 * then Messages::MessageBuilder on params[:message] in the same transaction), in the sandbox and
 * through the project's client: the first message with its source_id and files, the team, the status,
 * and who is notified of what.
 */
import assert from 'node:assert/strict';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { formCarries, formFieldsOf } from '../src/clients/chatwoot/conversationForm.js';
import {
  type ChatwootSandbox,
  DEFAULT_CHATWOOT_ACCOUNTS,
  startChatwootSandbox,
} from '../src/sandbox/chatwoot/index.js';

const ADMIN = 'sandbox-admin-token';
const ALICE_ID = 2;
const BOB_ID = 3;
const A1 = '/api/v1/accounts/1';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, checked by the assertions.
type Json = any;

describe('POST /conversations with its first message (sandbox and client)', function () {
  this.timeout(30_000);
  let sandbox: ChatwootSandbox;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined as unknown as ChatwootSandbox;
  });

  async function ok(method: string, path: string, body?: unknown): Promise<Json> {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { api_access_token: ADMIN, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${method} ${path}: ${text}`);
    return JSON.parse(text);
  }
  const dumpConversation = async (displayId: number): Promise<Json> => {
    const dump = (await (await fetch(`${sandbox.url}/__sandbox/dump`)).json()) as Json;
    const account = dump.accounts.find((candidate: Json) => candidate.id === 1);
    return account.conversations.find((candidate: Json) => candidate.display_id === displayId);
  };
  const notifications = async (): Promise<Json[]> => {
    const answer = (await (await fetch(`${sandbox.url}/__sandbox/notifications`)).json()) as Json;
    return answer.accounts.find((account: Json) => account.id === 1).notifications;
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  async function setUp(onlineUserIds: number[] = []) {
    const account = DEFAULT_CHATWOOT_ACCOUNTS[0] as (typeof DEFAULT_CHATWOOT_ACCOUNTS)[number];
    sandbox = await startChatwootSandbox({ accounts: [{ ...account, onlineUserIds }] });
    const inbox = await ok('POST', `${A1}/inboxes`, {
      name: 'Intercom archive',
      channel: { type: 'api' },
      enable_auto_assignment: false,
    });
    await ok('POST', `${A1}/inbox_members`, { inbox_id: inbox.id, user_ids: [ALICE_ID, BOB_ID] });
    const contact = await ok('POST', `${A1}/contacts`, { name: 'Ann', identifier: 'intercom:1' });
    return { inboxId: Number(inbox.id), contactId: Number(contact.payload.contact.id) };
  }

  it('keeps the message’s source_id, type and content attributes, and alerts no one while pending', async () => {
    const { inboxId, contactId } = await setUp();
    const team = await ok('POST', `${A1}/teams`, { name: 'Support', allow_auto_assign: false });
    const created = await ok('POST', `${A1}/conversations`, {
      inbox_id: inboxId,
      contact_id: contactId,
      status: 'pending',
      team_id: team.id,
      custom_attributes: { intercom_conversation_id: 'c1', intercom_rating: 4 },
      message: {
        content: 'Hello',
        message_type: 'incoming',
        private: false,
        source_id: 'part-1',
        content_attributes: { external_created_at: 1700000000 },
      },
    });
    await settle();
    const stored = await dumpConversation(created.id);
    assert.equal(stored.status, 'pending');
    assert.equal(stored.team_id, team.id);
    assert.equal(stored.assignee_id, null, 'a team without auto-assign picks no one');
    assert.deepEqual(stored.custom_attributes, { intercom_conversation_id: 'c1', intercom_rating: 4 });
    const chat = stored.messages.filter((message: Json) => message.message_type !== 'activity');
    assert.equal(chat.length, 1);
    assert.equal(chat[0].source_id, 'part-1');
    assert.equal(chat[0].message_type, 'incoming');
    assert.equal(chat[0].sender.type, 'contact');
    assert.equal(chat[0].content_attributes.external_created_at, 1700000000);
    assert.deepEqual(await notifications(), []);
  });

  it('rolls the conversation back when its message is invalid (one transaction)', async () => {
    const { inboxId, contactId } = await setUp();
    const before = (await ok('GET', `${A1}/conversations?status=all`)).data.meta.all_count;
    const response = await fetch(`${sandbox.url}${A1}/conversations`, {
      method: 'POST',
      headers: { api_access_token: ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({
        inbox_id: inboxId,
        contact_id: contactId,
        message: { content: 'x', message_type: 'no-such-type' },
      }),
    });
    assert.notEqual(response.status, 200);
    assert.equal((await ok('GET', `${A1}/conversations?status=all`)).data.meta.all_count, before);
  });

  it('alerts every inbox member when created open, and none when created pending', async () => {
    const { inboxId, contactId } = await setUp();
    await ok('POST', `${A1}/conversations`, { inbox_id: inboxId, contact_id: contactId, status: 'pending' });
    await settle();
    assert.deepEqual(await notifications(), []);
    await ok('POST', `${A1}/conversations`, { inbox_id: inboxId, contact_id: contactId, status: 'open' });
    await settle();
    assert.deepEqual((await notifications()).map((n: Json) => [n.notification_type, n.user_id]).sort(), [
      ['conversation_creation', ALICE_ID],
      ['conversation_creation', BOB_ID],
    ]);
  });

  it('picks an online member of a team that allows auto-assignment at creation (ensure_assignee_is_from_team)', async () => {
    const { inboxId, contactId } = await setUp([BOB_ID]);
    const team = await ok('POST', `${A1}/teams`, { name: 'Sales', allow_auto_assign: true });
    await ok('POST', `${A1}/teams/${team.id}/team_members`, { user_ids: [BOB_ID] });
    const created = await ok('POST', `${A1}/conversations`, {
      inbox_id: inboxId,
      contact_id: contactId,
      status: 'pending',
      team_id: team.id,
    });
    assert.equal((await dumpConversation(created.id)).assignee_id, BOB_ID);
    // Then every message notifies that assignee (NewMessageNotificationService): why the import's
    // teams have allow_auto_assign off before it creates conversations with a team.
    await ok('POST', `${A1}/conversations/${created.id}/messages`, {
      content: 'hi',
      message_type: 'incoming',
    });
    await settle();
    assert.ok(
      (await notifications()).some(
        (n: Json) => n.notification_type === 'assigned_conversation_new_message' && n.user_id === BOB_ID,
      ),
    );
  });

  it('creates a blocked contact’s conversation resolved (determine_conversation_status)', async () => {
    const { inboxId } = await setUp();
    const blocked = await ok('POST', `${A1}/contacts`, {
      name: 'Bo',
      identifier: 'intercom:2',
      blocked: true,
    });
    const created = await ok('POST', `${A1}/conversations`, {
      inbox_id: inboxId,
      contact_id: blocked.payload.contact.id,
      status: 'pending',
    });
    assert.equal((await dumpConversation(created.id)).status, 'resolved');
  });

  it('client: sends files as message[attachments][] in a multipart create, every field kept', async () => {
    const { inboxId, contactId } = await setUp();
    const client = new ChatwootClient({ baseUrl: sandbox.url, accountId: 1, token: ADMIN });
    const data = Buffer.from('%PDF-1.4 a file');
    const created = await client.createConversation({
      inbox_id: inboxId,
      contact_id: contactId,
      status: 'pending',
      custom_attributes: {
        intercom_conversation_id: 'c2',
        intercom_created_at: '2024-01-01T00:00:00Z',
        intercom_rating: 4,
      },
      additional_attributes: {
        intercom_state: 'closed',
        intercom_contact_ids: ['u1', 'u2'],
        intercom_parts_count: 12,
        intercom_custom_attributes: { 'Refund amount': 12.5, 'Follow up': false },
      },
      message: {
        content: 'See attached',
        message_type: 'incoming',
        private: false,
        source_id: 'part-9',
        content_attributes: { external_created_at: 1700000001, intercom_author: { type: 'user', id: 'u1' } },
        attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', data }],
      },
    });
    const stored = await dumpConversation(created.id);
    assert.equal(stored.status, 'pending');
    // Rack hands every form value over as a string, and ConversationBuilder stores it as it is.
    assert.deepEqual(stored.custom_attributes, {
      intercom_conversation_id: 'c2',
      intercom_created_at: '2024-01-01T00:00:00Z',
      intercom_rating: '4',
    });
    assert.deepEqual(stored.additional_attributes, {
      intercom_state: 'closed',
      intercom_contact_ids: ['u1', 'u2'],
      intercom_parts_count: '12',
      intercom_custom_attributes: { 'Refund amount': '12.5', 'Follow up': 'false' },
    });
    assert.equal(stored.messages.length, 1);
    const [message] = stored.messages;
    assert.equal(message.source_id, 'part-9');
    assert.equal(message.private, false);
    assert.deepEqual(message.content_attributes.intercom_author, { type: 'user', id: 'u1' });
    assert.equal(message.attachments.length, 1);
    assert.equal(message.attachments[0].size, data.length);
    const stats = (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as Json;
    const creates = Object.entries(stats.byRoute).filter(([route]) =>
      /^POST \S*\/conversations$/.test(route),
    );
    assert.deepEqual(
      creates.map(([, count]) => count),
      [1],
      `one request: ${JSON.stringify(stats.byRoute)}`,
    );
    assert.equal(
      Object.keys(stats.byRoute).some((route) => route.includes('/messages')),
      false,
      'no message route',
    );
  });

  it('client: a form is used where every value reads back as the same text', () => {
    assert.equal(formCarries('custom_attributes', { a: 'x', b: ['y'] }), true);
    assert.equal(formCarries('custom_attributes', { rating: 4 }), true, 'a number is stored as its text');
    assert.equal(formCarries('custom_attributes', { flag: true }), false, 'a checkbox keeps a boolean');
    assert.equal(formCarries('additional_attributes', { flag: true }), true, 'no definition renders it');
    assert.equal(formCarries('additional_attributes', { gone: null }), false, 'a form part comes back ""');
    assert.equal(
      formCarries('additional_attributes', { ids: [] }),
      false,
      'an empty list vanishes from a form',
    );
    assert.equal(formCarries('additional_attributes', { n: {} }), false, 'an empty hash vanishes too');
    assert.equal(
      formCarries('additional_attributes', { l: [{ a: 'x' }] }),
      false,
      'Rack regroups hashes in lists',
    );
    assert.equal(formCarries('custom_attributes', { 'odd[key]': 'x' }), false, 'Rack would nest it');
    assert.equal(formCarries('custom_attributes', undefined), true);
    assert.deepEqual(formFieldsOf('additional_attributes', { c: 2, f: false }, true), [
      ['additional_attributes[c]', '2'],
      ['additional_attributes[f]', 'false'],
    ]);
    assert.deepEqual(formFieldsOf('custom_attributes', { a: 'x', n: { b: ['y', 'z'] } }), [
      ['custom_attributes[a]', 'x'],
      ['custom_attributes[n][b][]', 'y'],
      ['custom_attributes[n][b][]', 'z'],
    ]);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ChatwootSandbox, ChatwootSandboxOptions } from '../src/sandbox/chatwoot/index.js';
import { call as api, sandboxesPerTest } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';
const ALICE = 'sandbox-alice-token';

/** A parsed answer walked by property names; leaves are compared with assert, lists go through `list`. */
interface JsonNode {
  readonly [key: string]: JsonNode;
}

const list = (node: JsonNode): JsonNode[] => (Array.isArray(node) ? (node as JsonNode[]) : []);
const text = (node: JsonNode): string => (typeof node === 'string' ? node : JSON.stringify(node));

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: JsonNode;
}

const call = (
  sandbox: ChatwootSandbox,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; form?: FormData } = {},
): Promise<Answer> => api(sandbox, method, path, options);

const A1 = '/api/v1/accounts/1';

async function apiInbox(sandbox: ChatwootSandbox, account = A1, name = 'Intercom archive'): Promise<number> {
  const created = await call(sandbox, 'POST', `${account}/inboxes`, {
    body: { name, channel: { type: 'api', webhook_url: '' }, enable_auto_assignment: false },
  });
  assert.equal(created.status, 200, created.text);
  return Number(created.json.id);
}

async function contact(
  sandbox: ChatwootSandbox,
  body: Record<string, unknown>,
  account = A1,
): Promise<number> {
  const created = await call(sandbox, 'POST', `${account}/contacts`, { body });
  assert.equal(created.status, 200, created.text);
  return Number(created.json.payload.contact.id);
}

async function conversation(
  sandbox: ChatwootSandbox,
  body: Record<string, unknown>,
  account = A1,
): Promise<{ id: number; json: JsonNode }> {
  const created = await call(sandbox, 'POST', `${account}/conversations`, { body });
  assert.equal(created.status, 200, created.text);
  return { id: Number(created.json.id), json: created.json };
}

describe('Chatwoot sandbox', () => {
  let clock = Date.UTC(2025, 0, 6, 9, 0, 0);
  const start = sandboxesPerTest(() => ({ now: () => clock }));

  beforeEach(() => {
    clock = Date.UTC(2025, 0, 6, 9, 0, 0);
  });

  describe('authentication', () => {
    it('answers 401 without a token, with a wrong token, and outside the user’s accounts; 404 for no account', async () => {
      const sandbox = await start({
        accounts: [
          {
            id: 1,
            name: 'One',
            users: [
              { id: 1, name: 'Admin', email: 'admin@one.test', role: 'administrator', accessToken: 'one' },
            ],
          },
          {
            id: 2,
            name: 'Two',
            users: [
              { id: 2, name: 'Other', email: 'other@two.test', role: 'administrator', accessToken: 'two' },
            ],
          },
        ],
      });
      const missing = await call(sandbox, 'GET', `${A1}/inboxes`, { token: null });
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.json, { errors: ['You need to sign in or sign up before continuing.'] });
      const wrong = await call(sandbox, 'GET', `${A1}/inboxes`, { token: 'nope' });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json, { error: 'Invalid Access Token' });
      const foreign = await call(sandbox, 'GET', '/api/v1/accounts/2/inboxes', { token: 'one' });
      assert.equal(foreign.status, 401);
      assert.deepEqual(foreign.json, { error: 'You are not authorized to access this account' });
      const unknown = await call(sandbox, 'GET', '/api/v1/accounts/99/inboxes', { token: 'one' });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.json, { error: 'Resource could not be found' });
      const profile = await call(sandbox, 'GET', '/api/v1/profile', { token: 'two' });
      assert.equal(profile.status, 200);
      assert.equal(profile.json.email, 'other@two.test');
      assert.deepEqual(
        list(profile.json.accounts).map((account) => account.id),
        [2],
      );
    });

    it('refuses administrator-only writes to agents with the Pundit 401', async () => {
      const sandbox = await start();
      const denied = await call(sandbox, 'POST', `${A1}/labels`, { token: ALICE, body: { title: 'vip' } });
      assert.equal(denied.status, 401);
      assert.deepEqual(denied.json, { error: 'You are not authorized to do this action' });
    });

    it('answers unknown routes with a 404 JSON body', async () => {
      const sandbox = await start();
      const answer = await call(sandbox, 'GET', `${A1}/no_such_thing`);
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.json, { status: 404, error: 'Not Found' });
    });
  });

  describe('contacts', () => {
    it('lower-cases emails and rejects another case of the same email with Chatwoot’s 422 body', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const created = await call(sandbox, 'POST', `${A1}/contacts`, {
        body: { name: 'Ann', email: 'Ann.Lee@Example.COM', inbox_id: inboxId, identifier: 'ic-1' },
      });
      assert.equal(created.status, 200);
      assert.equal(created.json.payload.contact.email, 'ann.lee@example.com');
      assert.equal(created.json.payload.contact_inbox.inbox.id, inboxId);
      assert.match(text(created.json.payload.contact_inbox.source_id), /^[0-9a-f-]{36}$/);
      const duplicate = await call(sandbox, 'POST', `${A1}/contacts`, {
        body: { email: 'ann.lee@EXAMPLE.com' },
      });
      assert.equal(duplicate.status, 422);
      assert.deepEqual(duplicate.json, { message: 'Email has already been taken', attributes: ['email'] });
    });

    it('requires strict E.164 phone numbers, unique per account, and unique identifiers', async () => {
      const sandbox = await start();
      for (const phone of ['0151 1234567', '+0151234', '4915112345678', '+49 151 1234']) {
        const rejected = await call(sandbox, 'POST', `${A1}/contacts`, {
          body: { name: 'P', phone_number: phone },
        });
        assert.equal(rejected.status, 422, phone);
        assert.deepEqual(rejected.json, {
          message: 'Phone number should be in e164 format',
          attributes: ['phone_number'],
        });
      }
      await contact(sandbox, { name: 'P', phone_number: '+4915112345678', identifier: 'ic-9' });
      const phoneAgain = await call(sandbox, 'POST', `${A1}/contacts`, {
        body: { phone_number: '+4915112345678' },
      });
      assert.equal(phoneAgain.status, 422);
      assert.equal(phoneAgain.json.message, 'Phone number has already been taken');
      const identifierAgain = await call(sandbox, 'POST', `${A1}/contacts`, { body: { identifier: 'ic-9' } });
      assert.equal(identifierAgain.status, 422);
      assert.deepEqual(identifierAgain.json, {
        message: 'Identifier has already been taken',
        attributes: ['identifier'],
      });
      const longName = await call(sandbox, 'POST', `${A1}/contacts`, { body: { name: 'x'.repeat(256) } });
      assert.equal(longName.status, 422);
      assert.equal(longName.json.message, 'Name is too long (maximum is 255 characters)');
    });

    it('finds a contact exactly by identifier through POST /contacts/filter, and fuzzily through search', async () => {
      const sandbox = await start();
      await contact(sandbox, { name: 'Exact', identifier: 'intercom-5f1a' });
      await contact(sandbox, { name: 'Near', identifier: 'intercom-5f1ab' });
      const filter = (values: string[], extra: Record<string, unknown> = {}) =>
        call(sandbox, 'POST', `${A1}/contacts/filter`, {
          body: {
            payload: [
              {
                attribute_key: 'identifier',
                filter_operator: 'equal_to',
                values,
                query_operator: null,
                ...extra,
              },
            ],
          },
        });
      const exact = await filter(['intercom-5f1a']);
      assert.equal(exact.status, 200);
      assert.equal(exact.json.meta.count, 1);
      assert.equal(exact.json.payload[0].name, 'Exact');
      assert.equal((await filter(['intercom-none'])).json.meta.count, 0);
      const search = await call(sandbox, 'GET', `${A1}/contacts/search?q=intercom-5f1a`);
      assert.equal(search.json.payload.length, 2, 'search is a substring match, hence the filter');
      const dangling = await filter(['intercom-5f1a'], { query_operator: 'AND' });
      assert.equal(dangling.status, 500, 'a query_operator on the last condition breaks the SQL');
      const undefinedKey = await call(sandbox, 'POST', `${A1}/contacts/filter`, {
        body: { payload: [{ attribute_key: 'intercom_id', filter_operator: 'equal_to', values: ['1'] }] },
      });
      assert.equal(undefinedKey.status, 422);
      assert.match(text(undefinedKey.json.error), /^Invalid attribute key - \[intercom_id\]/);
    });

    it('does not list contacts without email, phone and identifier', async () => {
      const sandbox = await start();
      const hidden = await contact(sandbox, { name: 'Visitor only' });
      const shown = await contact(sandbox, { name: 'Known', email: 'known@example.com' });
      const listed = await call(sandbox, 'GET', `${A1}/contacts`);
      assert.deepEqual(
        list(listed.json.payload).map((item) => item.id),
        [shown],
      );
      assert.deepEqual(listed.json.meta, { count: 1, current_page: 1 });
      const direct = await call(sandbox, 'GET', `${A1}/contacts/${hidden}`);
      assert.equal(direct.status, 200);
      assert.equal(direct.json.payload.name, 'Visitor only');
    });

    it('pages contacts by 15', async () => {
      const sandbox = await start({ writeLatencyMs: 0 });
      for (let index = 0; index < 17; index++) await contact(sandbox, { identifier: `c-${index}` });
      const second = await call(sandbox, 'GET', `${A1}/contacts?page=2`);
      assert.equal(second.json.payload.length, 2);
      assert.deepEqual(second.json.meta, { count: 17, current_page: '2' });
    });

    it('answers 500 to a concurrent duplicate create while the first is in flight; phones have no index', async () => {
      // A wide window: on a loaded machine the second request may arrive tens of milliseconds later.
      const sandbox = await start({ writeLatencyMs: 500 });
      const body = { name: 'Race', identifier: 'intercom-race', email: 'race@example.com' };
      const answers = await Promise.all([
        call(sandbox, 'POST', `${A1}/contacts`, { body }),
        call(sandbox, 'POST', `${A1}/contacts`, { body }),
      ]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 500]);
      assert.equal(sandbox.dump().accounts[0]?.contacts.length, 1);
      const afterwards = await call(sandbox, 'POST', `${A1}/contacts`, { body });
      assert.equal(afterwards.status, 422, 'once committed, the validation sees it');
      const phones = await Promise.all([
        call(sandbox, 'POST', `${A1}/contacts`, { body: { phone_number: '+14155550100' } }),
        call(sandbox, 'POST', `${A1}/contacts`, { body: { phone_number: '+14155550100' } }),
      ]);
      assert.deepEqual(
        phones.map((answer) => answer.status),
        [200, 200],
      );
    });
  });

  describe('conversations', () => {
    it('numbers conversations per account from 1 and routes by display id', async () => {
      const sandbox = await start({
        accounts: [
          {
            id: 1,
            name: 'One',
            users: [{ id: 1, name: 'Bot', email: 'bot@one.test', role: 'administrator', accessToken: ADMIN }],
          },
          {
            id: 7,
            name: 'Seven',
            users: [{ id: 1, name: 'Bot', email: 'bot@one.test', role: 'administrator', accessToken: ADMIN }],
          },
        ],
      });
      const inbox1 = await apiInbox(sandbox);
      const contact1 = await contact(sandbox, { identifier: 'a' });
      const first = await conversation(sandbox, { inbox_id: inbox1, contact_id: contact1 });
      const second = await conversation(sandbox, { inbox_id: inbox1, contact_id: contact1 });
      const inbox7 = await apiInbox(sandbox, '/api/v1/accounts/7');
      const contact7 = await contact(sandbox, { identifier: 'a' }, '/api/v1/accounts/7');
      const other = await conversation(
        sandbox,
        { inbox_id: inbox7, contact_id: contact7 },
        '/api/v1/accounts/7',
      );
      assert.deepEqual([first.id, second.id, other.id], [1, 2, 1]);
      const internal = sandbox.state.accounts.get(7)?.conversations[0]?.id;
      assert.equal(internal, 3, 'the database id is global and differs from the display id');
      const shown = await call(sandbox, 'GET', '/api/v1/accounts/7/conversations/1');
      assert.equal(shown.json.inbox_id, inbox7);
      assert.equal((await call(sandbox, 'GET', '/api/v1/accounts/7/conversations/3')).status, 404);
    });

    it('reuses a contact inbox by source_id and refuses another contact’s source_id', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const created = await call(sandbox, 'POST', `${A1}/contacts`, {
        body: { identifier: 'x', inbox_id: inboxId, source_id: 'src-x' },
      });
      const contactId = Number(created.json.payload.contact.id);
      await conversation(sandbox, { inbox_id: inboxId, contact_id: contactId, source_id: 'src-x' });
      const otherId = await contact(sandbox, { identifier: 'y' });
      const clash = await call(sandbox, 'POST', `${A1}/conversations`, {
        body: { inbox_id: inboxId, contact_id: otherId, source_id: 'src-x' },
      });
      assert.equal(clash.status, 422);
      assert.deepEqual(clash.json, { error: 'source_id should be unique' });
      const [dumped] = sandbox.dump().accounts;
      assert.deepEqual(dumped?.contacts.find((item) => item.id === contactId)?.contact_inboxes, [
        { inbox_id: inboxId, source_id: 'src-x' },
      ]);
    });

    it('replaces the whole label list and validates label titles', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const { id } = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: await contact(sandbox, { identifier: 'l' }),
      });
      const first = await call(sandbox, 'POST', `${A1}/conversations/${id}/labels`, {
        body: { labels: ['from_intercom', 'billing'] },
      });
      assert.deepEqual(first.json, { payload: ['from_intercom', 'billing'] });
      const second = await call(sandbox, 'POST', `${A1}/conversations/${id}/labels`, {
        body: { labels: ['vip'] },
      });
      assert.deepEqual(second.json, { payload: ['vip'] }, 'POST replaces, it does not add');
      assert.deepEqual((await call(sandbox, 'GET', `${A1}/conversations/${id}/labels`)).json, {
        payload: ['vip'],
      });

      const created = await call(sandbox, 'POST', `${A1}/labels`, { body: { title: 'From_Intercom' } });
      assert.equal(created.json.title, 'from_intercom');
      for (const title of ['needs review', 'v1.2', '']) {
        const rejected = await call(sandbox, 'POST', `${A1}/labels`, { body: { title } });
        assert.equal(rejected.status, 422, title);
        assert.deepEqual(rejected.json.attributes, ['title']);
      }
      const duplicate = await call(sandbox, 'POST', `${A1}/labels`, { body: { title: 'FROM_INTERCOM' } });
      assert.deepEqual(duplicate.json, { message: 'Title has already been taken', attributes: ['title'] });
      const unicode = await call(sandbox, 'POST', `${A1}/labels`, { body: { title: 'Zahlung-überfällig' } });
      assert.equal(unicode.json.title, 'zahlung-überfällig');
    });

    it('drops an assignee who is not in the given team, on create and on a team assignment', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const team = await call(sandbox, 'POST', `${A1}/teams`, { body: { name: 'Billing' } });
      assert.equal(team.json.name, 'billing');
      await call(sandbox, 'POST', `${A1}/teams/${team.json.id}/team_members`, { body: { user_ids: [2] } });
      const contactId = await contact(sandbox, { identifier: 't' });
      const outsider = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: contactId,
        team_id: team.json.id,
        assignee_id: 3,
      });
      assert.equal(outsider.json.meta.assignee, undefined);
      assert.equal(outsider.json.meta.team.id, team.json.id);
      const member = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: contactId,
        team_id: team.json.id,
        assignee_id: 2,
      });
      assert.equal(member.json.meta.assignee.id, 2);

      const later = await conversation(sandbox, { inbox_id: inboxId, contact_id: contactId, assignee_id: 3 });
      assert.equal(later.json.meta.assignee.id, 3);
      const assigned = await call(sandbox, 'POST', `${A1}/conversations/${later.id}/assignments`, {
        body: { team_id: team.json.id },
      });
      assert.equal(assigned.json.id, team.json.id);
      const [dumped] = sandbox.dump().accounts;
      const record = dumped?.conversations.find((item) => item.id === later.id);
      assert.equal(record?.assignee_id, null);
      assert.equal(record?.team_id, team.json.id);
    });

    it('toggles status, replaces custom attributes and filters on a defined conversation attribute', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const definition = await call(sandbox, 'POST', `${A1}/custom_attribute_definitions`, {
        body: {
          attribute_display_name: 'Intercom conversation',
          attribute_key: 'intercom_conversation_id',
          attribute_display_type: 0,
          attribute_model: 0,
        },
      });
      assert.equal(definition.json.attribute_model, 'conversation_attribute');
      const again = await call(sandbox, 'POST', `${A1}/custom_attribute_definitions`, {
        body: {
          attribute_display_name: 'Again',
          attribute_key: 'intercom_conversation_id',
          attribute_model: 0,
        },
      });
      assert.equal(again.status, 422);
      assert.equal(again.json.message, 'Attribute key has already been taken');
      for (const [key, accepted] of [
        ['order id', false],
        ['order/id', false],
        ['ordre_numéro-2.v', true],
        ['注文番号', true],
      ] as const) {
        const answer = await call(sandbox, 'POST', `${A1}/custom_attribute_definitions`, {
          body: { attribute_display_name: key, attribute_key: key, attribute_model: 1 },
        });
        assert.equal(answer.status, accepted ? 200 : 422, key);
        if (!accepted)
          assert.equal(
            answer.json.message,
            'Attribute key must only contain letters, numbers, underscores, hyphens, and dots',
          );
      }
      const listed = await call(sandbox, 'GET', `${A1}/custom_attribute_definitions?attribute_model=0`);
      assert.equal(listed.json.length, 1);
      assert.equal(
        (await call(sandbox, 'GET', `${A1}/custom_attribute_definitions?attribute_model=1`)).json.length,
        2,
      );

      const contactId = await contact(sandbox, { identifier: 'f' });
      const { id } = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
        custom_attributes: { intercom_conversation_id: '215', topic: 'x' },
      });
      const filter = (key: string) =>
        call(sandbox, 'POST', `${A1}/conversations/filter`, {
          body: {
            payload: [
              { attribute_key: key, filter_operator: 'equal_to', values: ['215'], query_operator: null },
            ],
          },
        });
      const found = await filter('intercom_conversation_id');
      assert.equal(found.json.meta.all_count, 1);
      assert.equal(found.json.payload[0].id, id);
      const invalid = await filter('intercom_id');
      assert.equal(invalid.status, 422);
      assert.match(text(invalid.json.error), /^Invalid attribute key - \[intercom_id\]\./);

      const replaced = await call(sandbox, 'POST', `${A1}/conversations/${id}/custom_attributes`, {
        body: { custom_attributes: { topic: 'y' } },
      });
      assert.deepEqual(replaced.json, { custom_attributes: { topic: 'y' } });
      assert.equal((await filter('intercom_conversation_id')).json.meta.all_count, 0, 'the id is gone');

      const toggled = await call(sandbox, 'POST', `${A1}/conversations/${id}/toggle_status`, {
        body: { status: 'resolved' },
      });
      assert.deepEqual(toggled.json, {
        meta: {},
        payload: { success: true, conversation_id: id, current_status: 'resolved', snoozed_until: null },
      });
      const badStatus = await call(sandbox, 'POST', `${A1}/conversations/${id}/toggle_status`, {
        body: { status: 'closed' },
      });
      assert.equal(badStatus.status, 500, "an unknown enum value is Rails' ArgumentError");
    });
  });

  describe('messages', () => {
    async function setup(options: ChatwootSandboxOptions = {}) {
      const sandbox = await start(options);
      const inboxId = await apiInbox(sandbox);
      const contactId = await contact(sandbox, { identifier: 'm', email: 'm@example.com' });
      const { id } = await conversation(sandbox, { inbox_id: inboxId, contact_id: contactId });
      const post = (body: Record<string, unknown>, token = ADMIN) =>
        call(sandbox, 'POST', `${A1}/conversations/${id}/messages`, { body, token });
      return { sandbox, inboxId, contactId, id, post };
    }

    it('defaults to outgoing from the token’s user, ignores created_at and keeps external_created_at', async () => {
      const { sandbox, inboxId, contactId, post } = await setup();
      // An agent acts on a conversation only as a member of its inbox (ConversationPolicy#show?).
      const member = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: [2] },
      });
      assert.equal(member.status, 200, member.text);
      const outgoing = await post({
        content: 'hi',
        created_at: 1_500_000_000,
        external_created_at: 1_500_000_000,
      });
      assert.equal(outgoing.status, 200);
      assert.equal(outgoing.json.message_type, 1);
      assert.equal(outgoing.json.created_at, Math.floor(clock / 1000));
      assert.equal(outgoing.json.content_attributes.external_created_at, 1_500_000_000);
      assert.deepEqual([outgoing.json.sender.type, outgoing.json.sender.id], ['user', 1]);
      const byAgent = await post({ content: 'agent' }, ALICE);
      assert.equal(byAgent.json.sender.id, 2);
      const incoming = await post({ content: 'from the customer', message_type: 'incoming' });
      assert.deepEqual([incoming.json.sender.type, incoming.json.sender.id], ['contact', contactId]);
      const note = await post({ content: 'note', private: true });
      assert.equal(note.json.private, true);
      const bad = await post({ content: 'x', message_type: 'inbound' });
      assert.equal(bad.status, 422);
      assert.deepEqual(bad.json, { error: "'inbound' is not a valid message_type" });
      const [dumped] = sandbox.dump().accounts;
      assert.deepEqual(
        dumped?.conversations[0]?.messages.map((message) => message.message_type),
        ['outgoing', 'outgoing', 'incoming', 'outgoing'],
      );
    });

    it('allows incoming only in API inboxes', async () => {
      const sandbox = await start();
      const widget = await call(sandbox, 'POST', `${A1}/inboxes`, {
        body: { name: 'Website', channel: { type: 'web_widget', website_url: 'https://example.com' } },
      });
      const contactId = await contact(sandbox, { identifier: 'w' });
      const { id } = await conversation(sandbox, { inbox_id: widget.json.id, contact_id: contactId });
      const answer = await call(sandbox, 'POST', `${A1}/conversations/${id}/messages`, {
        body: { content: 'hello', message_type: 'incoming' },
      });
      assert.equal(answer.status, 422);
      assert.deepEqual(answer.json, { error: 'Incoming messages are only allowed in Api inboxes' });
      const badName = await call(sandbox, 'POST', `${A1}/inboxes`, {
        body: { name: 'Intercom (archive)', channel: { type: 'api' } },
      });
      assert.equal(badName.status, 422, 'inbox names may not end with a symbol');
    });

    it('reopens a resolved conversation on an incoming message, leaves pending alone', async () => {
      const { sandbox, inboxId, contactId, id, post } = await setup();
      await call(sandbox, 'POST', `${A1}/conversations/${id}/toggle_status`, {
        body: { status: 'resolved' },
      });
      await post({ content: 'again', message_type: 'incoming' });
      const reopened = await call(sandbox, 'GET', `${A1}/conversations/${id}`);
      assert.equal(reopened.json.status, 'open');
      const messages = await call(sandbox, 'GET', `${A1}/conversations/${id}/messages`);
      assert.deepEqual(
        list(messages.json.payload).map((message) => [message.message_type, message.content]),
        [
          [2, 'Conversation was marked resolved by Migration Bot'],
          [0, 'again'],
          [2, 'System reopened the conversation due to a new incoming message.'],
        ],
      );
      const pending = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      await call(sandbox, 'POST', `${A1}/conversations/${pending.id}/messages`, {
        body: { content: 'old', message_type: 'incoming' },
      });
      assert.equal((await call(sandbox, 'GET', `${A1}/conversations/${pending.id}`)).json.status, 'pending');
    });

    it('stores source_id without making it unique', async () => {
      const { sandbox, post } = await setup();
      const first = await post({ content: 'part', source_id: 'intercom-part-1' });
      const second = await post({ content: 'part', source_id: 'intercom-part-1' });
      assert.notEqual(first.json.id, second.json.id);
      const [dumped] = sandbox.dump().accounts;
      assert.deepEqual(
        dumped?.conversations[0]?.messages.map((message) => message.source_id),
        ['intercom-part-1', 'intercom-part-1'],
      );
    });

    it('pages with after= (100 ascending) and shows the latest 20 without it', async () => {
      const { sandbox, id, post } = await setup({ floodLimitPerMinute: 1000 });
      const ids: number[] = [];
      for (let index = 0; index < 230; index++)
        ids.push(Number((await post({ content: `m${index}` })).json.id));
      const messages = (query: string) => call(sandbox, 'GET', `${A1}/conversations/${id}/messages${query}`);
      const latest = await messages('');
      assert.deepEqual(
        list(latest.json.payload).map((message) => message.id),
        ids.slice(-20),
      );
      const seen: number[] = [];
      let after = 0;
      for (;;) {
        const pageAnswer = await messages(`?after=${after}`);
        const pageIds = list(pageAnswer.json.payload).map((message) => Number(message.id));
        assert.ok(pageIds.length <= 100);
        if (pageIds.length === 0) break;
        seen.push(...pageIds);
        after = pageIds.at(-1) ?? after;
      }
      assert.deepEqual(seen, ids);
    });

    it('accepts 15 attachments in a real multipart upload and refuses the 16th', async () => {
      const { sandbox, id } = await setup();
      const form = (count: number) => {
        const data = new FormData();
        data.append('content', 'files');
        data.append('message_type', 'incoming');
        data.append('private', 'false');
        data.append('source_id', 'intercom-part-9');
        for (let index = 0; index < count; index++) {
          data.append(
            'attachments[]',
            new Blob([`file number ${index}`], { type: 'text/plain' }),
            `f${index}.txt`,
          );
        }
        return data;
      };
      const fifteen = await call(sandbox, 'POST', `${A1}/conversations/${id}/messages`, { form: form(15) });
      assert.equal(fifteen.status, 200, fifteen.text);
      assert.equal(fifteen.json.attachments.length, 15);
      assert.equal(fifteen.json.message_type, 0);
      assert.equal(fifteen.json.private, false);
      const [dumped] = sandbox.dump().accounts;
      const stored = dumped?.conversations[0]?.messages[0]?.attachments[3];
      assert.deepEqual(stored && { ...stored, id: 0 }, {
        id: 0,
        file_name: 'f3.txt',
        size: 'file number 3'.length,
        sha256: createHash('sha256').update('file number 3').digest('hex'),
        content_type: 'text/plain',
        file_type: 'file',
      });
      const sixteen = await call(sandbox, 'POST', `${A1}/conversations/${id}/messages`, { form: form(16) });
      assert.equal(sixteen.status, 422);
      assert.deepEqual(sixteen.json, { error: 'Validation failed: Attachments exceeded maximum allowed' });
    });

    it('limits content to 150,000 characters', async () => {
      const { post } = await setup();
      assert.equal((await post({ content: 'a'.repeat(150_000) })).status, 200);
      const tooLong = await post({ content: 'a'.repeat(150_001) });
      assert.equal(tooLong.status, 422);
      assert.deepEqual(tooLong.json, {
        error: 'Validation failed: Content is too long (maximum is 150000 characters)',
      });
    });

    it('guards against floods per conversation per minute', async () => {
      const { post } = await setup({ floodLimitPerMinute: 5 });
      for (let index = 0; index < 5; index++) assert.equal((await post({ content: `${index}` })).status, 200);
      const flooded = await post({ content: 'one too many' });
      assert.equal(flooded.status, 422);
      assert.deepEqual(flooded.json, { error: 'Validation failed: Too many messages' });
      clock += 61_000;
      assert.equal((await post({ content: 'later' })).status, 200);
    });
  });

  describe('service behaviour', () => {
    it('throttles per IP with a text/plain 429 and no Retry-After, until the next minute', async () => {
      const sandbox = await start({ throttlePerMinute: 3 });
      for (let index = 0; index < 3; index++) {
        assert.equal((await call(sandbox, 'GET', `${A1}/inboxes`)).status, 200);
      }
      const throttled = await call(sandbox, 'GET', `${A1}/inboxes`);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.text, 'Retry later\n');
      assert.equal(throttled.headers.get('content-type'), 'text/plain');
      assert.equal(throttled.headers.get('retry-after'), null);
      const control = await call(sandbox, 'GET', '/__sandbox/stats', { token: null });
      assert.equal(control.status, 200, 'control routes are never throttled');
      assert.equal(control.json.throttled, 1);
      assert.equal(control.json.byRoute['GET /api/v1/accounts/:account_id/inboxes'], 3);
      clock += 60_000;
      assert.equal((await call(sandbox, 'GET', `${A1}/inboxes`)).status, 200);
    });

    it('injects faults on API routes only and can be reconfigured at run time', async () => {
      const sandbox = await start({ faults: { rate5xx: 1, seed: 7 } });
      const failed = await call(sandbox, 'GET', `${A1}/inboxes`);
      assert.ok([500, 502, 503].includes(failed.status));
      assert.equal((await call(sandbox, 'GET', '/__sandbox/dump', { token: null })).status, 200);
      const configured = await call(sandbox, 'POST', '/__sandbox/faults', {
        token: null,
        body: { rate5xx: 0, rate429: 1 },
      });
      assert.equal(configured.json.rate429, 1);
      const limited = await call(sandbox, 'GET', `${A1}/inboxes`);
      assert.equal(limited.status, 429);
      assert.equal(limited.text, 'Retry later\n');
      await call(sandbox, 'POST', '/__sandbox/faults', { token: null, body: { rate429: 0 } });
      assert.equal((await call(sandbox, 'GET', `${A1}/inboxes`)).status, 200);
      assert.equal(sandbox.faults.counts.injected5xx, 1);
    });

    it('seeds CSAT answers and reports metrics by time range and inbox', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const { id } = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: await contact(sandbox, { identifier: 'c' }),
      });
      const since = Math.floor(clock / 1000) - 10;
      const seeded = await call(sandbox, 'POST', '/__sandbox/csat', {
        token: null,
        body: {
          account_id: 1,
          responses: [
            { conversation_id: id, rating: 5, feedback_message: 'great' },
            { conversation_id: id, rating: 2 },
            { conversation_id: id, rating: 5, created_at: since - 1000 },
          ],
          sent_without_response: 1,
        },
      });
      assert.equal(seeded.json.payload.length, 3);
      const metrics = await call(
        sandbox,
        'GET',
        `${A1}/csat_survey_responses/metrics?since=${since}&until=${since + 20}&inbox_id[]=${inboxId}`,
      );
      assert.deepEqual(metrics.json, {
        total_count: 2,
        ratings_count: { '5': 1, '2': 1 },
        total_sent_messages_count: 3,
      });
      const listed = await call(sandbox, 'GET', `${A1}/csat_survey_responses`);
      assert.equal(listed.json.length, 3);
      assert.equal(listed.json[0].conversation_id, id);
    });

    it('keeps the help center: portals, categories and articles with the 20,000 limit', async () => {
      const sandbox = await start();
      const portal = await call(sandbox, 'POST', `${A1}/portals`, { body: { name: 'Help', slug: 'help' } });
      assert.equal(portal.json.slug, 'help');
      const category = await call(sandbox, 'POST', `${A1}/portals/help/categories`, {
        body: { name: 'Billing', slug: 'billing', locale: 'en' },
      });
      assert.equal(category.json.payload.name, 'Billing');
      const article = await call(sandbox, 'POST', `${A1}/portals/help/articles`, {
        body: {
          title: 'Refunds',
          content: '# Refunds',
          category_id: category.json.payload.id,
          author_id: 1,
          status: 'published',
        },
      });
      assert.equal(article.status, 200, article.text);
      assert.equal(article.json.payload.status, 'published');
      const tooLong = await call(sandbox, 'POST', `${A1}/portals/help/articles`, {
        body: { title: 'Long', content: 'x'.repeat(20_001), author_id: 1 },
      });
      assert.equal(tooLong.status, 422);
      const articles = await call(sandbox, 'GET', `${A1}/portals/help/articles`);
      assert.equal(articles.json.meta.published_count, 1);
    });

    it('dumps plain JSON with display ids, labels, members and message details', async () => {
      const sandbox = await start();
      const inboxId = await apiInbox(sandbox);
      const team = await call(sandbox, 'POST', `${A1}/teams`, { body: { name: 'support' } });
      await call(sandbox, 'POST', `${A1}/teams/${team.json.id}/team_members`, { body: { user_ids: [2, 3] } });
      await call(sandbox, 'POST', `${A1}/canned_responses`, {
        body: { short_code: 'thanks', content: 'Thanks!' },
      });
      const contactId = await contact(sandbox, { identifier: 'd', custom_attributes: { plan: 'pro' } });
      const { id } = await conversation(sandbox, {
        inbox_id: inboxId,
        contact_id: contactId,
        message: { content: 'opening' },
      });
      await call(sandbox, 'POST', `${A1}/conversations/${id}/labels`, {
        body: { labels: ['from_intercom'] },
      });
      const fromRoute = await call(sandbox, 'GET', '/__sandbox/dump', { token: null });
      const dump = sandbox.dump();
      assert.deepEqual(fromRoute.json, JSON.parse(JSON.stringify(dump)));
      const [account] = dump.accounts;
      assert.equal(account?.teams[0]?.name, 'support');
      assert.deepEqual(account?.teams[0]?.member_ids, [2, 3]);
      assert.deepEqual(
        account?.canned_responses.map((canned) => canned.short_code),
        ['thanks'],
      );
      assert.deepEqual(account?.contacts[0]?.custom_attributes, { plan: 'pro' });
      const dumped = account?.conversations[0];
      assert.equal(dumped?.display_id, 1);
      assert.deepEqual(dumped?.labels, ['from_intercom']);
      assert.deepEqual(
        dumped?.messages.map((message) => [message.message_type, message.content, message.sender]),
        [
          ['outgoing', 'opening', { type: 'user', id: 1 }],
          ['activity', 'Migration Bot added from_intercom', null],
        ],
      );
    });
  });
});

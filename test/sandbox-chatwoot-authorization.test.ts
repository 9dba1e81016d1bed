/**
 * The Chatwoot sandbox's authorization of conversations as Chatwoot 4.10 decides it: inbox members
 * (InboxMembersController), ConversationPolicy#show? on every conversation route, InboxPolicy on
 * conversation creation, and PermissionFilterService on the lists. Expected values are written out
 * from Chatwoot's source, not computed with the sandbox's own helpers.
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';

const ADMIN = 'sandbox-admin-token';
const ALICE = 'sandbox-alice-token'; // user 2, agent
const BOB = 'sandbox-bob-token'; // user 3, agent
const A1 = '/api/v1/accounts/1';
const REFUSED = { error: 'You are not authorized to do this action' };

interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON walked by the assertions
  json: any;
}

async function call(
  sandbox: ChatwootSandbox,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { api_access_token: options.token ?? ADMIN };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${sandbox.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, text, json };
}

describe('Chatwoot sandbox: authorization of conversations', () => {
  let sandbox: ChatwootSandbox;
  let inboxId: number;
  let otherInboxId: number;
  let contactId: number;

  const ok = (answer: Answer, what: string) => assert.equal(answer.status, 200, `${what}: ${answer.text}`);
  const members = async (inbox = inboxId, token = ADMIN) =>
    call(sandbox, 'GET', `${A1}/inbox_members/${inbox}`, { token });
  const newConversation = async (inbox = inboxId): Promise<number> => {
    const created = await call(sandbox, 'POST', `${A1}/conversations`, {
      body: { inbox_id: inbox, contact_id: contactId },
    });
    ok(created, 'create conversation');
    return created.json.id;
  };

  beforeEach(async () => {
    sandbox = await startChatwootSandbox();
    const inbox = await call(sandbox, 'POST', `${A1}/inboxes`, {
      body: { name: 'Intercom archive', channel: { type: 'api' } },
    });
    ok(inbox, 'create inbox');
    inboxId = inbox.json.id;
    const other = await call(sandbox, 'POST', `${A1}/inboxes`, {
      body: { name: 'Other', channel: { type: 'api' } },
    });
    otherInboxId = other.json.id;
    const contact = await call(sandbox, 'POST', `${A1}/contacts`, {
      body: { name: 'Customer', identifier: 'c-1' },
    });
    ok(contact, 'create contact');
    contactId = contact.json.payload.contact.id;
  });

  afterEach(async () => {
    await sandbox.close();
  });

  describe('inbox members', () => {
    it('starts with no members: creating an inbox adds no one', async () => {
      const answer = await members();
      ok(answer, 'show');
      assert.deepEqual(answer.json, { payload: [] });
    });

    it('POST adds the ids not yet members and keeps the others; answers every member as an agent', async () => {
      ok(
        await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2] } }),
        'add',
      );
      const second = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: [3, 2] },
      });
      ok(second, 'add again');
      assert.deepEqual(
        second.json.payload.map((agent: { id: number; role: string; email: string }) => [
          agent.id,
          agent.role,
          agent.email,
        ]),
        [
          [2, 'agent', 'alice@sandbox.test'],
          [3, 'agent', 'bob@sandbox.test'],
        ],
      );
      // Adding only some ids removes no one.
      const third = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: [4] },
      });
      assert.deepEqual(
        third.json.payload.map((agent: { id: number }) => agent.id),
        [2, 3, 4],
      );
      const shown = await members();
      assert.deepEqual(
        shown.json.payload.map((agent: { id: number }) => agent.id),
        [2, 3, 4],
      );
    });

    it('PATCH replaces the members with exactly the ids sent', async () => {
      await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2, 3] } });
      const patched = await call(sandbox, 'PATCH', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: [3, 4] },
      });
      ok(patched, 'patch');
      assert.deepEqual(
        patched.json.payload.map((agent: { id: number }) => agent.id),
        [3, 4],
      );
    });

    it('refuses what InboxMember and Ruby refuse: unknown users, an id sent twice, a string id already there, no user_ids', async () => {
      const unknown = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: [2, 999] },
      });
      assert.equal(unknown.status, 422);
      assert.deepEqual(unknown.json, { message: 'User must exist', attributes: ['user'] });
      // create! runs in one transaction: user 2 was not added either.
      assert.deepEqual((await members()).json, { payload: [] });
      const twice = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: [2, 2] },
      });
      assert.equal(twice.status, 422);
      assert.deepEqual(twice.json, { message: 'User has already been taken', attributes: ['user_id'] });
      ok(
        await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2] } }),
        'add',
      );
      // Array#- compares "2" with 2 as different: the insert meets the unique index's validation.
      const asString = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: inboxId, user_ids: ['2'] },
      });
      assert.equal(asString.status, 422);
      const missing = await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId } });
      assert.equal(missing.status, 500);
      const noInbox = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        body: { inbox_id: 999, user_ids: [2] },
      });
      assert.equal(noInbox.status, 404);
    });

    it('lets only administrators change members, and members or administrators list them', async () => {
      const byAgent = await call(sandbox, 'POST', `${A1}/inbox_members`, {
        token: ALICE,
        body: { inbox_id: inboxId, user_ids: [2] },
      });
      assert.equal(byAgent.status, 401);
      assert.deepEqual(byAgent.json, REFUSED);
      const patchByAgent = await call(sandbox, 'PATCH', `${A1}/inbox_members`, {
        token: ALICE,
        body: { inbox_id: inboxId, user_ids: [2] },
      });
      assert.equal(patchByAgent.status, 401);
      const showByOutsider = await members(inboxId, ALICE);
      assert.equal(showByOutsider.status, 401);
      assert.deepEqual(showByOutsider.json, REFUSED);
      await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2] } });
      ok(await members(inboxId, ALICE), 'show by a member');
      assert.equal((await members(otherInboxId, ALICE)).status, 401);
    });
  });

  describe('ConversationPolicy#show? on every conversation route', () => {
    const routes = (id: number): Array<[string, string, unknown?]> => [
      ['GET', `${A1}/conversations/${id}`],
      ['GET', `${A1}/conversations/${id}/messages`],
      ['POST', `${A1}/conversations/${id}/messages`, { content: 'hello', message_type: 'outgoing' }],
      ['POST', `${A1}/conversations/${id}/toggle_status`, { status: 'resolved' }],
      ['GET', `${A1}/conversations/${id}/labels`],
      ['POST', `${A1}/conversations/${id}/labels`, { labels: ['vip'] }],
      ['POST', `${A1}/conversations/${id}/assignments`, { assignee_id: 3 }],
      ['POST', `${A1}/conversations/${id}/custom_attributes`, { custom_attributes: { a: 1 } }],
    ];

    it('answers 401 "You are not authorized to do this action" to an agent outside the inbox and its team, and writes nothing', async () => {
      const id = await newConversation();
      for (const [method, path, body] of routes(id)) {
        const answer = await call(sandbox, method, path, { token: ALICE, body });
        assert.equal(answer.status, 401, `${method} ${path}`);
        assert.deepEqual(answer.json, REFUSED, `${method} ${path}`);
      }
      const [dumped] = sandbox.dump().accounts;
      const conversation = dumped?.conversations.find((candidate) => candidate.display_id === id);
      assert.equal(conversation?.messages.length, 0);
      assert.equal(conversation?.status, 'open');
      assert.deepEqual(conversation?.labels, []);
    });

    it('finds the conversation before authorizing: an unknown one is 404 even for an outsider', async () => {
      const answer = await call(sandbox, 'GET', `${A1}/conversations/999`, { token: ALICE });
      assert.equal(answer.status, 404);
    });

    it('lets an administrator, an inbox member and a member of the conversation’s team act', async () => {
      const id = await newConversation();
      for (const [method, path, body] of routes(id)) {
        ok(await call(sandbox, method, path, { body }), `admin ${method} ${path}`);
      }
      await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2] } });
      for (const [method, path, body] of routes(id)) {
        ok(await call(sandbox, method, path, { token: ALICE, body }), `member ${method} ${path}`);
      }
      const posted = await call(sandbox, 'POST', `${A1}/conversations/${id}/messages`, {
        token: ALICE,
        body: { content: 'from Alice' },
      });
      assert.equal(posted.json.sender.id, 2);

      // Bob is in no inbox; a team of the conversation gives him access to it (team_access?).
      const teamConversation = await newConversation(otherInboxId);
      assert.equal(
        (await call(sandbox, 'GET', `${A1}/conversations/${teamConversation}`, { token: BOB })).status,
        401,
      );
      const team = await call(sandbox, 'POST', `${A1}/teams`, { body: { name: 'tier two' } });
      await call(sandbox, 'POST', `${A1}/teams/${team.json.id}/team_members`, { body: { user_ids: [3] } });
      await call(sandbox, 'POST', `${A1}/conversations/${teamConversation}/assignments`, {
        body: { team_id: team.json.id },
      });
      ok(
        await call(sandbox, 'GET', `${A1}/conversations/${teamConversation}`, { token: BOB }),
        'team member',
      );
      const note = await call(sandbox, 'POST', `${A1}/conversations/${teamConversation}/messages`, {
        token: BOB,
        body: { content: 'seen through the team', private: true },
      });
      ok(note, 'team member writes');
    });

    it('takes the access away with the membership', async () => {
      const id = await newConversation();
      await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2, 3] } });
      ok(await call(sandbox, 'GET', `${A1}/conversations/${id}`, { token: ALICE }), 'member');
      await call(sandbox, 'PATCH', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [3] } });
      const after = await call(sandbox, 'POST', `${A1}/conversations/${id}/messages`, {
        token: ALICE,
        body: { content: 'too late' },
      });
      assert.equal(after.status, 401);
      assert.deepEqual(after.json, REFUSED);
    });

    it('does not require the assignee to be an inbox member (AssignmentsController#set_agent)', async () => {
      const id = await newConversation();
      const assigned = await call(sandbox, 'POST', `${A1}/conversations/${id}/assignments`, {
        body: { assignee_id: 4 },
      });
      ok(assigned, 'assign');
      assert.equal(assigned.json.id, 4);
      // ... but the assignee cannot open it: assignment is not one of ConversationPolicy's grounds.
      const carol = await call(sandbox, 'GET', `${A1}/conversations/${id}`, { token: 'sandbox-carol-token' });
      assert.equal(carol.status, 401);
    });
  });

  describe('creating a conversation (InboxPolicy#show? on the inbox)', () => {
    it('refuses an agent outside the inbox before looking up the contact, and accepts a member', async () => {
      const refused = await call(sandbox, 'POST', `${A1}/conversations`, {
        token: ALICE,
        body: { inbox_id: inboxId, contact_id: 999_999 },
      });
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.json, REFUSED);
      assert.equal(sandbox.dump().accounts[0]?.conversations.length, 0);
      await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2] } });
      const created = await call(sandbox, 'POST', `${A1}/conversations`, {
        token: ALICE,
        body: { inbox_id: inboxId, contact_id: contactId },
      });
      ok(created, 'member creates');
    });
  });

  describe('lists (PermissionFilterService)', () => {
    it('lists to an agent only the conversations of its inboxes; an administrator sees all', async () => {
      const inArchive = await newConversation();
      const inOther = await newConversation(otherInboxId);
      const ids = (answer: Answer) =>
        (answer.json.data?.payload ?? answer.json.payload).map((c: { id: number }) => c.id).sort();
      const index = (token: string, query = '') =>
        call(sandbox, 'GET', `${A1}/conversations?status=all${query}`, { token });
      assert.deepEqual(ids(await index(ADMIN)), [inArchive, inOther].sort());
      const outsider = await index(ALICE);
      ok(outsider, 'index by an outsider');
      assert.deepEqual(ids(outsider), []);
      assert.equal(outsider.json.data.meta.all_count, 0);
      // Asking for an inbox one is not in is no error either: it lists nothing.
      assert.deepEqual(ids(await index(ALICE, `&inbox_id=${inboxId}`)), []);

      await call(sandbox, 'POST', `${A1}/inbox_members`, { body: { inbox_id: inboxId, user_ids: [2] } });
      assert.deepEqual(ids(await index(ALICE)), [inArchive]);
      assert.deepEqual(ids(await index(ALICE, `&inbox_id=${otherInboxId}`)), []);
      const filtered = await call(sandbox, 'POST', `${A1}/conversations/filter`, {
        token: ALICE,
        body: { payload: [{ attribute_key: 'status', filter_operator: 'equal_to', values: ['open'] }] },
      });
      ok(filtered, 'filter');
      assert.deepEqual(ids(filtered), [inArchive]);
      assert.equal(filtered.json.meta.all_count, 1);
      const byContact = await call(sandbox, 'GET', `${A1}/contacts/${contactId}/conversations`, {
        token: ALICE,
      });
      assert.deepEqual(ids(byContact), [inArchive]);
    });

    it('does not list a conversation reached only through its team', async () => {
      const id = await newConversation(otherInboxId);
      const team = await call(sandbox, 'POST', `${A1}/teams`, { body: { name: 'escalations' } });
      await call(sandbox, 'POST', `${A1}/teams/${team.json.id}/team_members`, { body: { user_ids: [3] } });
      await call(sandbox, 'POST', `${A1}/conversations/${id}/assignments`, {
        body: { team_id: team.json.id },
      });
      ok(await call(sandbox, 'GET', `${A1}/conversations/${id}`, { token: BOB }), 'show through the team');
      const listed = await call(sandbox, 'GET', `${A1}/conversations?status=all`, { token: BOB });
      assert.deepEqual(listed.json.data.payload, []);
    });
  });
});

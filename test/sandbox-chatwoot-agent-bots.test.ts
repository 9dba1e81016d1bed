/**
 * The Chatwoot sandbox's agent bots and the two kinds of message the migration posts for Intercom's
 * bots and events, as Chatwoot 4.10 has them (see src/sandbox/chatwoot/agentBots.ts): the
 * AgentBotsController with AgentBotPolicy, MessageBuilder's `sender_type: 'AgentBot'`, activity
 * messages created through the API, and what Message's callbacks do with both.
 */
import assert from 'node:assert/strict';
import {
  type ChatwootSandbox,
  type ChatwootSandboxOptions,
  DEFAULT_CHATWOOT_ACCOUNTS,
} from '../src/sandbox/chatwoot/index.js';
import {
  A1,
  ALICE,
  ALICE_ID,
  BOB_ID,
  call,
  type Json,
  notificationsOf,
  ok,
  sandboxesPerTest,
} from './helpers/chatwootApi.js';

const SECOND_ACCOUNT = {
  id: 2,
  name: 'Other company',
  users: [
    {
      id: 9,
      name: 'Other Admin',
      email: 'other-admin@sandbox.test',
      role: 'administrator' as const,
      accessToken: 'sandbox-other-admin-token',
    },
  ],
};

describe('Chatwoot sandbox: agent bots and activity messages', function () {
  this.timeout(30_000);
  let sandbox: ChatwootSandbox;
  const startSandbox = sandboxesPerTest();
  const start = async (options: ChatwootSandboxOptions = {}) => (sandbox = await startSandbox(options));
  const notifications = () => notificationsOf(sandbox);

  /** An API inbox with Alice and Bob as members, a contact, and a pending conversation of theirs. */
  async function conversation(status = 'pending') {
    const inbox = await ok(sandbox, 'POST', `${A1}/inboxes`, {
      name: 'Intercom archive',
      channel: { type: 'api' },
      enable_auto_assignment: false,
    });
    await ok(sandbox, 'POST', `${A1}/inbox_members`, { inbox_id: inbox.id, user_ids: [ALICE_ID, BOB_ID] });
    const contact = await ok(sandbox, 'POST', `${A1}/contacts`, { name: 'Ann', identifier: 'intercom:1' });
    const contactId = Number(contact.payload.contact.id);
    const created = await ok(sandbox, 'POST', `${A1}/conversations`, {
      inbox_id: inbox.id,
      contact_id: contactId,
      status,
    });
    return { id: Number(created.id), contactId };
  }

  const post = (conversationId: number, body: Record<string, unknown>, token?: string) =>
    ok(sandbox, 'POST', `${A1}/conversations/${conversationId}/messages`, body, token);

  describe('AgentBotsController and AgentBotPolicy', () => {
    it('creates a bot for an administrator and answers it as _agent_bot.json.jbuilder does', async () => {
      await start();
      assert.deepEqual(await ok(sandbox, 'GET', `${A1}/agent_bots`), []);
      const bot = await ok(sandbox, 'POST', `${A1}/agent_bots`, {
        name: 'Intercom bots',
        description: 'Answers of Intercom bots',
      });
      assert.equal(typeof bot.id, 'number');
      assert.equal(typeof bot.access_token, 'string');
      const { id, access_token: _token, ...rest } = bot;
      assert.deepEqual(rest, {
        name: 'Intercom bots',
        description: 'Answers of Intercom bots',
        thumbnail: '',
        outgoing_url: null,
        bot_type: 'webhook',
        bot_config: {},
        account_id: 1,
        system_bot: false,
      });
      assert.deepEqual(
        (await ok(sandbox, 'GET', `${A1}/agent_bots`)).map((listed: Json) => listed.id),
        [id],
      );
      assert.equal((await ok(sandbox, 'GET', `${A1}/agent_bots/${id}`)).name, 'Intercom bots');
    });

    it('refuses agents (401) and validates only the outgoing URL’s length', async () => {
      await start();
      for (const [method, path] of [
        ['GET', `${A1}/agent_bots`],
        ['POST', `${A1}/agent_bots`],
      ]) {
        const body = method === 'POST' ? { name: 'Mine' } : undefined;
        const refused = await call(sandbox, method, path, { token: ALICE, body });
        assert.equal(refused.status, 401, `${method} ${path}`);
        assert.deepEqual(refused.json, { error: 'You are not authorized to do this action' });
      }
      const bot = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Fin' });
      assert.equal((await call(sandbox, 'GET', `${A1}/agent_bots/${bot.id}`, { token: ALICE })).status, 401);

      // AgentBot validates no name: a bot without one is created.
      const nameless = await ok(sandbox, 'POST', `${A1}/agent_bots`, {});
      assert.equal(nameless.name, null);
      const long = await call(sandbox, 'POST', `${A1}/agent_bots`, {
        body: { name: 'Hook', outgoing_url: `https://bots.example.com/${'a'.repeat(2048)}` },
      });
      assert.equal(long.status, 422);
      assert.deepEqual(long.json, {
        message: 'Outgoing url is too long (maximum is 2048 characters)',
        attributes: ['outgoing_url'],
      });
      // enum bot_type: { webhook: 0 }: another value raises ArgumentError, unrescued.
      const badType = await call(sandbox, 'POST', `${A1}/agent_bots`, {
        body: { name: 'X', bot_type: 'csml' },
      });
      assert.equal(badType.status, 500);
      assert.deepEqual(
        (await ok(sandbox, 'GET', `${A1}/agent_bots`)).map((listed: Json) => listed.name),
        ['Fin', null],
      );
    });

    it('lists the system bots to every account, and another account’s bots to none', async () => {
      await start({ accounts: [...DEFAULT_CHATWOOT_ACCOUNTS, SECOND_ACCOUNT] });
      const system = sandbox.state.seedSystemAgentBot({ name: 'Captain' });
      const theirs = await ok(
        sandbox,
        'POST',
        '/api/v1/accounts/2/agent_bots',
        { name: 'Theirs' },
        'sandbox-other-admin-token',
      );
      const mine = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Mine' });
      const listed = await ok(sandbox, 'GET', `${A1}/agent_bots`);
      assert.deepEqual(
        listed.map((bot: Json) => [bot.id, bot.account_id, bot.system_bot]),
        [
          [system.id, null, true],
          [mine.id, 1, false],
        ],
      );
      assert.equal('outgoing_url' in listed[0], false, 'a system bot’s outgoing_url is not rendered');
      assert.equal((await ok(sandbox, 'GET', `${A1}/agent_bots/${system.id}`)).name, 'Captain');
      assert.equal((await call(sandbox, 'GET', `${A1}/agent_bots/${theirs.id}`)).status, 404);
    });
  });

  describe('MessageBuilder sender_type AgentBot', () => {
    it('makes an outgoing message the bot’s, rendered as push_event_data', async () => {
      await start();
      const bot = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Intercom bots' });
      const c = await conversation();
      const posted = await post(c.id, {
        content: 'I am Fin',
        message_type: 'outgoing',
        sender_type: 'AgentBot',
        sender_id: bot.id,
      });
      assert.deepEqual(posted.sender, {
        id: bot.id,
        name: 'Intercom bots',
        avatar_url: '',
        type: 'agent_bot',
      });
      const listed = await ok(sandbox, 'GET', `${A1}/conversations/${c.id}/messages`);
      assert.deepEqual(listed.payload.at(-1).sender, posted.sender);
      const dumped = sandbox.dump().accounts[0]?.conversations[0]?.messages.at(-1);
      assert.deepEqual(dumped?.sender, { type: 'agent_bot', id: bot.id });
      assert.deepEqual(
        sandbox.dump().accounts[0]?.agent_bots.map((listedBot) => listedBot.name),
        ['Intercom bots'],
      );
    });

    it('falls back to the token’s user for an unknown bot, another account’s bot or another sender_type', async () => {
      await start({ accounts: [...DEFAULT_CHATWOOT_ACCOUNTS, SECOND_ACCOUNT] });
      const theirs = await ok(
        sandbox,
        'POST',
        '/api/v1/accounts/2/agent_bots',
        { name: 'Theirs' },
        'sandbox-other-admin-token',
      );
      const mine = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Mine' });
      const c = await conversation();
      const senders = [];
      for (const extra of [
        { sender_type: 'AgentBot', sender_id: 99_999 },
        { sender_type: 'AgentBot', sender_id: theirs.id },
        { sender_type: 'agent_bot', sender_id: mine.id },
        { sender_type: 'AgentBot' },
      ]) {
        const posted = await post(c.id, { content: 'hello', message_type: 'outgoing', ...extra });
        senders.push([posted.sender.type, posted.sender.id]);
      }
      assert.deepEqual(senders, [
        ['user', 1],
        ['user', 1],
        ['user', 1],
        ['user', 1],
      ]);
      // A system bot is in the builder's scope too.
      const system = sandbox.state.seedSystemAgentBot({ name: 'Captain' });
      const bySystem = await post(c.id, {
        content: 'hi',
        message_type: 'outgoing',
        sender_type: 'AgentBot',
        sender_id: String(system.id),
      });
      assert.deepEqual([bySystem.sender.type, bySystem.sender.id], ['agent_bot', system.id]);
      // Only outgoing messages look at sender_type: an incoming one is the contact's.
      const incoming = await post(c.id, {
        content: 'from Ann',
        message_type: 'incoming',
        sender_type: 'AgentBot',
        sender_id: mine.id,
      });
      assert.deepEqual([incoming.sender.type, incoming.sender.id], ['contact', c.contactId]);
    });

    it('is no human first reply: an agent’s later reply is the first reply (valid_first_reply?)', async () => {
      let clock = Date.UTC(2024, 0, 1);
      await start({ now: () => clock });
      const bot = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Intercom bots' });
      const c = await conversation('open');
      const firstReply = async () =>
        (await ok(sandbox, 'GET', `${A1}/conversations/${c.id}`)).first_reply_created_at as number;
      await post(c.id, { content: 'question', message_type: 'incoming' });
      clock += 60_000;
      await post(c.id, {
        content: 'bot answer',
        message_type: 'outgoing',
        sender_type: 'AgentBot',
        sender_id: bot.id,
      });
      clock += 60_000;
      await post(c.id, {
        content: 'bot again',
        message_type: 'outgoing',
        sender_type: 'AgentBot',
        sender_id: bot.id,
      });
      assert.equal(await firstReply(), 0, 'a bot answer is not a first reply');
      clock += 60_000;
      const agent = await post(c.id, { content: 'agent answer', message_type: 'outgoing' }, ALICE);
      assert.equal(await firstReply(), agent.created_at, 'bots’ messages are not counted before it');
      clock += 60_000;
      await post(c.id, { content: 'agent again', message_type: 'outgoing' });
      assert.equal(await firstReply(), agent.created_at);
    });

    it('has a bot’s answer notify the assignee like any public outgoing message', async () => {
      await start();
      const bot = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Intercom bots' });
      const c = await conversation('open');
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/assignments`, { assignee_id: ALICE_ID });
      const before = (await notifications()).length;
      await post(c.id, {
        content: 'bot answer',
        message_type: 'outgoing',
        sender_type: 'AgentBot',
        sender_id: bot.id,
      });
      assert.deepEqual(
        (await notifications()).slice(before).map((n: Json) => [n.notification_type, n.user_id]),
        [['assigned_conversation_new_message', ALICE_ID]],
      );
    });
  });

  describe('activity messages created through the API', () => {
    it('are the contact’s, notify no one, reopen nothing and are hidden from the widget', async () => {
      await start();
      const c = await conversation('open');
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/assignments`, { assignee_id: ALICE_ID });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/toggle_status`, { status: 'resolved' });
      await sandbox.state.jobsSettled();
      const before = (await notifications()).length;
      const line = 'Conversation was marked resolved by Dana Agent · 2021-03-04 10:15 UTC';
      const activity = await post(c.id, {
        content: line,
        message_type: 'activity',
        private: false,
        source_id: '4242',
        content_attributes: { external_created_at: 1614852900 },
      });
      assert.equal(activity.message_type, 2);
      assert.equal(activity.content, line);
      assert.equal(activity.source_id, '4242');
      assert.deepEqual([activity.sender.type, activity.sender.id], ['contact', c.contactId]);
      assert.equal((await notifications()).length, before, 'Message#notifiable? is false for activity');
      const shown = await ok(sandbox, 'GET', `${A1}/conversations/${c.id}`);
      assert.equal(shown.status, 'resolved', 'only incoming messages reopen');
      assert.equal(shown.first_reply_created_at, 0);
      // Message#update_contact_activity: its sender is the contact.
      const contact = await ok(sandbox, 'GET', `${A1}/contacts/${c.contactId}`);
      assert.equal(contact.payload.last_activity_at, activity.created_at);

      const all = await ok(sandbox, 'GET', `${A1}/conversations/${c.id}/messages`);
      assert.ok(all.payload.some((message: Json) => message.source_id === '4242'));
      // MessageFinder with filter_internal_messages, as the widget asks: no private, no activity.
      const widget = await ok(
        sandbox,
        'GET',
        `${A1}/conversations/${c.id}/messages?filter_internal_messages=true`,
      );
      assert.ok(widget.payload.every((message: Json) => message.message_type !== 2 && !message.private));
    });

    it('takes no sender_type: an activity message is never a bot’s', async () => {
      await start();
      const bot = await ok(sandbox, 'POST', `${A1}/agent_bots`, { name: 'Intercom bots' });
      const c = await conversation();
      const activity = await post(c.id, {
        content: 'Conversation was reopened by Fin · 2021-03-04 10:15 UTC',
        message_type: 'activity',
        sender_type: 'AgentBot',
        sender_id: bot.id,
      });
      assert.deepEqual([activity.sender.type, activity.sender.id], ['contact', c.contactId]);
    });
  });
});

/**
 * The Chatwoot sandbox's side effects and the settings that cause them, as Chatwoot 4.10 has them:
 * portal locales and category validation, article content, inbox and team settings, automation rules
 * and webhooks, and the notifications NotificationListener would create (see sideEffects.ts).
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

describe('Chatwoot sandbox: settings and side effects', function () {
  this.timeout(30_000);
  let sandbox: ChatwootSandbox;
  const startSandbox = sandboxesPerTest();
  const start = async (options: ChatwootSandboxOptions = {}) => (sandbox = await startSandbox(options));
  const notifications = () => notificationsOf(sandbox);

  /** An API inbox with Alice and Bob as members, a contact, and the contact's conversation in it. */
  async function inboxWithMembers(settings: Record<string, unknown> = { enable_auto_assignment: false }) {
    const inbox = await ok(sandbox, 'POST', `${A1}/inboxes`, {
      name: 'Intercom archive',
      channel: { type: 'api' },
      ...settings,
    });
    await ok(sandbox, 'POST', `${A1}/inbox_members`, { inbox_id: inbox.id, user_ids: [ALICE_ID, BOB_ID] });
    const contact = await ok(sandbox, 'POST', `${A1}/contacts`, { name: 'Ann', identifier: 'intercom:1' });
    return { inboxId: Number(inbox.id), contactId: Number(contact.payload.contact.id) };
  }

  describe('help center (portal.rb, category.rb, article.rb)', () => {
    it('allows categories only in the portal’s locales: English alone without a config', async () => {
      await start();
      const portal = await ok(sandbox, 'POST', `${A1}/portals`, { name: 'Help', slug: 'help' });
      // _portal.json.jbuilder renders each allowed locale as _portal_config.json.jbuilder: {code, counts}.
      assert.deepEqual(portal.config.allowed_locales, [
        { code: 'en', articles_count: 0, categories_count: 0 },
      ]);
      assert.equal(portal.config.default_locale, 'en');
      const refused = await call(sandbox, 'POST', `${A1}/portals/help/categories`, {
        body: { name: 'Premiers pas', slug: 'premiers-pas', locale: 'fr' },
      });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /fr of category is not part of portal's \[\\?"en\\?"\]/);

      const updated = await ok(sandbox, 'PATCH', `${A1}/portals/help`, {
        config: { allowed_locales: ['en', 'fr'] },
      });
      assert.deepEqual(
        updated.config.allowed_locales.map((locale: { code: string }) => locale.code),
        ['en', 'fr'],
      );
      assert.equal(updated.config.default_locale, 'en', 'the stored default stays (persisted_config.merge)');
      const category = await ok(sandbox, 'POST', `${A1}/portals/help/categories`, {
        name: 'Premiers pas',
        slug: 'premiers-pas',
        locale: 'fr',
      });
      assert.equal(category.payload.locale, 'fr');
    });

    it('takes a portal’s locales from its config, the first being the default', async () => {
      await start();
      const portal = await ok(sandbox, 'POST', `${A1}/portals`, {
        name: 'Aide',
        slug: 'aide',
        config: { allowed_locales: ['fr', 'de'] },
      });
      assert.deepEqual(portal.config, {
        allowed_locales: [
          { code: 'fr', articles_count: 0, categories_count: 0 },
          { code: 'de', articles_count: 0, categories_count: 0 },
        ],
        default_locale: 'fr',
      });
    });

    it('refuses an article without content and gives an article its category’s locale', async () => {
      await start();
      await ok(sandbox, 'POST', `${A1}/portals`, {
        name: 'Help',
        slug: 'help',
        config: { allowed_locales: ['en', 'fr'] },
      });
      const category = await ok(sandbox, 'POST', `${A1}/portals/help/categories`, {
        name: 'Premiers pas',
        slug: 'premiers-pas',
        locale: 'fr',
      });
      const empty = await call(sandbox, 'POST', `${A1}/portals/help/articles`, {
        body: { title: 'Vide', content: '', author_id: 1, category_id: category.payload.id },
      });
      assert.equal(empty.status, 422);
      assert.match(empty.text, /Content can't be blank/);
      const article = await ok(sandbox, 'POST', `${A1}/portals/help/articles`, {
        title: 'Bienvenue',
        content: 'Bonjour',
        author_id: 1,
        category_id: category.payload.id,
        locale: 'en',
      });
      assert.equal(article.payload.locale, 'fr');
    });
  });

  describe('inbox and team settings', () => {
    it('updates an inbox’s auto-assignment, greeting and CSAT; administrators only', async () => {
      await start();
      const inbox = await ok(sandbox, 'POST', `${A1}/inboxes`, {
        name: 'Intercom archive',
        channel: { type: 'api', webhook_url: 'https://hooks.example.com/x' },
        enable_auto_assignment: true,
        greeting_enabled: true,
        csat_survey_enabled: true,
      });
      assert.equal(inbox.enable_auto_assignment, true);
      const refused = await call(sandbox, 'PATCH', `${A1}/inboxes/${inbox.id}`, {
        token: ALICE,
        body: { enable_auto_assignment: false },
      });
      assert.equal(refused.status, 401);
      const updated = await ok(sandbox, 'PATCH', `${A1}/inboxes/${inbox.id}`, {
        enable_auto_assignment: false,
        greeting_enabled: false,
        csat_survey_enabled: false,
        channel: { webhook_url: '' },
      });
      assert.equal(updated.enable_auto_assignment, false);
      assert.equal(updated.greeting_enabled, false);
      assert.equal(updated.csat_survey_enabled, false);
      assert.equal(updated.webhook_url, null);
      assert.equal(updated.name, 'Intercom archive', 'what is not sent stays');
    });

    it('updates a team’s allow_auto_assign', async () => {
      await start();
      const team = await ok(sandbox, 'POST', `${A1}/teams`, { name: 'Billing', allow_auto_assign: true });
      assert.equal(team.allow_auto_assign, true);
      const updated = await ok(sandbox, 'PATCH', `${A1}/teams/${team.id}`, { allow_auto_assign: false });
      assert.equal(updated.allow_auto_assign, false);
      assert.equal(updated.name, 'billing');
    });
  });

  describe('automation rules and webhooks', () => {
    const seeded = (): ChatwootSandboxOptions => ({
      accounts: [
        {
          ...(DEFAULT_CHATWOOT_ACCOUNTS[0] as (typeof DEFAULT_CHATWOOT_ACCOUNTS)[number]),
          automationRules: [
            { name: 'Auto-reply', eventName: 'conversation_created' },
            { name: 'Old rule', eventName: 'message_created', active: false },
          ],
          webhooks: [
            { url: 'https://hooks.example.com/chatwoot?secret=1', subscriptions: ['message_created'] },
          ],
        },
      ],
    });

    it('lists the seeded rules with their active flag and switches one off', async () => {
      await start(seeded());
      const rules = await ok(sandbox, 'GET', `${A1}/automation_rules`);
      assert.deepEqual(
        rules.payload.map((rule: Json) => [rule.name, rule.event_name, rule.active]),
        [
          ['Auto-reply', 'conversation_created', true],
          ['Old rule', 'message_created', false],
        ],
      );
      const first = rules.payload[0].id;
      assert.equal((await call(sandbox, 'GET', `${A1}/automation_rules`, { token: ALICE })).status, 401);
      const paused = await ok(sandbox, 'PATCH', `${A1}/automation_rules/${first}`, { active: false });
      assert.equal(paused.active, false);
      const again = await ok(sandbox, 'GET', `${A1}/automation_rules/${first}`);
      assert.equal(again.active, false);
    });

    it('lists webhooks under payload.webhooks and deletes one', async () => {
      await start(seeded());
      const listed = await ok(sandbox, 'GET', `${A1}/webhooks`);
      assert.equal(listed.payload.webhooks.length, 1);
      assert.deepEqual(listed.payload.webhooks[0].subscriptions, ['message_created']);
      await ok(sandbox, 'DELETE', `${A1}/webhooks/${listed.payload.webhooks[0].id}`);
      assert.equal((await ok(sandbox, 'GET', `${A1}/webhooks`)).payload.webhooks.length, 0);
    });
  });

  describe('notifications (notification_listener.rb, new_message_notification_service.rb)', () => {
    it('notifies every inbox member of an open conversation, and no one of a pending one', async () => {
      await start();
      const { inboxId, contactId } = await inboxWithMembers();
      await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      assert.deepEqual(await notifications(), []);
      const open = await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
      });
      assert.deepEqual(
        (await notifications()).map((n: Json) => [n.notification_type, n.user_id, n.conversation_id]),
        [
          ['conversation_creation', ALICE_ID, open.id],
          ['conversation_creation', BOB_ID, open.id],
        ],
      );
      const dump = sandbox.dump().accounts[0];
      assert.equal(dump?.notifications.length, 2, 'the dump holds the same record');
    });

    it('notifies an assignee unless the conversation is pending or the assignee assigned themself', async () => {
      await start();
      const { inboxId, contactId } = await inboxWithMembers();
      const pending = await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      await ok(sandbox, 'POST', `${A1}/conversations/${pending.id}/assignments`, { assignee_id: ALICE_ID });
      assert.deepEqual(await notifications(), []);
      // Resolving it afterwards notifies no one either: only the assignment event notifies.
      await ok(sandbox, 'POST', `${A1}/conversations/${pending.id}/toggle_status`, { status: 'resolved' });
      assert.deepEqual(await notifications(), []);
      // A resolved conversation is not pending: assigning it notifies.
      await ok(sandbox, 'POST', `${A1}/conversations/${pending.id}/assignments`, { assignee_id: BOB_ID });
      assert.deepEqual(
        (await notifications()).map((n: Json) => [n.notification_type, n.user_id]),
        [['conversation_assignment', BOB_ID]],
      );
      // Self-assignment (Current.user is the assignee) is never notifiable.
      await ok(
        sandbox,
        'POST',
        `${A1}/conversations/${pending.id}/assignments`,
        { assignee_id: ALICE_ID },
        ALICE,
      );
      assert.equal((await notifications()).length, 1);
    });

    it('notifies the assignee and participants of each public message they did not send, pending or not', async () => {
      await start();
      const { inboxId, contactId } = await inboxWithMembers();
      const c = await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/assignments`, { assignee_id: ALICE_ID });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/messages`, {
        content: 'hi',
        message_type: 'incoming',
      });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/messages`, {
        content: 'a note',
        message_type: 'outgoing',
        private: true,
      });
      await ok(
        sandbox,
        'POST',
        `${A1}/conversations/${c.id}/messages`,
        { content: 'mine', message_type: 'outgoing' },
        ALICE,
      );
      assert.deepEqual(
        (await notifications()).map((n: Json) => [n.notification_type, n.user_id]),
        [['assigned_conversation_new_message', ALICE_ID]],
        'the incoming message only: notes are not notifiable and Alice sent the reply',
      );
      // Alice stays a participant after Bob takes over: both hear of the next message.
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/assignments`, { assignee_id: BOB_ID });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/messages`, {
        content: 'again',
        message_type: 'incoming',
      });
      assert.deepEqual(
        (await notifications()).slice(1).map((n: Json) => [n.notification_type, n.user_id]),
        [
          ['assigned_conversation_new_message', BOB_ID],
          ['participating_conversation_new_message', ALICE_ID],
        ],
      );
    });

    it('records nothing for history imported pending, unassigned until the last message', async () => {
      await start();
      const { inboxId, contactId } = await inboxWithMembers();
      const team = await ok(sandbox, 'POST', `${A1}/teams`, { name: 'Support', allow_auto_assign: false });
      await ok(sandbox, 'POST', `${A1}/teams/${team.id}/team_members`, { user_ids: [ALICE_ID] });
      const c = await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/messages`, {
        content: 'q',
        message_type: 'incoming',
      });
      await ok(
        sandbox,
        'POST',
        `${A1}/conversations/${c.id}/messages`,
        { content: 'a', message_type: 'outgoing' },
        ALICE,
      );
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/assignments`, { team_id: team.id });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/assignments`, { assignee_id: ALICE_ID });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/toggle_status`, { status: 'open' });
      assert.deepEqual(await notifications(), []);
    });

    it('auto-assigns an online inbox member when a conversation opens, if the inbox says so', async () => {
      const account = DEFAULT_CHATWOOT_ACCOUNTS[0] as (typeof DEFAULT_CHATWOOT_ACCOUNTS)[number];
      await start({ accounts: [{ ...account, onlineUserIds: [BOB_ID] }] });
      const { inboxId, contactId } = await inboxWithMembers({ enable_auto_assignment: true });
      const c = await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      await ok(sandbox, 'POST', `${A1}/conversations/${c.id}/toggle_status`, { status: 'open' });
      const shown = await ok(sandbox, 'GET', `${A1}/conversations/${c.id}`);
      assert.equal(shown.meta.assignee.id, BOB_ID, 'the online member');
      assert.deepEqual(
        (await notifications()).map((n: Json) => [n.notification_type, n.user_id]),
        [['conversation_assignment', BOB_ID]],
      );
    });

    it('auto-assigns an online team member on a team change when the team allows it', async () => {
      const account = DEFAULT_CHATWOOT_ACCOUNTS[0] as (typeof DEFAULT_CHATWOOT_ACCOUNTS)[number];
      await start({ accounts: [{ ...account, onlineUserIds: [ALICE_ID, BOB_ID] }] });
      const { inboxId, contactId } = await inboxWithMembers();
      const allowing = await ok(sandbox, 'POST', `${A1}/teams`, { name: 'Sales', allow_auto_assign: true });
      const quiet = await ok(sandbox, 'POST', `${A1}/teams`, { name: 'Quiet', allow_auto_assign: false });
      for (const team of [allowing, quiet]) {
        await ok(sandbox, 'POST', `${A1}/teams/${team.id}/team_members`, { user_ids: [BOB_ID] });
      }
      const first = await ok(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        status: 'pending',
      });
      await ok(sandbox, 'POST', `${A1}/conversations/${first.id}/assignments`, { team_id: quiet.id });
      assert.equal((await ok(sandbox, 'GET', `${A1}/conversations/${first.id}`)).meta.assignee, undefined);
      await ok(sandbox, 'POST', `${A1}/conversations/${first.id}/assignments`, { team_id: allowing.id });
      assert.equal((await ok(sandbox, 'GET', `${A1}/conversations/${first.id}`)).meta.assignee.id, BOB_ID);
    });
  });
});

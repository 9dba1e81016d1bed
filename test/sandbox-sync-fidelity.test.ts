/**
 * What the delta sync relies on in both sandboxes, as the real services do it.
 *
 * Chatwoot 4.10: POST /conversations/:id/labels replaces the list (LabelConcern#create ->
 * Labelable#update_labels); the filter's answer renders each conversation with `labels`
 * (cached_label_list_array), `status`, `snoozed_until` and meta.assignee / meta.team
 * (conversations/partials/_conversation.json.jbuilder); toggle_status takes snoozed_until in unix
 * seconds (ConversationsController#set_conversation_status) and any other status clears it
 * (Conversation#ensure_snooze_until_reset); an assignment of null unassigns (AssignmentsController);
 * an incoming message reopens a resolved or snoozed conversation (Message#reopen_conversation).
 *
 * Intercom: "Manage a conversation" (POST /conversations/{id}/parts) closes, snoozes, opens and
 * assigns, leaving a part and moving updated_at; "Detach a tag" (DELETE /conversations/{id}/tags/{tag_id}).
 */
import assert from 'node:assert/strict';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import * as intercomSchemas from '../src/clients/intercom/schemas.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import {
  generateWorkspace,
  type IntercomSandbox,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';
import { request } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';
const ALICE = 'sandbox-alice-token';
const A1 = '/api/v1/accounts/1';

const call = (url: string, method: string, headers: Record<string, string>, body?: unknown) =>
  request(url, method, { headers, body });

describe('sandbox behaviour the delta sync relies on', () => {
  describe('Chatwoot', () => {
    let sandbox: ChatwootSandbox;
    let client: ChatwootClient;
    const chatwoot = (method: string, path: string, body?: unknown, token = ADMIN) =>
      call(`${sandbox.url}${A1}${path}`, method, { api_access_token: token }, body);

    beforeEach(async () => {
      sandbox = await startChatwootSandbox({});
      client = new ChatwootClient({ baseUrl: sandbox.url, accountId: 1, token: ADMIN });
    });
    afterEach(() => sandbox.close());

    /** A conversation stamped c1 in an inbox Alice belongs to, and a team with Bob only. */
    async function setUp() {
      await client.createCustomAttributeDefinition({
        model: 'conversation',
        key: 'intercom_id',
        displayName: 'Intercom id',
        displayType: 'text',
      });
      const inbox = (await chatwoot('POST', '/inboxes', { name: 'Archive', channel: { type: 'api' } })).json;
      assert.equal(
        (await chatwoot('POST', '/inbox_members', { inbox_id: inbox.id, user_ids: [2, 3] })).status,
        200,
      );
      const contact = (await chatwoot('POST', '/contacts', { name: 'Ann', identifier: 'ann' })).json;
      const conversation = (
        await chatwoot('POST', '/conversations', {
          inbox_id: inbox.id,
          contact_id: contact.payload.contact.id,
          status: 'pending',
          custom_attributes: { intercom_id: 'c1' },
        })
      ).json;
      const team = (await chatwoot('POST', '/teams', { name: 'Billing' })).json;
      assert.equal((await chatwoot('POST', `/teams/${team.id}/team_members`, { user_ids: [3] })).status, 200);
      for (const title of ['billing', 'vip', 'refund']) await chatwoot('POST', '/labels', { title });
      return { id: conversation.id as number, teamId: team.id as number };
    }
    const found = async () => (await client.filterConversationsByCustomAttribute('intercom_id', 'c1'))[0];

    it('replaces the label list on POST labels, and the filter answer carries the labels', async () => {
      const { id } = await setUp();
      assert.deepEqual(await client.setLabels(id, ['billing', 'refund']), ['billing', 'refund']);
      // An agent adds a label as the dashboard does: the whole list again, with the new one.
      const byAgent = await chatwoot(
        'POST',
        `/conversations/${id}/labels`,
        { labels: ['billing', 'refund', 'vip'] },
        ALICE,
      );
      assert.equal(byAgent.status, 200);
      assert.deepEqual((await found())?.labels, ['billing', 'refund', 'vip']);
      // A list without a label removes it: a sync that sent only Intercom's labels would drop the agent's.
      assert.deepEqual(await client.setLabels(id, ['billing']), ['billing']);
      assert.deepEqual((await found())?.labels, ['billing']);
    });

    it('renders status, snoozed_until, meta.assignee and meta.team in the filter answer', async () => {
      const { id, teamId } = await setUp();
      const until = Math.floor(Date.now() / 1000) + 86_400;
      await client.assign(id, { team_id: teamId, assignee_id: 3 });
      await client.toggleStatus(id, 'snoozed', until);
      let conversation = await found();
      assert.equal(conversation?.status, 'snoozed');
      assert.equal(Date.parse(String(conversation?.snoozed_until)) / 1000, until);
      assert.equal(conversation?.meta?.assignee?.id, 3);
      assert.equal(conversation?.meta?.team?.id, teamId);
      // Any other status clears the snooze end; null unassigns agent and team.
      await client.toggleStatus(id, 'resolved');
      await client.assign(id, { team_id: null, assignee_id: null });
      conversation = await found();
      assert.equal(conversation?.status, 'resolved');
      assert.equal(conversation?.snoozed_until, null);
      assert.equal(conversation?.meta?.assignee, undefined);
      assert.equal(conversation?.meta?.team, undefined);
    });

    it('drops an assignee outside a new team, and reopens a resolved or snoozed conversation on an incoming message', async () => {
      const { id, teamId } = await setUp();
      await client.assign(id, { assignee_id: 2 });
      await client.assign(id, { team_id: teamId });
      assert.equal((await found())?.meta?.assignee, undefined, 'Alice is not in the team');
      await client.toggleStatus(id, 'resolved');
      await client.createMessage(id, { content: 'again', message_type: 'incoming', private: false });
      assert.equal((await found())?.status, 'open');
      await client.toggleStatus(id, 'snoozed', Math.floor(Date.now() / 1000) + 600);
      await client.createMessage(id, { content: 'and again', message_type: 'incoming', private: false });
      assert.equal((await found())?.status, 'open');
    });
  });

  describe('Intercom', () => {
    let sandbox: IntercomSandbox;
    let clock = 1_700_000_000_000;
    const dataset = generateWorkspace({ seed: 13, conversations: 3, partsPerConversation: 2 });
    const intercom = (method: string, path: string, body?: unknown) =>
      call(
        `${sandbox.url}${path}`,
        method,
        { authorization: 'Bearer t', 'intercom-version': '2.16', accept: 'application/json' },
        body,
      );

    before(async () => {
      sandbox = await startIntercomSandbox({ dataset, token: 't', now: () => clock });
    });
    after(() => sandbox.close());

    it('closes, snoozes, opens and assigns through POST /conversations/{id}/parts', async () => {
      const target = dataset.conversations[0];
      const admin = dataset.admins[0];
      const team = dataset.teams[0];
      assert.ok(target && admin && team);
      const parts = () => target.conversation_parts?.conversation_parts ?? [];
      const before = parts().length;
      clock += 60_000;
      const closed = await intercom('POST', `/conversations/${target.id}/parts`, {
        message_type: 'close',
        type: 'admin',
        admin_id: admin.id,
      });
      assert.equal(closed.status, 200, JSON.stringify(closed.json));
      const answer = intercomSchemas.Conversation.parse(closed.json);
      assert.equal(answer.state, 'closed');
      assert.equal(target.updated_at, Math.floor(clock / 1000));
      assert.equal(parts().at(-1)?.part_type, 'close');

      const until = Math.floor(clock / 1000) + 3600;
      await intercom('POST', `/conversations/${target.id}/parts`, {
        message_type: 'snoozed',
        admin_id: admin.id,
        snoozed_until: until,
      });
      assert.equal(target.state, 'snoozed');
      assert.equal(target.snoozed_until, until);
      await intercom('POST', `/conversations/${target.id}/parts`, {
        message_type: 'open',
        admin_id: admin.id,
      });
      assert.equal(target.state, 'open');
      assert.equal(target.snoozed_until, null);

      await intercom('POST', `/conversations/${target.id}/parts`, {
        message_type: 'assignment',
        type: 'team',
        admin_id: admin.id,
        assignee_id: team.id,
      });
      assert.equal(target.team_assignee_id, team.id);
      assert.deepEqual(parts().at(-1)?.assigned_to, { type: 'team', id: team.id });
      await intercom('POST', `/conversations/${target.id}/parts`, {
        message_type: 'assignment',
        type: 'admin',
        admin_id: admin.id,
        assignee_id: '0',
      });
      assert.equal(target.admin_assignee_id, null);
      assert.equal(parts().length, before + 5);
      assert.equal(
        (
          await intercom('POST', `/conversations/${target.id}/parts`, {
            message_type: 'close',
            admin_id: admin.id,
          })
        ).status,
        400,
        'close needs type admin',
      );
      assert.equal(
        (
          await intercom('POST', `/conversations/${target.id}/parts`, {
            message_type: 'open',
            admin_id: 'nobody',
          })
        ).status,
        404,
      );
    });

    it('detaches a tag with DELETE /conversations/{id}/tags/{tag_id}', async () => {
      const target = dataset.conversations[1];
      const admin = dataset.admins[0];
      const tag = dataset.tags[0];
      assert.ok(target && admin && tag);
      await intercom('POST', `/conversations/${target.id}/tags`, { id: tag.id, admin_id: admin.id });
      assert.ok(target.tags?.tags.some((t) => t.id === tag.id));
      clock += 60_000;
      const detached = await intercom('DELETE', `/conversations/${target.id}/tags/${tag.id}`, {
        admin_id: admin.id,
      });
      assert.equal(detached.status, 200);
      assert.equal(intercomSchemas.Tag.parse(detached.json).id, tag.id);
      assert.ok(!target.tags?.tags.some((t) => t.id === tag.id));
      assert.equal(target.updated_at, Math.floor(clock / 1000));
      const again = await intercom('DELETE', `/conversations/${target.id}/tags/${tag.id}`, {
        admin_id: admin.id,
      });
      assert.equal(again.status, 404);
    });
  });
});

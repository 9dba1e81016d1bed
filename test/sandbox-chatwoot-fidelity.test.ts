/**
 * Where the Chatwoot sandbox answered differently from Chatwoot 4.10 on the routes the migration calls:
 * the conversation lists' meta, the label filter of the index, and activity messages that a Sidekiq
 * job creates after the request has answered.
 */
import assert from 'node:assert/strict';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import type { ChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { call as api, sandboxesPerTest } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';
const A1 = '/api/v1/accounts/1';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON walked by the assertions
type Json = any;

const call = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown) =>
  api(sandbox, method, path, { body, token: ADMIN });

async function created(sandbox: ChatwootSandbox, path: string, body: unknown): Promise<Json> {
  const answer = await call(sandbox, 'POST', path, body);
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return answer.json;
}

describe('Chatwoot sandbox fidelity to 4.10', () => {
  const start = sandboxesPerTest();

  /** An API inbox, a contact, and `count` open conversations of it (display ids). */
  async function conversations(sandbox: ChatwootSandbox, count: number) {
    const inbox = await created(sandbox, `${A1}/inboxes`, { name: 'Archive', channel: { type: 'api' } });
    const contact = await created(sandbox, `${A1}/contacts`, { name: 'Ann', identifier: 'ann' });
    const ids: number[] = [];
    for (let index = 0; index < count; index++) {
      const conversation = await created(sandbox, `${A1}/conversations`, {
        inbox_id: inbox.id,
        contact_id: contact.payload.contact.id,
        custom_attributes: { intercom_id: `c${index}` },
      });
      ids.push(conversation.id);
    }
    return { inboxId: inbox.id as number, ids };
  }

  it('renders the conversation filter meta as filter.json.jbuilder: mine, unassigned and all counts', async () => {
    const sandbox = await start();
    const { ids } = await conversations(sandbox, 2);
    await created(sandbox, `${A1}/conversations/${ids[0]}/assignments`, { assignee_id: 1 });
    const filtered = await call(sandbox, 'POST', `${A1}/conversations/filter`, {
      payload: [{ attribute_key: 'status', filter_operator: 'equal_to', values: ['open'] }],
    });
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.json.meta, { mine_count: 1, unassigned_count: 1, all_count: 2 });
    const index = await call(sandbox, 'GET', `${A1}/conversations?status=all`);
    assert.deepEqual(index.json.data.meta, {
      mine_count: 1,
      assigned_count: 1,
      unassigned_count: 1,
      all_count: 2,
    });
  });

  it('counts the index meta before the assignee_type filter, as ConversationFinder#perform does', async () => {
    const sandbox = await start();
    const { ids } = await conversations(sandbox, 3);
    await created(sandbox, `${A1}/conversations/${ids[0]}/assignments`, { assignee_id: 1 });
    const unassigned = await call(sandbox, 'GET', `${A1}/conversations?assignee_type=unassigned`);
    assert.equal(unassigned.json.data.payload.length, 2);
    assert.deepEqual(unassigned.json.data.meta, {
      mine_count: 1,
      assigned_count: 1,
      unassigned_count: 2,
      all_count: 3,
    });
    const mine = await call(sandbox, 'GET', `${A1}/conversations?assignee_type=me`);
    assert.deepEqual(
      mine.json.data.payload.map((conversation: Json) => conversation.id),
      [ids[0]],
    );
    assert.equal(mine.json.data.meta.all_count, 3);
  });

  it('lists conversations with any of the labels asked for (tagged_with any: true)', async () => {
    const sandbox = await start();
    const { ids } = await conversations(sandbox, 3);
    for (const title of ['billing', 'bug']) await created(sandbox, `${A1}/labels`, { title });
    await created(sandbox, `${A1}/conversations/${ids[0]}/labels`, { labels: ['billing'] });
    await created(sandbox, `${A1}/conversations/${ids[1]}/labels`, { labels: ['bug'] });
    const listed = await call(sandbox, 'GET', `${A1}/conversations?labels[]=billing&labels[]=bug`);
    assert.deepEqual(
      listed.json.data.payload.map((conversation: Json) => conversation.id).sort(),
      [ids[0], ids[1]].sort(),
    );
  });

  it('creates activity messages in a job after the request has answered (ActivityMessageJob.perform_later)', async () => {
    const sandbox = await start({ jobDelayMs: 300 });
    const { ids } = await conversations(sandbox, 1);
    const id = ids[0];
    const toggled = await call(sandbox, 'POST', `${A1}/conversations/${id}/toggle_status`, {
      status: 'resolved',
    });
    assert.equal(toggled.json.payload.current_status, 'resolved');
    await created(sandbox, `${A1}/conversations/${id}/assignments`, { assignee_id: 1 });
    const before = await call(sandbox, 'GET', `${A1}/conversations/${id}/messages`);
    assert.deepEqual(before.json.payload, [], 'the jobs have not run yet');
    const note = await created(sandbox, `${A1}/conversations/${id}/messages`, {
      content: 'written while the jobs wait',
      message_type: 'outgoing',
      private: true,
    });
    await sandbox.state.jobsSettled();
    const after = await call(sandbox, 'GET', `${A1}/conversations/${id}/messages`);
    const listed = after.json.payload.map((message: Json) => [message.message_type, message.content]);
    assert.deepEqual(listed, [
      [1, 'written while the jobs wait'],
      [2, 'Conversation was marked resolved by Migration Bot'],
      [2, 'Migration Bot self-assigned this conversation'],
    ]);
    assert.ok(
      after.json.payload.slice(1).every((message: Json) => message.id > note.id),
      'the activity messages take ids after the message written before their jobs ran',
    );
  });

  it('has the activity message by the next request when Sidekiq keeps up (the default)', async () => {
    const sandbox = await start();
    const { ids } = await conversations(sandbox, 1);
    await call(sandbox, 'POST', `${A1}/conversations/${ids[0]}/toggle_status`, { status: 'pending' });
    const messages = await call(sandbox, 'GET', `${A1}/conversations/${ids[0]}/messages`);
    assert.deepEqual(
      messages.json.payload.map((message: Json) => message.content),
      ['Conversation was marked as pending by Migration Bot'],
    );
  });

  it('the client finds conversations through the filter with the real meta (no assigned_count)', async () => {
    const sandbox = await start();
    const client = new ChatwootClient({ baseUrl: sandbox.url, accountId: 1, token: ADMIN });
    await client.createCustomAttributeDefinition({
      model: 'conversation',
      key: 'intercom_id',
      displayName: 'Intercom id',
      displayType: 'text',
    });
    const { ids } = await conversations(sandbox, 30);
    const found = await client.filterConversationsByCustomAttribute('intercom_id', 'c7');
    assert.deepEqual(
      found.map((conversation) => conversation.id),
      [ids[7]],
    );
    const stats = sandbox.stats.byRoute['POST /api/v1/accounts/:account_id/conversations/filter'];
    assert.equal(stats, 1, 'all_count ends the walk after the first page');
  });
});

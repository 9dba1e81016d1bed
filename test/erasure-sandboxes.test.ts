/**
 * The delete routes of both sandboxes, as the real services define them. Chatwoot 4.10:
 * contacts_controller.rb#destroy (administrators only, head :ok, the contact's conversations,
 * contact inboxes and notes destroyed later by contact.rb's `dependent: :destroy_async`) and
 * conversations_controller.rb#destroy (ConversationPolicy#destroy?: administrators only;
 * DeleteObjectJob.perform_later). Intercom 2.16: POST /contacts/search, DELETE /contacts/{id}
 * (`contact_deleted`; the conversations stay, the description promises nothing more) and
 * DELETE /conversations/{id} (`conversation_deleted`, listed as deleted with metrics_retained).
 * Expected values are written out from those sources, not computed with the sandboxes' helpers.
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import {
  generateWorkspace,
  type IntercomSandbox,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';

const ADMIN = 'sandbox-admin-token';
const ALICE = 'sandbox-alice-token'; // an agent
const A1 = '/api/v1/accounts/1';

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // head :ok answers no JSON
  }
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON walked by the assertions
  return { status: response.status, text, json: json as any };
}

describe('Chatwoot sandbox: deleting a contact and a conversation', () => {
  let sandbox: ChatwootSandbox;
  let contactId: number;
  let displayId: number;
  const cw = (method: string, path: string, token = ADMIN, body?: unknown) =>
    call(sandbox.url, method, `${A1}${path}`, { api_access_token: token }, body);

  beforeEach(async () => {
    // Sidekiq runs the jobs 300 ms after the request, so what is asynchronous shows.
    sandbox = await startChatwootSandbox({ jobDelayMs: 300 });
    const inbox = await cw('POST', '/inboxes', ADMIN, { name: 'Intercom archive', channel: { type: 'api' } });
    const contact = await cw('POST', '/contacts', ADMIN, { name: 'Erin Erased', email: 'erin@example.test' });
    contactId = contact.json.payload.contact.id;
    const conversation = await cw('POST', '/conversations', ADMIN, {
      inbox_id: inbox.json.id,
      contact_id: contactId,
      message: { content: 'Please delete my data' },
    });
    assert.equal(conversation.status, 200, conversation.text);
    displayId = conversation.json.id;
  });

  afterEach(() => sandbox.close());

  it('refuses an agent (401) and keeps the contact', async () => {
    const refused = await cw('DELETE', `/contacts/${contactId}`, ALICE);
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.json, { error: 'You are not authorized to do this action' });
    assert.equal((await cw('GET', `/contacts/${contactId}`)).status, 200);
  });

  it('deletes the contact at once and its conversations in a background job', async () => {
    const deleted = await cw('DELETE', `/contacts/${contactId}`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal((await cw('GET', `/contacts/${contactId}`)).status, 404);
    // destroy_async: the conversation is still there right after the answer...
    assert.equal((await cw('GET', `/conversations/${displayId}`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // ...and gone once the job has run.
    assert.equal((await cw('GET', `/conversations/${displayId}`)).status, 404);
    assert.equal((await cw('DELETE', `/contacts/${contactId}`)).status, 404, 'a second delete finds nothing');
  });

  it('deletes a conversation for an administrator only, after the answer', async () => {
    assert.equal((await cw('DELETE', `/conversations/${displayId}`, ALICE)).status, 401);
    const deleted = await cw('DELETE', `/conversations/${displayId}`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(
      (await cw('GET', `/conversations/${displayId}`)).status,
      200,
      'DeleteObjectJob has not run yet',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await cw('GET', `/conversations/${displayId}`)).status, 404);
    const listed = await cw('GET', `/contacts/${contactId}/conversations`);
    assert.deepEqual(listed.json.payload, []);
    assert.equal((await cw('GET', `/contacts/${contactId}`)).status, 200, 'the contact stays');
  });
});

describe('Intercom sandbox: finding and deleting a contact and its conversations', () => {
  let sandbox: IntercomSandbox;
  const TOKEN = 'erasure-test-token';
  const ic = (method: string, path: string, body?: unknown) =>
    call(sandbox.url, method, path, { authorization: `Bearer ${TOKEN}`, 'intercom-version': '2.16' }, body);

  beforeEach(async () => {
    const dataset = generateWorkspace({ seed: 5, conversations: 6 });
    sandbox = await startIntercomSandbox({ dataset, token: TOKEN });
  });

  afterEach(() => sandbox.close());

  const person = () => {
    const dataset = sandbox.dataset;
    const contact = dataset.contacts.find(
      (c) =>
        c.email &&
        dataset.conversations.some((conv) => conv.contacts?.contacts.some((ref) => ref.id === c.id)),
    );
    assert.ok(contact, 'a contact with an e-mail and a conversation');
    return contact;
  };

  it('searches contacts by e-mail, and conversations by contact id', async () => {
    const contact = person();
    const found = await ic('POST', '/contacts/search', {
      query: { field: 'email', operator: '=', value: contact.email },
    });
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.type, 'list');
    assert.deepEqual(
      found.json.data.map((c: { id: string }) => c.id),
      [contact.id],
    );
    const conversations = await ic('POST', '/conversations/search', {
      query: { field: 'contact_ids', operator: '=', value: contact.id },
    });
    assert.ok(conversations.json.conversations.length >= 1);
    const unknown = await ic('POST', '/contacts/search', {
      query: { field: 'shoe_size', operator: '=', value: 1 },
    });
    assert.equal(unknown.status, 400);
  });

  it('DELETE /contacts/{id} answers contact_deleted and leaves the conversations', async () => {
    const contact = person();
    const conversationIds = sandbox.dataset.conversations
      .filter((conv) => conv.contacts?.contacts.some((ref) => ref.id === contact.id))
      .map((conv) => conv.id);
    const deleted = await ic('DELETE', `/contacts/${contact.id}`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.json, {
      type: 'contact',
      id: contact.id,
      external_id: contact.external_id ?? null,
      deleted: true,
    });
    assert.equal((await ic('GET', `/contacts/${contact.id}`)).status, 404);
    assert.equal((await ic('DELETE', `/contacts/${contact.id}`)).status, 404);
    for (const id of conversationIds) assert.equal((await ic('GET', `/conversations/${id}`)).status, 200);
  });

  it('DELETE /contacts/{id} of a merged contact answers 410 contact_merged, as GET does, and deletes nothing', async () => {
    // The description documents the 410 for ShowContact (GET of the same path): the body and the
    // Link header are written out from there.
    // The generated workspace holds a lead merged into a user (POST /contacts/merge, generator.ts).
    const [leadId, userId] = Object.entries(sandbox.dataset.contactMerges ?? {})[0] ?? [];
    assert.ok(leadId && userId, 'a contact merged into another');
    const lead = { id: leadId };
    const user = { id: userId };
    const contactsBefore = sandbox.dataset.contacts.length;

    const response = await fetch(`${sandbox.url}/contacts/${lead.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}`, 'intercom-version': '2.16' },
    });
    assert.equal(response.status, 410);
    assert.equal(response.headers.get('link'), `</contacts/${user.id}>; rel="canonical"`);
    const body = (await response.json()) as { type: string; errors: { code: string; message: string }[] };
    assert.equal(body.type, 'error.list');
    assert.deepEqual(
      body.errors.map((e) => [e.code, e.message]),
      [['contact_merged', "This contact has been merged. See the 'Link' header for the canonical contact."]],
    );
    // The same answer as GET /contacts/{id} of that id, and the contact it became is untouched.
    assert.equal((await ic('GET', `/contacts/${lead.id}`)).status, 410);
    assert.equal((await ic('GET', `/contacts/${user.id}`)).status, 200);
    assert.equal(sandbox.dataset.contacts.length, contactsBefore, 'nothing deleted');
    // An id never known stays a 404.
    assert.equal((await ic('DELETE', '/contacts/000000000000000000000000')).status, 404);
  });

  it('DELETE /conversations/{id} answers conversation_deleted and lists it as deleted', async () => {
    const id = sandbox.dataset.conversations[0]?.id as string;
    const deleted = await ic('DELETE', `/conversations/${id}?retain_metrics=false`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.json, { id, object: 'conversation', deleted: true });
    assert.equal((await ic('GET', `/conversations/${id}`)).status, 404);
    const listed = await ic('GET', '/conversations/deleted');
    const entry = listed.json.conversations.find((c: { id: string }) => c.id === id);
    assert.equal(entry?.metrics_retained, false);
  });
});

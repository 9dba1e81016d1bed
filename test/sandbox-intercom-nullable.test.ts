/**
 * The Intercom sandbox's `nullableFieldRate`: the generator blanks what the API description lets be
 * null (an opening message without id, a blank Twitter-style author) and the server answers
 * `pages: null` on last pages of the cursor lists; the client reads all of it.
 */
import assert from 'node:assert/strict';
import { IntercomClient } from '../src/clients/intercom/client.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import {
  generateWorkspace,
  type IntercomSandbox,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';

const TOKEN = 'nullable-token';

async function getJson(sandbox: IntercomSandbox, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${sandbox.url}${path}`, {
    headers: { authorization: `Bearer ${TOKEN}`, 'intercom-version': '2.16', accept: 'application/json' },
  });
  assert.equal(response.status, 200, path);
  return (await response.json()) as Record<string, unknown>;
}

describe('Intercom sandbox: nullableFieldRate', function () {
  this.timeout(30_000);
  let sandbox: IntercomSandbox | undefined;

  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('changes nothing at the default rate of 0', () => {
    const plain = generateWorkspace({ seed: 5, conversations: 30 });
    const zero = generateWorkspace({ seed: 5, conversations: 30, nullableFieldRate: 0 });
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify({ ...zero, readAttachment: undefined })),
      JSON.parse(JSON.stringify({ ...plain, readAttachment: undefined })),
    );
  });

  it('blanks only nullable fields, at about the rate, the same for the same seed', () => {
    const options = { seed: 5, conversations: 200, nullableFieldRate: 0.2 };
    const plain = generateWorkspace({ seed: 5, conversations: 200 });
    const blanked = generateWorkspace(options);
    assert.deepStrictEqual(
      JSON.parse(JSON.stringify(generateWorkspace(options).conversations)),
      JSON.parse(JSON.stringify(blanked.conversations)),
    );
    const nulled = blanked.conversations.filter((c) => c.source.id === null);
    assert.ok(
      nulled.length > 20 && nulled.length < 60,
      `${nulled.length} of 200 opening messages without id`,
    );
    const blank = blanked.conversations.flatMap((c) =>
      (c.conversation_parts?.conversation_parts ?? []).filter((p) => p.author.type === ''),
    );
    assert.ok(blank.length > 10, `${blank.length} blank authors`);
    // Everything else as without the option: the same conversations, parts, bodies and times.
    const strip = (c: Conversation) =>
      JSON.stringify({
        ...c,
        source: { ...c.source, id: null, url: null },
        conversation_parts: (c.conversation_parts?.conversation_parts ?? []).map((p) => ({
          ...p,
          author: null,
        })),
      });
    assert.deepEqual(blanked.conversations.map(strip), plain.conversations.map(strip));
  });

  it('serves them as the description allows, and the client reads every page and conversation', async () => {
    const dataset = generateWorkspace({ seed: 8, conversations: 40, nullableFieldRate: 0.3 });
    sandbox = await startIntercomSandbox({ dataset, token: TOKEN, nullableFieldRate: 1 });
    const nulled = dataset.conversations.find((c) => c.source.id === null);
    assert.ok(nulled);
    const wire = await getJson(sandbox, `/conversations/${nulled.id}`);
    assert.equal((wire.source as { id: unknown }).id, null);
    const blankPart = dataset.conversations
      .flatMap((c) => (c.conversation_parts?.conversation_parts ?? []).map((p) => ({ c, p })))
      .find(({ p }) => p.author.type === '');
    assert.ok(blankPart);
    const served = await getJson(sandbox, `/conversations/${blankPart.c.id}`);
    const parts = (served.conversation_parts as { conversation_parts: { id: string; author: unknown }[] })
      .conversation_parts;
    assert.deepEqual(parts.find((p) => p.id === blankPart.p.id)?.author, {
      type: '',
      id: null,
      name: null,
      email: null,
    });

    // At a rate of 1 every last page of a cursor list has `pages: null`; the pages before keep theirs.
    const first = await getJson(sandbox, '/conversations?per_page=25');
    assert.ok((first.pages as { next?: unknown }).next, 'the first of two pages links the next');
    const next = (first.pages as { next: { starting_after: string } }).next.starting_after;
    const last = await getJson(
      sandbox,
      `/conversations?per_page=25&starting_after=${encodeURIComponent(next)}`,
    );
    assert.equal(last.pages, null);
    assert.equal((await getJson(sandbox, '/contacts?per_page=150')).pages, null);
    assert.equal((await getJson(sandbox, '/articles')).pages, null);

    const client = new IntercomClient({ baseUrl: sandbox.url, token: TOKEN });
    const listed: string[] = [];
    for await (const page of client.conversationPages(undefined, 25))
      listed.push(...page.items.map((c) => c.id));
    assert.equal(listed.length, dataset.conversations.length);
    for (const id of listed) {
      const conversation = await client.getConversation(id);
      assert.equal(typeof conversation.created_at, 'number');
    }
    let contacts = 0;
    for await (const page of client.contactPages(undefined, 150)) contacts += page.items.length;
    assert.equal(contacts, dataset.contacts.length);
  });
});

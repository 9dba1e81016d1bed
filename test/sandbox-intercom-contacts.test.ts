/**
 * The Intercom sandbox's contacts as the 2.16 description documents them: the contact object's lists
 * capped at 10 with their real count, GET /contacts/{id}/notes and /companies paged, /tags with
 * names, POST /contacts/merge with its rules, and a merged contact's 410 contact_merged with a Link to
 * the contact it became. Also what the generator puts there.
 */
import assert from 'node:assert/strict';
import { NoteList } from '../src/clients/intercom/contactSchemas.js';
import { IntercomErrorBody } from '../src/clients/intercom/schemas.js';
import {
  generateWorkspace,
  type IntercomDataset,
  type IntercomSandbox,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';

const TOKEN = 'contacts-test-token';

async function call(sandbox: IntercomSandbox, path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'intercom-version': '2.16',
      accept: 'application/json',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return {
    status: response.status,
    headers: response.headers,
    // biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, checked by the assertions.
    json: (await response.json()) as Record<string, any>,
  };
}

const errorCodeOf = (json: unknown) => IntercomErrorBody.parse(json).errors[0]?.code;

describe('Intercom sandbox: contacts, notes, companies, tags and merges', () => {
  let sandbox: IntercomSandbox;
  let dataset: IntercomDataset;

  beforeEach(async () => {
    dataset = generateWorkspace({ seed: 5, conversations: 12, contacts: 10, companies: 3, tags: 12 });
    sandbox = await startIntercomSandbox({ dataset, token: TOKEN });
  });
  afterEach(() => sandbox.close());

  it('generates notes beyond 10 on one contact, contact tags, a contact with more than 10 companies and a merged lead', () => {
    const busiest = dataset.contacts[0];
    assert.ok(busiest);
    assert.equal((dataset.notes ?? []).filter((note) => note.contact?.id === busiest.id).length, 12);
    assert.ok(dataset.companies.length >= 12, 'companies were added for the contact attached to 12');
    const merges = Object.entries(dataset.contactMerges ?? {});
    assert.equal(merges.length, 1);
    const [leadId, userId] = merges[0] as [string, string];
    assert.ok(
      !dataset.contacts.some((contact) => contact.id === leadId),
      'the merged lead is no longer listed',
    );
    assert.ok(dataset.contacts.some((contact) => contact.id === userId && contact.role === 'user'));
    assert.ok(
      dataset.conversations.some((conversation) => conversation.contacts?.contacts[0]?.id === leadId),
      'a conversation still names the merged lead',
    );
    const generatedWithout = generateWorkspace({
      seed: 5,
      conversations: 12,
      contacts: 10,
      companies: 3,
      tags: 12,
      contactExtras: false,
    });
    assert.deepEqual(generatedWithout.notes, []);
    assert.deepEqual(generatedWithout.contactMerges, {});
  });

  it('shows at most 10 references of each list on the contact, with the real count and has_more', async () => {
    const busiest = dataset.contacts[0] as { id: string };
    const { status, json } = await call(sandbox, `/contacts/${busiest.id}`);
    assert.equal(status, 200);
    assert.equal(json.notes.data.length, 10);
    assert.equal(json.notes.total_count, 12);
    assert.equal(json.notes.has_more, true);
    assert.equal(json.notes.url, `/contacts/${busiest.id}/notes`);
    assert.deepEqual(Object.keys(json.notes.data[0]).sort(), ['id', 'type', 'url']);
    assert.equal(json.tags.total_count, 12);
    assert.equal(json.tags.data.length, 10);
    assert.equal(json.tags.has_more, true);
    const withCompanies = dataset.contacts[1] as { id: string };
    const second = await call(sandbox, `/contacts/${withCompanies.id}`);
    assert.equal(second.json.companies.total_count, 12);
    assert.equal(second.json.companies.data.length, 10);
    assert.equal(second.json.companies.has_more, true);
    // The list endpoint shows the same capped lists.
    const list = await call(sandbox, '/contacts?per_page=150');
    const listed = list.json.data.find((contact: { id: string }) => contact.id === busiest.id);
    assert.equal(listed.notes.data.length, 10);
    // Every listed contact's notes are exactly what its own GET shows (the listing groups them once).
    for (const contact of list.json.data as { id: string; notes: unknown }[]) {
      assert.deepEqual(
        contact.notes,
        (await call(sandbox, `/contacts/${contact.id}`)).json.notes,
        contact.id,
      );
    }
  });

  it("pages a contact's notes newest first by page number, and its companies with a next link", async () => {
    const busiest = dataset.contacts[0] as { id: string };
    const first = await call(sandbox, `/contacts/${busiest.id}/notes?per_page=5`);
    assert.equal(first.status, 200);
    const page1 = NoteList.parse(first.json);
    assert.equal(page1.data.length, 5);
    assert.equal(page1.total_count, 12);
    assert.deepEqual([page1.pages?.page, page1.pages?.per_page, page1.pages?.total_pages], [1, 5, 3]);
    const seen = [...page1.data];
    for (const page of [2, 3]) {
      seen.push(
        ...NoteList.parse((await call(sandbox, `/contacts/${busiest.id}/notes?per_page=5&page=${page}`)).json)
          .data,
      );
    }
    assert.equal(new Set(seen.map((note) => note.id)).size, 12);
    const times = seen.map((note) => note.created_at);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    assert.ok(seen.every((note) => note.contact?.id === busiest.id && note.author?.type === 'admin'));
    // Fifty a page by default, as the description's example.
    assert.equal((await call(sandbox, `/contacts/${busiest.id}/notes`)).json.pages.per_page, 50);

    const withCompanies = dataset.contacts[1] as { id: string };
    const companies = await call(sandbox, `/contacts/${withCompanies.id}/companies?per_page=10`);
    assert.equal(companies.json.data.length, 10);
    assert.equal(companies.json.total_count, 12);
    assert.equal(companies.json.pages.total_pages, 2);
    assert.match(companies.json.pages.next, /\/companies\?page=2&per_page=10$/);
    const rest = await call(
      sandbox,
      new URL(companies.json.pages.next).pathname + new URL(companies.json.pages.next).search,
    );
    assert.equal(rest.json.data.length, 2);
    assert.equal(rest.json.pages.next, null);
    assert.ok(
      rest.json.data.every(
        (company: { type: string; name: string }) => company.type === 'company' && company.name,
      ),
    );

    const tags = await call(sandbox, `/contacts/${busiest.id}/tags`);
    assert.equal(tags.json.type, 'list');
    assert.equal(tags.json.data.length, 12);
    assert.ok(tags.json.data.every((tag: { name: string }) => typeof tag.name === 'string'));
    assert.equal((await call(sandbox, '/contacts/nope/notes')).status, 404);
  });

  it('merges a lead into a user: 410 contact_merged with a Link to the survivor, which takes its conversations and notes', async () => {
    const user = dataset.contacts.find((contact) => contact.role === 'user' && contact.email) as {
      id: string;
      email: string;
    };
    const lead = dataset.contacts.find((contact) => contact.role === 'lead') as {
      id: string;
      email?: string | null;
    };
    assert.ok(user && lead);
    // Not duplicates: refused unless told to skip the check.
    const refused = await call(sandbox, '/contacts/merge', {
      method: 'POST',
      body: { from: lead.id, into: user.id },
    });
    assert.equal(refused.status, 400);
    assert.equal(errorCodeOf(refused.json), 'invalid_merge');
    // Only a lead merges, and only into a user.
    const wrongWay = await call(sandbox, '/contacts/merge', {
      method: 'POST',
      body: { from: user.id, into: lead.id, skip_duplicate_validation: true },
    });
    assert.equal(wrongWay.status, 400);

    const conversation = dataset.conversations[0];
    assert.ok(conversation);
    conversation.contacts = { type: 'contact.list', contacts: [{ type: 'contact', id: lead.id }] };
    dataset.notes?.push({
      type: 'note',
      id: '99999',
      created_at: 1_600_000_000,
      contact: { type: 'contact', id: lead.id },
      author: null,
      body: '<p>x</p>',
    });
    (lead as { email?: string | null }).email = user.email.toUpperCase();
    // Read before the merge too: what the sandbox knew of the notes then must not outlive the merge.
    const notesBefore = NoteList.parse((await call(sandbox, `/contacts/${user.id}/notes`)).json);
    assert.ok(!notesBefore.data.some((note) => note.id === '99999'));
    const merged = await call(sandbox, '/contacts/merge', {
      method: 'POST',
      body: { from: lead.id, into: user.id },
    });
    assert.equal(merged.status, 200);
    assert.equal(merged.json.id, user.id);

    const gone = await call(sandbox, `/contacts/${lead.id}`);
    assert.equal(gone.status, 410);
    assert.deepEqual(IntercomErrorBody.parse(gone.json).errors, [
      {
        code: 'contact_merged',
        message: "This contact has been merged. See the 'Link' header for the canonical contact.",
      },
    ]);
    assert.equal(gone.headers.get('link'), `</contacts/${user.id}>; rel="canonical"`);
    assert.ok(gone.headers.get('x-ratelimit-remaining'), 'the 410 carries the rate-limit headers too');
    const list = await call(sandbox, '/contacts?per_page=150');
    assert.ok(!list.json.data.some((contact: { id: string }) => contact.id === lead.id));
    const after = await call(sandbox, `/conversations/${conversation.id}`);
    assert.equal(after.json.contacts.contacts[0].id, user.id);
    const notes = NoteList.parse((await call(sandbox, `/contacts/${user.id}/notes`)).json);
    assert.ok(notes.data.some((note) => note.id === '99999'));
    // A second merge of the same lead finds no live contact.
    const again = await call(sandbox, '/contacts/merge', {
      method: 'POST',
      body: { from: lead.id, into: user.id },
    });
    assert.equal(again.status, 404);
  });

  it('names the final target of a chain of merges, as far as 3 hops', async () => {
    const [a, b, c, d, e] = ['a1', 'b2', 'c3', 'd4', 'e5'];
    const live = dataset.contacts[0] as { id: string };
    dataset.contactMerges = { [a]: b, [b]: c, [c]: live.id, [d]: e };
    const chained = await call(sandbox, `/contacts/${a}`);
    assert.equal(chained.status, 410);
    assert.equal(chained.headers.get('link'), `</contacts/${live.id}>; rel="canonical"`);
    assert.equal(
      (await call(sandbox, `/contacts/${d}`)).headers.get('link'),
      `</contacts/${e}>; rel="canonical"`,
    );
    assert.equal((await call(sandbox, '/contacts/never-existed')).status, 404);
  });
});

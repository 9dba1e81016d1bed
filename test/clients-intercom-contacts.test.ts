/**
 * The Intercom client on a contact's notes, companies and tags, and on a merged contact's 410
 * contact_merged: the Link header names the contact to fetch instead.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { HttpFailure } from '../src/clients/httpFailure.js';
import { IntercomClient } from '../src/clients/intercom/client.js';
import { ContactMergedFailure, canonicalContactId } from '../src/clients/intercom/contactMerged.js';
import { listen } from '../src/listen.js';
import {
  generateWorkspace,
  type IntercomSandbox,
  startIntercomSandbox,
} from '../src/sandbox/intercom/index.js';

describe('Intercom client: contacts beyond the contact object, and merged contacts', () => {
  it('reads the canonical contact of a Link header in the forms RFC 8288 allows', () => {
    assert.equal(canonicalContactId('</contacts/abc123>; rel="canonical"'), 'abc123');
    assert.equal(canonicalContactId('<https://api.eu.intercom.io/contacts/abc123>;rel=canonical'), 'abc123');
    assert.equal(
      canonicalContactId('</contacts/old>; rel="prev", </contacts/new%20one>; rel="canonical"'),
      'new one',
    );
    assert.equal(canonicalContactId('</contacts/only>'), 'only');
    assert.equal(canonicalContactId('</companies/abc>; rel="canonical"'), undefined);
    assert.equal(canonicalContactId('</contacts/a>; rel="next", </contacts/b>; rel="prev"'), undefined);
    assert.equal(canonicalContactId(undefined), undefined);
  });

  describe('against the sandbox', () => {
    let sandbox: IntercomSandbox;
    let client: IntercomClient;
    const dataset = generateWorkspace({ seed: 8, conversations: 6, contacts: 6, tags: 12 });

    before(async () => {
      sandbox = await startIntercomSandbox({ dataset, token: 't' });
      client = new IntercomClient({ baseUrl: sandbox.url, token: 't' });
    });
    after(() => sandbox.close());

    it('follows 410 contact_merged to the surviving contact', async () => {
      const [mergedId, survivorId] = Object.entries(dataset.contactMerges ?? {})[0] as [string, string];
      const failure = await client.getContact(mergedId).then(
        () => assert.fail('a merged contact answered 200'),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof ContactMergedFailure);
      assert.equal(failure.canonicalId, survivorId);
      assert.equal(failure.status, 410);
      assert.equal(failure.retryable, false);
      const resolved = await client.resolveContact(mergedId);
      assert.equal(resolved.contact.id, survivorId);
      assert.equal(resolved.mergedInto, survivorId);
      const live = await client.resolveContact(survivorId);
      assert.equal(live.mergedInto, undefined);
      const missing = await client.resolveContact('nobody').catch((error: unknown) => error);
      assert.ok(missing instanceof HttpFailure && missing.status === 404);
    });

    it('fetches every note page, every company page and the tags with names', async () => {
      const busiest = dataset.contacts[0] as { id: string };
      const before = sandbox.stats.byRoute['GET /contacts/{id}/notes'] ?? 0;
      const notes = await client.contactNotes(busiest.id, 5);
      assert.equal(notes.length, 12);
      assert.equal(new Set(notes.map((note) => note.id)).size, 12);
      assert.equal(
        (sandbox.stats.byRoute['GET /contacts/{id}/notes'] ?? 0) - before,
        3,
        'three pages of five',
      );
      const withCompanies = dataset.contacts[1] as { id: string };
      const companies = await client.contactCompanies(withCompanies.id, 5);
      assert.equal(companies.length, 12);
      assert.ok(companies.every((company) => typeof company.name === 'string'));
      const tags = await client.contactTags(busiest.id);
      assert.equal(tags.length, 12);
    });
  });

  it("accepts the description's `companies` array as well as the example's `data`", async () => {
    const server: Server = createServer((req, res) => {
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          type: 'list',
          companies: [{ type: 'company', id: `c${page}`, name: `Company ${page}` }],
          pages: {
            type: 'pages',
            page,
            per_page: 1,
            total_pages: 2,
            next: page < 2 ? `/contacts/x/companies?page=2` : null,
          },
          total_count: 2,
        }),
      );
    });
    const listening = await listen(server, { port: 0, host: '127.0.0.1' });
    try {
      const client = new IntercomClient({ baseUrl: listening.url, token: 't' });
      assert.deepEqual(
        (await client.contactCompanies('x', 1)).map((company) => company.id),
        ['c1', 'c2'],
      );
    } finally {
      await listening.close();
    }
  });
});

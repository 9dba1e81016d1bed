/**
 * What every export leaves out once a person is on the erasure list (erasureFilter: contacts,
 * conversations as list items and whole, tickets), and the erasure record's outcome in words, above
 * all what `--mode redact` does and does not do. The list and its salted hash are written here by
 * hand (HMAC-SHA256 of "email:<address>" under the salt), not with the module's helpers.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { erasureFilter } from '../src/activities/erasure/erasureList.js';
import { describeOutcome } from '../src/activities/erasure/outcome.js';
import type { ErasureRecord } from '../src/activities/erasure/snapshot.js';
import { putJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import { LocalBlobStore } from '../src/storage/localStore.js';

const ACCOUNT = 3;
const SALT = 'ab'.repeat(32);

describe('erasure list: what an export leaves out', () => {
  let dir: string;
  let store: LocalBlobStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'erasure-filter-'));
    store = new LocalBlobStore(dir);
    await putJson(store, blobLayout.erasureSalt(ACCOUNT), { salt: SALT });
    const hash = createHmac('sha256', Buffer.from(SALT, 'hex'))
      .update('email:erin@example.test')
      .digest('hex');
    await putJson(store, blobLayout.erasureList(ACCOUNT), {
      emailHashes: [hash],
      intercomContactIds: ['c1'],
      intercomConversationIds: ['conv9'],
    });
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps everything at no cost when nobody was erased', async () => {
    const empty = new LocalBlobStore(mkdtempSync(join(tmpdir(), 'erasure-filter-empty-')));
    const filter = await erasureFilter(empty, ACCOUNT);
    assert.equal(filter.empty, true);
    assert.equal(filter.erasedContact({ id: 'c1', email: 'erin@example.test' }), false);
    assert.equal(filter.erasedTicket({ contacts: { contacts: [{ id: 'c1' }] } }), false);
  });

  it('contacts: by id, or by e-mail whatever its case and spaces', async () => {
    const filter = await erasureFilter(store, ACCOUNT);
    assert.equal(filter.erasedContact({ id: 'c1' }), true);
    assert.equal(filter.erasedContact({ id: 'c2', email: ' Erin@Example.TEST ' }), true);
    assert.equal(filter.erasedContact({ id: 'c3', email: 'someone@example.test' }), false);
    assert.equal(filter.erasedContact({ id: 'c4', email: null }), false);
  });

  it('conversations: by id, by a contact they name, by a contact author (list item or whole), never by a teammate', async () => {
    const filter = await erasureFilter(store, ACCOUNT);
    assert.equal(filter.erasedConversation({ id: 'conv9' }), true);
    assert.equal(filter.erasedConversation({ id: 'k1', contacts: { contacts: [{ id: 'c1' }] } }), true);
    assert.equal(
      filter.erasedConversation({
        id: 'k2',
        source: { author: { type: 'user', id: 'c7', email: 'erin@example.test' } },
      }),
      true,
      'the opening message by the person under another contact id',
    );
    assert.equal(
      filter.erasedConversation({
        id: 'k3',
        contacts: { contacts: [{ id: 'c5' }] },
        conversation_parts: { conversation_parts: [{ author: { type: 'lead', id: 'c1' } }] },
      }),
      true,
      'a reply by the person in someone else’s conversation',
    );
    assert.equal(
      filter.erasedConversation({
        id: 'k4',
        contacts: { contacts: [{ id: 'c5' }] },
        source: { author: { type: 'admin', id: 'c1', email: 'erin@example.test' } },
      }),
      false,
      'a teammate sharing an id or e-mail is not the person',
    );
  });

  it('tickets: by a contact they name or a part the person wrote', async () => {
    const filter = await erasureFilter(store, ACCOUNT);
    assert.equal(filter.erasedTicket({ contacts: { contacts: [{ id: 'c1' }] } }), true);
    assert.equal(
      filter.erasedTicket({
        contacts: { contacts: [{ id: 'c5' }] },
        ticket_parts: { ticket_parts: [{ author: { type: 'user', id: 'c8', email: 'ERIN@example.test' } }] },
      }),
      true,
    );
    assert.equal(
      filter.erasedTicket({
        contacts: { contacts: [{ id: 'c5' }] },
        ticket_parts: { ticket_parts: [{ author: { type: 'admin', id: 'c1' } }, { author: null }] },
      }),
      false,
    );
  });
});

describe('erasure record: the outcome in words', () => {
  const base: ErasureRecord = {
    ref: 'r1',
    account: 1,
    selector: { kind: 'email', hash: 'h' },
    mode: 'redact',
    where: ['snapshot', 'chatwoot', 'intercom'],
    finishedAt: '2026-01-01T00:00:00Z',
    found: { intercomContacts: 1, intercomConversations: 2 },
    intercomContactIds: ['c1'],
    intercomConversationIds: ['k1', 'k2'],
    snapshot: {
      contactsRemoved: 0,
      contactsRedacted: 1,
      conversationsRemoved: 2,
      ticketsRemoved: 1,
      chunksRewritten: 3,
      attachmentsDeleted: 4,
      markersDeleted: 5,
      mergePlansRewritten: 0,
      sealOutdated: false,
    },
    chatwoot: {
      contactIds: [7],
      conversationDisplayIds: [11, 12],
      contactsDeleted: 0,
      contactsRedacted: 1,
      conversationsDeleted: 2,
      messages: 9,
      attachments: 1,
    },
    intercom: { contactsDeleted: 0, conversationsDeleted: 0, skipped: "Intercom's API has no redaction" },
  };

  it('redact says the contact is kept, the conversations deleted all the same, and Intercom untouched', () => {
    const outcome = describeOutcome(base);
    assert.match(outcome.snapshot ?? '', /^1 contact record redacted \(kept with id, role and times only/);
    assert.match(
      outcome.snapshot ?? '',
      /2 conversations and 1 ticket deleted \(redact mode deletes them too\)/,
    );
    assert.match(outcome.chatwoot ?? '', /^1 contact redacted .*; 2 conversations deleted with 9 messages/);
    assert.match(outcome.intercom ?? '', /^nothing deleted or changed: Intercom's API has no redaction/);
  });

  it('delete names merged contacts, gone ones, and the places not asked', () => {
    const outcome = describeOutcome({
      ...base,
      mode: 'delete',
      where: ['intercom'],
      snapshot: undefined,
      chatwoot: undefined,
      intercom: {
        contactsDeleted: 1,
        conversationsDeleted: 3,
        contactsAlreadyGone: 1,
        contactsMergedAway: [{ id: 'c2', mergedInto: 'c9' }],
      },
    });
    assert.match(
      outcome.intercom ?? '',
      /^3 conversations and 1 contact deleted; 1 contact already gone \(404\)/,
    );
    assert.match(outcome.intercom ?? '', /contact c2 had been merged into c9 \(410 contact_merged\)/);
    assert.match(
      outcome.snapshot ?? '',
      /^not asked: nothing deleted here; the person is on the erasure list/,
    );
    assert.equal(outcome.chatwoot, 'not asked: nothing changed here');
  });
});

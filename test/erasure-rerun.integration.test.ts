/**
 * A person erased on request stays erased when the account is migrated again: the first migration
 * runs to cut-over (the snapshot sealed), the person is erased from the snapshot and Chatwoot while
 * Intercom still holds them (--where snapshot,chatwoot), then a second migration of the same account
 * runs its FULL export (contacts, conversations, tickets, merged contacts) and import. Checked from
 * outside the code under test: Chatwoot's API has neither their contact nor any of their
 * conversations or tickets, no blob of the snapshot holds their e-mail, and the sealed manifest
 * matches every blob (sha256 recomputed here) after the erasure rewrote the chunks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { runErase } from '../src/cli/erase.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import type { Contact, Conversation } from '../src/clients/intercom/schemas.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import { createBlobStore } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import { moreDeltaExports, peopleWithOwnEmail } from './helpers/liveMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const ACCOUNT = 1;
const ADMIN_TOKEN = 'sandbox-admin-token';

type Person = { contact: Contact; conversations: Conversation[]; ticketIds: string[] };

describe('erasure kept through a re-run of the account', function () {
  this.timeout(420_000);
  let rig: MigrationRig;
  let scenario: Scenario;
  let admin: ChatwootClient;
  let person: Person;
  const store = () => createBlobStore(rig.blobStoreUrl);

  /** A person with a unique e-mail, a name and conversations; one with a ticket when there is one. */
  function choosePerson(): Person {
    const dataset = scenario.intercom.dataset;
    const people = peopleWithOwnEmail(dataset).map((p) => ({
      ...p,
      ticketIds: (dataset.tickets ?? [])
        .filter((ticket) => (ticket.contacts?.contacts ?? []).some((ref) => ref.id === p.contact.id))
        .map((ticket) => ticket.id),
    }));
    const chosen = people.find((p) => p.ticketIds.length > 0) ?? people[0];
    assert.ok(chosen, 'a person with conversations');
    return chosen;
  }

  const inChatwoot = async (p: Person) => {
    let conversations = 0;
    for (const conversation of p.conversations)
      conversations += (
        await admin.filterConversationsByCustomAttribute('intercom_conversation_id', conversation.id)
      ).length;
    let tickets = 0;
    for (const id of p.ticketIds)
      tickets += (await admin.filterConversationsByCustomAttribute('intercom_ticket_id', id)).length;
    const contacts = (await admin.filterContacts('email', p.contact.email as string)).length;
    return { contacts, conversations, tickets };
  };

  async function blobsHolding(text: string): Promise<string[]> {
    const holding: string[] = [];
    for await (const key of store().list(`${blobLayout.root(ACCOUNT)}/`)) {
      const body = await store().get(key);
      if (body?.toString('utf8').toLowerCase().includes(text.toLowerCase())) holding.push(key);
    }
    return holding;
  }

  before(async () => {
    rig = await startMigrationRig({
      scenario: { seed: 47, conversations: 12, partsPerConversation: 3, chatwootMessagesPerMinute: 3000 },
    });
    scenario = rig.scenario;
    admin = new ChatwootClient({ baseUrl: scenario.chatwoot.url, accountId: ACCOUNT, token: ADMIN_TOKEN });
    person = choosePerson();
  });

  after(() => rig?.close());

  it('leaves the person out of a second full migration of the account, and keeps the seal true', async () => {
    // 1. The first migration, through cut-over: the snapshot is sealed.
    const first = await rig.start(rig.input());
    await first.result();
    const sealKey = blobLayout.sealedManifest(ACCOUNT);
    assert.ok(await store().exists(sealKey), 'sealed at cut-over');
    const migrated = await inChatwoot(person);
    assert.deepEqual(migrated, {
      contacts: 1,
      conversations: person.conversations.length,
      tickets: person.ticketIds.length,
    });

    // 2. Erased from the snapshot and Chatwoot; Intercom keeps them, so a full export meets them again.
    const email = person.contact.email as string;
    const record = await runErase(rig.client, { account: ACCOUNT, email, where: 'snapshot,chatwoot' });
    assert.deepEqual(await inChatwoot(person), { contacts: 0, conversations: 0, tickets: 0 });
    assert.deepEqual(await blobsHolding(email), [], 'no blob holds the e-mail after the erasure');
    assert.equal(
      record.snapshot?.ticketsRemoved,
      person.ticketIds.length,
      'tickets removed from the snapshot',
    );

    // 3. The seal matches every blob again: the same keys, each blob's sha256 recomputed here.
    const seal = JSON.parse(((await store().get(sealKey)) as Buffer).toString('utf8')) as {
      files: { key: string; size: number; sha256: string }[];
      reseals?: { reason: string; removed: number; changed: number }[];
    };
    const present: string[] = [];
    for await (const key of store().list(`${blobLayout.root(ACCOUNT)}/`))
      if (!key.startsWith(`${blobLayout.root(ACCOUNT)}/sealed`)) present.push(key);
    assert.deepEqual(seal.files.map((file) => file.key).sort(), present.sort(), 'the seal lists every blob');
    for (const file of seal.files) {
      const body = (await store().get(file.key)) as Buffer;
      assert.equal(createHash('sha256').update(body).digest('hex'), file.sha256, `sha256 of ${file.key}`);
      assert.equal(body.length, file.size, `size of ${file.key}`);
    }
    assert.equal(seal.reseals?.length, 1, 'one re-seal recorded');
    assert.equal(seal.reseals?.[0]?.reason, `erasure ${record.ref}`);
    assert.ok((seal.reseals?.[0]?.changed ?? 0) > 0, 'the re-seal counts the rewritten chunks');
    assert.equal(record.snapshot?.sealOutdated, false);
    assert.ok(record.seal?.resealedAt, 'the record says the seal was renewed');

    // 4. The account migrated again: a full export and import (the rollout waits, nothing more).
    const second: WorkflowHandle = await rig.start(
      rig.input({ rollout: { phaseDuration: '1s', deltaSyncInterval: '1s', autoStart: false } }),
    );
    await moreDeltaExports('the second run to import and sync once', store(), ACCOUNT, second, 1, {
      timeoutMs: 180_000,
      intervalMs: 250,
    });
    assert.deepEqual(await inChatwoot(person), { contacts: 0, conversations: 0, tickets: 0 }, 'not back');
    assert.deepEqual(await blobsHolding(email), [], 'no blob of the second export holds the e-mail');
    const contactsManifest = JSON.parse(
      ((await store().get(blobLayout.entityManifest(ACCOUNT, 'contacts'))) as Buffer).toString('utf8'),
    ) as { erased?: number };
    assert.equal(contactsManifest.erased, 1, 'the contacts export counts the erased contact');
    const conversationsManifest = JSON.parse(
      ((await store().get(blobLayout.entityManifest(ACCOUNT, 'conversations'))) as Buffer).toString('utf8'),
    ) as { erased?: number };
    assert.ok(
      (conversationsManifest.erased ?? 0) >= person.conversations.length,
      'the conversations export counts the erased conversations',
    );
    // Everyone else is still there: the erasure list names one person, not more.
    const others = scenario.intercom.dataset.conversations.filter(
      (conversation) => !record.intercomConversationIds.includes(conversation.id),
    );
    let othersInChatwoot = 0;
    for (const conversation of others)
      othersInChatwoot += (
        await admin.filterConversationsByCustomAttribute('intercom_conversation_id', conversation.id)
      ).length;
    assert.equal(othersInChatwoot, others.length, 'every other conversation is in Chatwoot');
    await second.terminate('test over');
  });
});

/**
 * The export of what Intercom holds about contacts beyond the contact object (every note, and every
 * company and tag when the object shows only 10), fetched only for contacts that have some; and of
 * contacts Intercom merged away (410 contact_merged), followed to the surviving contact in the full
 * export (resolveMergedContacts) and in the delta export.
 */
import assert from 'node:assert/strict';
import { createExportActivities } from '../src/activities/export/intercomReads.js';
import { createMergedContactActivities } from '../src/activities/export/mergedContacts.js';
import { contactExtrasOf } from '../src/clients/intercom/contactSchemas.js';
import type { Contact, Conversation } from '../src/clients/intercom/schemas.js';
import { getJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import {
  intercomHarnessPerTest,
  newDeps,
  readVerifiedManifest,
  routeCount,
  runAttempt,
} from './helpers/intercomHarness.js';

describe('Intercom export: contact notes, companies, tags and merged contacts', function () {
  this.timeout(60_000);
  const startHarness = intercomHarnessPerTest();

  it('keeps every note, and the companies and tags beyond 10, only asking for contacts that have some', async () => {
    const harness = await startHarness({
      workspace: { seed: 21, conversations: 10, contacts: 16, tags: 12, companies: 3 },
      input: { export: { pageSize: 5 } },
    });
    const { sandbox, dataset, input } = harness;
    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportEntity({ input }, 'contacts'));
    const { records } = await readVerifiedManifest<Contact>(deps.store(input), result.manifestKey);
    assert.equal(records.length, dataset.contacts.length);
    const notesOf = (id: string) => (dataset.notes ?? []).filter((note) => note.contact?.id === id);
    for (const record of records) {
      const extras = contactExtrasOf(record as Record<string, unknown>);
      assert.deepEqual(
        (extras.notes ?? []).map((note) => note.id).sort(),
        notesOf(record.id)
          .map((note) => note.id)
          .sort(),
        `notes of ${record.id}`,
      );
    }
    const withNotes = dataset.contacts.filter((contact) => notesOf(contact.id).length > 0).length;
    assert.ok(withNotes >= 2 && withNotes < dataset.contacts.length);
    // One page each (at most 50 notes), and none for a contact without notes.
    assert.equal(routeCount(sandbox, 'GET /contacts/{id}/notes'), withNotes);
    const busiest = records.find((record) => record.id === dataset.contacts[0]?.id);
    assert.equal(contactExtrasOf(busiest as Record<string, unknown>).tags?.length, 12);
    const manyCompanies = records.find((record) => record.id === dataset.contacts[1]?.id);
    const companies = contactExtrasOf(manyCompanies as Record<string, unknown>).companies ?? [];
    assert.equal(companies.length, 12);
    assert.ok(companies.every((company) => company.name));
    // Only the contacts whose object lists are cut were asked for their companies and tags.
    assert.equal(routeCount(sandbox, 'GET /contacts/{id}/companies'), 1);
    assert.equal(routeCount(sandbox, 'GET /contacts/{id}/tags'), 1);
  });

  it('records a merged contact that a conversation names, after the full export, asking only about unlisted contacts', async () => {
    const harness = await startHarness({
      workspace: { seed: 22, conversations: 12, contacts: 8 },
      input: { export: { pageSize: 5 } },
    });
    const { sandbox, dataset, input } = harness;
    const [mergedId, survivorId] = Object.entries(dataset.contactMerges ?? {})[0] as [string, string];
    const deps = newDeps();
    const exports = createExportActivities(deps);
    await runAttempt(() => exports.exportEntity({ input }, 'contacts'));
    await runAttempt(() => exports.exportConversations({ input }));
    const before = routeCount(sandbox, 'GET /contacts/{id}');
    const result = await runAttempt(() =>
      createMergedContactActivities(deps).resolveMergedContacts({ input }),
    );
    assert.deepEqual(result, { unlisted: 1, merged: 1 });
    // The merged contact and then the survivor it became: two requests, nothing for listed contacts.
    assert.equal(routeCount(sandbox, 'GET /contacts/{id}') - before, 2);
    const recorded = await getJson<{ canonicalId: string }>(
      deps.store(input),
      blobLayout.intercomMergedContact(input.account, mergedId),
    );
    assert.equal(recorded?.canonicalId, survivorId);
  });

  it('follows a merged contact to the survivor in the delta instead of failing on its 410', async () => {
    const clockMs = Math.floor(Date.now() / 1000) * 1000;
    const harness = await startHarness({
      workspace: { seed: 23, conversations: 10, contacts: 8 },
      sandbox: { now: () => clockMs },
    });
    const { sandbox, dataset, input } = harness;
    const [mergedId, survivorId] = Object.entries(dataset.contactMerges ?? {})[0] as [string, string];
    const conversation = dataset.conversations.find(
      (candidate) => candidate.contacts?.contacts[0]?.id === mergedId,
    ) as Conversation;
    const admin = dataset.admins[0] as { id: string; name?: string | null };
    sandbox.replyToConversation(conversation.id, '<p>Following up</p>', {
      type: 'admin',
      id: admin.id,
      name: admin.name ?? null,
    });
    const deps = newDeps();
    const t = clockMs / 1000;
    const result = await runAttempt(() =>
      createExportActivities(deps).exportDelta({
        input,
        since: t - 600,
        until: t + 100,
        runKey: 'delta-00001',
      }),
    );
    assert.equal(result.count, 1);
    const contacts = await readVerifiedManifest<Contact>(deps.store(input), result.contactsManifestKey);
    assert.deepEqual(
      contacts.records.map((contact) => contact.id),
      [survivorId],
    );
    const recorded = await getJson<{ canonicalId: string }>(
      deps.store(input),
      blobLayout.intercomMergedContact(input.account, mergedId),
    );
    assert.equal(recorded?.canonicalId, survivorId);
  });
});

/**
 * A migration writes the labels of the contacts it creates through POST /bulk_actions type Contact
 * (contactLabels.ts): every contact's tags among its labels (the independent check), no
 * POST /contacts/:id/labels for a contact the import created, at most one Contact job per distinct
 * label; importing the chunk again writes nothing; and an attempt that created the contacts but died
 * before its batch was confirmed is finished by the retry, per contact, with no note twice.
 */
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityDeps } from '../src/activities/deps.js';
import type { MergePlan } from '../src/activities/import/chatwootWrites.js';
import { createImportActivities } from '../src/activities/import/chatwootWrites.js';
import { readChunk, readManifest } from '../src/activities/manifests.js';
import type { Contact } from '../src/clients/intercom/schemas.js';
import { parseMigrationInput } from '../src/config.js';
import { contactIdentifier } from '../src/mapping/contacts.js';
import { getJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import { type MigrationRig, startMigrationRig, workerEnvironment } from './helpers/migrationHarness.js';

const SET_LABELS = 'POST /api/v1/accounts/:account_id/contacts/:contact_id/labels';
const NOTES = 'POST /api/v1/accounts/:account_id/contacts/:contact_id/notes';

describe('contact labels through the Contact bulk action, in a migration', function () {
  this.timeout(600_000);
  let rig: MigrationRig;

  before(async () => {
    rig = await startMigrationRig({
      scenario: { seed: 31, conversations: 60, partsPerConversation: 3, agentTokens: true },
    });
  });
  after(() => rig?.close());

  const parsedInput = () => {
    const parsed = parseMigrationInput(rig.input());
    assert.ok(parsed.ok);
    return parsed.input;
  };
  const sent = (route: string) => rig.scenario.chatwoot.stats.byRoute[route] ?? 0;

  async function contactChunks(deps: ActivityDeps) {
    const input = parsedInput();
    const store = deps.store(input);
    const manifest = await readManifest(store, blobLayout.entityManifest(input.account, 'contacts'));
    const chunks: { key: string; contacts: Contact[] }[] = [];
    for (const chunk of manifest.chunks)
      chunks.push({ key: chunk.key, contacts: await readChunk<Contact>(store, chunk.key) });
    return { input, store, chunks };
  }

  it('labels every created contact in bulk, never one by one', async () => {
    const { scenario } = rig;
    const handle = await rig.start(rig.input());
    await handle.result();
    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, [], 'every tag among its contact’s labels (independent check)');
    assert.equal(summary.duplicates, 0);

    const deps = new ActivityDeps(workerEnvironment(scenario));
    const { store, chunks } = await contactChunks(deps);
    const account = scenario.chatwoot.state.accounts.get(1);
    assert.ok(account);
    const labelled = account.contacts.filter((contact) => (contact.labels ?? []).length > 0);
    assert.ok(labelled.length >= 3, `the workspace has contacts with tags (${labelled.length})`);
    const distinctLabels = new Set(labelled.flatMap((c) => (c.labels ?? []).map((l) => l.toLowerCase())));
    const jobs = scenario.chatwoot.state.contactBulkActionJobs;
    assert.ok(jobs.enqueued > 0, 'the Contact bulk action was used');
    assert.equal(jobs.dropped, 0);
    assert.ok(
      jobs.enqueued <= distinctLabels.size * chunks.length,
      `${jobs.enqueued} jobs for ${distinctLabels.size} labels in ${chunks.length} chunks`,
    );
    // One by one only for a contact merged into another by e-mail: not created by the import.
    let merged = 0;
    for (const chunk of chunks) {
      const plan = await getJson<MergePlan>(store, blobLayout.mergePlanIn(blobLayout.folderOf(chunk.key)));
      merged += Object.keys(plan?.mergedInto ?? {}).length;
    }
    console.log(
      `      contact labels: ${jobs.enqueued} bulk requests, ${sent(SET_LABELS)} per-contact writes, ` +
        `${labelled.length} labelled contacts, ${distinctLabels.size} labels, ${merged} merged contacts`,
    );
    assert.ok(sent(SET_LABELS) <= merged, `${sent(SET_LABELS)} per-contact label writes`);
  });

  it('imports the chunk again without a request for labels or notes', async () => {
    const { scenario } = rig;
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const { input, chunks } = await contactChunks(deps);
    const before = {
      jobs: scenario.chatwoot.state.contactBulkActionJobs.enqueued,
      set: sent(SET_LABELS),
      notes: sent(NOTES),
    };
    const { importContacts } = createImportActivities(deps);
    for (const chunk of chunks) await new MockActivityEnvironment().run(importContacts, { input }, chunk.key);
    assert.equal(scenario.chatwoot.state.contactBulkActionJobs.enqueued, before.jobs);
    assert.equal(sent(SET_LABELS), before.set);
    assert.equal(sent(NOTES), before.notes);
  });

  it('a retry after the contacts were created but before their batch was confirmed labels them per contact', async () => {
    const { scenario } = rig;
    const deps = new ActivityDeps(workerEnvironment(scenario));
    const { input, store, chunks } = await contactChunks(deps);
    const account = scenario.chatwoot.state.accounts.get(1);
    assert.ok(account);
    // The state an attempt leaves when it dies between its last contact and its batch's read-back:
    // the contacts exist (with their notes), their labels not applied, no extras record.
    let undone = 0;
    for (const chunk of chunks) {
      const plan = await getJson<MergePlan>(store, blobLayout.mergePlanIn(blobLayout.folderOf(chunk.key)));
      for (const contact of chunk.contacts) {
        const held = account.contacts.find((c) => c.identifier === contactIdentifier(contact));
        if (!held || (held.labels ?? []).length === 0) continue;
        held.labels = [];
        await store.delete(blobLayout.contactExtrasWritten(input.account, contact.id));
        // The labels of contacts merged into it went on it too: their records go with them.
        for (const [mergedId, canonicalId] of Object.entries(plan?.mergedInto ?? {}))
          if (canonicalId === contact.id)
            await store.delete(blobLayout.contactExtrasWritten(input.account, mergedId));
        undone++;
      }
    }
    assert.ok(undone > 0);
    const notesBefore = sent(NOTES);
    const contactsBefore = account.contacts.length;
    const { importContacts } = createImportActivities(deps);
    for (const chunk of chunks) {
      // Resumed past every contact (the heartbeat's watermark), as Temporal hands it to the retry.
      await new MockActivityEnvironment({ heartbeatDetails: chunk.contacts.length }).run(
        importContacts,
        { input },
        chunk.key,
      );
    }
    assert.equal(account.contacts.length, contactsBefore, 'no contact created twice');
    assert.equal(sent(NOTES), notesBefore, 'no note twice');
    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, [], 'every label back');
    assert.equal(summary.duplicates, 0);
  });
});

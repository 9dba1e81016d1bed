/**
 * Erasure of one person on request, end to end on the local Temporal server against both sandboxes:
 * a small workspace migrated (the rollout waiting, delta syncs every second), then `cli.js erase`'s
 * runErase for one person. Checked from outside the code under test: Chatwoot's and Intercom's APIs
 * answer that the person and their conversations are gone, no blob of the snapshot holds their
 * e-mail or name, the record and the workflow's history hold no personal data, and the next delta
 * syncs do not bring them back, even where Intercom still has them (erasure list).
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { ErasureRecord } from '../src/activities/erasure/snapshot.js';
import { eraseWorkflowId, runErase } from '../src/cli/erase.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import type { Contact, Conversation } from '../src/clients/intercom/schemas.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import { createBlobStore } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import { until } from './helpers/eventually.js';
import {
  aWholeDeltaSync as aWholeDeltaSyncOf,
  deltaExports,
  intercomRequest,
  peopleWithOwnEmail,
} from './helpers/liveMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const ACCOUNT = 1;
const ADMIN_TOKEN = 'sandbox-admin-token';

/** Bytes as text wherever they sit in a history (payload data), so a scan sees what they say. */
const readable = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner instanceof Uint8Array ? Buffer.from(inner).toString('utf8') : inner,
  );

describe('erasure of one person on request', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let scenario: Scenario;
  let migration: WorkflowHandle;
  let admin: ChatwootClient;
  const store = () => createBlobStore(rig.blobStoreUrl);

  const aWholeDeltaSync = () => aWholeDeltaSyncOf(store(), ACCOUNT, migration);
  const intercomCall = (method: string, path: string, body?: unknown) =>
    intercomRequest(scenario, method, path, body);

  /** Two people of the workspace with an e-mail, a name and at least one conversation each. */
  function people(): { contact: Contact; conversations: Conversation[] }[] {
    return peopleWithOwnEmail(scenario.intercom.dataset).slice(0, 2);
  }

  const chatwootConversationsOf = async (conversations: Conversation[]) => {
    let found = 0;
    for (const conversation of conversations)
      found += (await admin.filterConversationsByCustomAttribute('intercom_conversation_id', conversation.id))
        .length;
    return found;
  };

  /** Every blob of the account, read through the store (decrypted when encrypted), with its key. */
  async function snapshotText(): Promise<{ key: string; text: string }[]> {
    const blobs: { key: string; text: string }[] = [];
    for await (const key of store().list(`${blobLayout.root(ACCOUNT)}/`)) {
      const body = await store().get(key);
      if (body) blobs.push({ key, text: body.toString('utf8').toLowerCase() });
    }
    return blobs;
  }

  let a: { contact: Contact; conversations: Conversation[] };
  let b: { contact: Contact; conversations: Conversation[] };

  before(async () => {
    rig = await startMigrationRig({
      scenario: { seed: 47, conversations: 12, partsPerConversation: 3, chatwootMessagesPerMinute: 3000 },
    });
    scenario = rig.scenario;
    admin = new ChatwootClient({ baseUrl: scenario.chatwoot.url, accountId: ACCOUNT, token: ADMIN_TOKEN });
    const chosen = people();
    assert.equal(chosen.length, 2, 'two people with conversations in the workspace');
    [a, b] = chosen as [typeof a, typeof b];
    migration = await rig.start(
      rig.input({ rollout: { phaseDuration: '1s', deltaSyncInterval: '1s', autoStart: false } }),
    );
    await until('the first delta sync', async () => (await deltaExports(store(), ACCOUNT)) >= 1);
    for (const person of [a, b]) {
      assert.equal(
        (await admin.filterContacts('email', person.contact.email as string)).length,
        1,
        'migrated contact',
      );
      assert.equal(
        await chatwootConversationsOf(person.conversations),
        person.conversations.length,
        'migrated conversations',
      );
    }
  });

  after(() => rig?.close());

  it('erases a person from Chatwoot, Intercom and the snapshot, with a record and a history free of their data', async () => {
    const email = b.contact.email as string;
    const name = b.contact.name as string;
    const record: ErasureRecord = await runErase(rig.client, {
      account: ACCOUNT,
      email: email.toUpperCase(),
    });

    // Chatwoot: no contact with the e-mail, none of the conversations.
    assert.deepEqual(await admin.filterContacts('email', email), []);
    assert.equal(await chatwootConversationsOf(b.conversations), 0);
    // Intercom: the contact and each conversation answer 404.
    assert.equal((await intercomCall('GET', `/contacts/${b.contact.id}`)).status, 404);
    for (const conversation of b.conversations)
      assert.equal((await intercomCall('GET', `/conversations/${conversation.id}`)).status, 404);
    // The snapshot: no blob says the e-mail; no attachment folder of the conversations is left.
    const blobs = await snapshotText();
    const holding = blobs.filter((blob) => blob.text.includes(email.toLowerCase())).map((blob) => blob.key);
    assert.deepEqual(holding, [], 'blobs holding the e-mail');
    for (const conversation of b.conversations) {
      const prefix = `${blobLayout.attachmentDir(ACCOUNT, conversation.id)}/`;
      assert.ok(
        !blobs.some((blob) => blob.key.startsWith(prefix)),
        `attachments of ${conversation.id} deleted`,
      );
    }
    assert.equal(
      blobs.filter((blob) => blob.key.includes('/erasure/requests/')).length,
      0,
      'request deleted',
    );

    // The record: ids and counts, where; none of the person's data, in the result and in the blob.
    assert.deepEqual([...record.where].sort(), ['chatwoot', 'intercom', 'snapshot']);
    assert.ok(record.intercomContactIds.includes(b.contact.id));
    for (const conversation of b.conversations)
      assert.ok(record.intercomConversationIds.includes(conversation.id));
    assert.equal((record.chatwoot as { contactsDeleted: number }).contactsDeleted, 1);
    // Their own conversations, and those they wrote in under another contact (found in the snapshot).
    assert.ok(
      (record.chatwoot as { conversationsDeleted: number }).conversationsDeleted >= b.conversations.length,
    );
    // Every conversation found, whichever contact it was under, is gone from both services.
    const found = record.intercomConversationIds.map((id) => ({ id }) as Conversation);
    assert.equal(await chatwootConversationsOf(found), 0, 'no conversation found is left in Chatwoot');
    for (const { id } of found)
      assert.equal(
        (await intercomCall('GET', `/conversations/${id}`)).status,
        404,
        `conversation ${id} in Intercom`,
      );
    assert.equal((record.intercom as { contactsDeleted: number }).contactsDeleted, 1);
    assert.ok((record.snapshot?.conversationsRemoved ?? 0) >= b.conversations.length);
    const stored = blobs.find((blob) => blob.key === blobLayout.erasureRecord(ACCOUNT, record.ref));
    assert.ok(stored, 'the record is in the blob store');
    const workflowId = eraseWorkflowId(ACCOUNT, record.ref);
    const history = readable(await rig.client.workflow.getHandle(workflowId).fetchHistory()).toLowerCase();
    for (const text of [
      JSON.stringify(record).toLowerCase(),
      stored.text,
      history,
      workflowId.toLowerCase(),
    ]) {
      assert.ok(!text.includes(email.toLowerCase()), 'no e-mail');
      assert.ok(!text.includes(name.toLowerCase()), 'no name');
    }

    // The next delta syncs do not bring them back.
    await aWholeDeltaSync();
    assert.deepEqual(await admin.filterContacts('email', email), []);
    assert.equal(await chatwootConversationsOf(b.conversations), 0);
  });

  it('keeps a person erased from Chatwoot and the snapshot out of later delta syncs while Intercom still has them', async () => {
    const email = a.contact.email as string;
    const record = await runErase(rig.client, { account: ACCOUNT, email, where: 'snapshot,chatwoot' });
    assert.deepEqual([...record.where].sort(), ['chatwoot', 'snapshot']);
    assert.equal(record.intercom, undefined, 'Intercom untouched');
    assert.equal((await intercomCall('GET', `/contacts/${a.contact.id}`)).status, 200, 'still in Intercom');
    assert.deepEqual(await admin.filterContacts('email', email), []);

    // A teammate's note in Intercom puts the person's conversation in the next delta.
    const conversation = a.conversations[0] as Conversation;
    const adminId = scenario.intercom.dataset.admins[0]?.id as string;
    const note = await intercomCall('POST', `/conversations/${conversation.id}/reply`, {
      message_type: 'note',
      type: 'admin',
      admin_id: adminId,
      body: '<p>Following up.</p>',
    });
    assert.equal(note.status, 200, await note.text());
    await aWholeDeltaSync();
    await aWholeDeltaSync();
    assert.deepEqual(await admin.filterContacts('email', email), [], 'contact not re-created');
    assert.equal(await chatwootConversationsOf(a.conversations), 0, 'conversations not re-created');
    const blobs = await snapshotText();
    assert.deepEqual(
      blobs.filter((blob) => blob.text.includes(email.toLowerCase())).map((blob) => blob.key),
      [],
      'no delta chunk holds the person',
    );
  });
});

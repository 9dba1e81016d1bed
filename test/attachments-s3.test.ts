/**
 * Rehosting into an S3 blob store on a real S3-compatible server (moto), then the import side reading
 * those attachments back and uploading them to the Chatwoot sandbox with their messages.
 */
import assert from 'node:assert/strict';
import {
  createAttachmentActivities,
  readAttachmentIndex,
  type StoredAttachment,
} from '../src/activities/attachments/rehost.js';
import type { ActivityDeps } from '../src/activities/deps.js';
import { createExportActivities } from '../src/activities/export/intercomReads.js';
import { createImportActivities } from '../src/activities/import/chatwootWrites.js';
import { createSetupActivities } from '../src/activities/setup/chatwootWrites.js';
import type { PartAttachment } from '../src/clients/intercom/schemas.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { attachmentPlaceholder, type IntercomDataset } from '../src/sandbox/intercom/index.js';
import { ENVELOPE_MAGIC } from '../src/storage/envelope.js';
import { ProtectedBlobStore } from '../src/storage/protectedStore.js';
import { S3BlobStore } from '../src/storage/s3Store.js';
import {
  exportConversationChunks,
  type IntercomHarness,
  newDeps,
  parseChunk,
  routeCount,
  runAttempt,
  sandboxPath,
  sha256,
  startIntercomHarness,
} from './helpers/intercomHarness.js';
import { type S3TestServer, startS3Server } from './helpers/s3Server.js';

const BUCKET = 'rehosting';
const CHATWOOT_TOKEN = 'sandbox-admin-token';
/** More than the 15 files Chatwoot takes on one message. */
const MANY = 17;
let manyId = '';

/** The first conversation's opening message gets MANY small files on top of what it has. */
function withManyAttachments(dataset: IntercomDataset): void {
  const conversation = dataset.conversations[0];
  assert.ok(conversation);
  manyId = conversation.id;
  for (let i = 0; i < MANY; i++) {
    const name = `scan ${i + 1}.pdf`;
    const path = `i/o/1/many/${conversation.id}-${i}.pdf`;
    const size = 2_000 + i * 500;
    dataset.attachments[path] = { name, contentType: 'application/pdf', size };
    const attachment: PartAttachment = {
      type: 'upload',
      name,
      url: attachmentPlaceholder(path),
      content_type: 'application/pdf',
      filesize: size,
    };
    conversation.source.attachments.push(attachment);
  }
}

describe('attachments rehosted into S3 (moto) and imported into Chatwoot', function () {
  this.timeout(60_000);
  let s3: S3TestServer | undefined;
  let chatwoot: ChatwootSandbox | undefined;
  let harness: IntercomHarness | undefined;
  let deps: ActivityDeps;
  let chunkKeys: string[] = [];

  /** The exported conversation with MANY attachments and the chunk holding it. */
  async function exportedWithMany() {
    assert.ok(harness);
    const store = deps.store(harness.input);
    for (const chunkKey of chunkKeys) {
      const conversation = parseChunk(await store.get(chunkKey)).find((c) => c.id === manyId);
      if (conversation) return { chunkKey, conversation };
    }
    throw new Error(`conversation ${manyId} is not in the export`);
  }

  before(async function () {
    // The first run on a machine installs moto into a virtualenv, which takes a while.
    this.timeout(600_000);
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    chatwoot = await startChatwootSandbox();
    harness = await startIntercomHarness({
      workspace: {
        seed: 31,
        conversations: 6,
        longConversations: 0,
        attachmentEvery: 3,
        inlineImageEvery: 4,
        // Only conversations are exported here; tickets' files would never be asked for.
        tickets: 0,
      },
      prepare: withManyAttachments,
      input: {
        account: 1,
        chatwoot: { baseUrl: chatwoot.url },
        blobStoreUrl: s3.storeUrl(BUCKET, 'migration'),
      },
    });
    deps = newDeps({ chatwootToken: CHATWOOT_TOKEN });
    chunkKeys = await exportConversationChunks(deps, harness.input);
  });

  after(async () => {
    await harness?.close();
    await chatwoot?.close();
    await s3?.stop();
  });

  it('stores every attachment in S3 with the sandbox bytes, once', async () => {
    assert.ok(harness);
    const { sandbox, dataset, input } = harness;
    const store = deps.store(input);
    // Encrypted at rest on top of S3 (storage/protectedStore.ts; the tests' key from test/setup.ts).
    assert.ok(store instanceof ProtectedBlobStore && store.inner instanceof S3BlobStore);
    const raw = store.inner;
    const { rehostAttachments } = createAttachmentActivities(deps);
    let downloaded = 0;
    for (const chunkKey of chunkKeys) {
      downloaded += (await runAttempt(() => rehostAttachments({ input, chunkKey }))).downloaded;
    }
    let checked = 0;
    for (const chunkKey of chunkKeys) {
      for (const conversation of parseChunk(await store.get(chunkKey))) {
        const index = await readAttachmentIndex(store, input.account, conversation.id);
        assert.deepEqual(index?.failed ?? [], []);
        for (const stored of index?.stored ?? []) {
          const bytes = await store.get(stored.key);
          assert.ok(bytes, `${stored.key} is in S3`);
          assert.deepEqual(
            (await raw.get(stored.key))?.subarray(0, 8),
            ENVELOPE_MAGIC,
            'only ciphertext in S3',
          );
          assert.equal(sha256(bytes), stored.sha256);
          assert.equal(bytes.length, stored.size);
          assert.equal((await store.stat(stored.key))?.contentType, stored.contentType);
          checked++;
        }
      }
    }
    const served = Object.keys(dataset.attachments).length;
    assert.equal(checked, downloaded);
    assert.equal(downloaded, served, 'every file of the workspace');
    assert.equal(sandbox.stats.attachmentDownloads, served);
    // What the sandbox served is what S3 holds: compare by path for the opening message's files.
    const { conversation: first } = await exportedWithMany();
    const firstIndex = await readAttachmentIndex(store, input.account, first.id);
    const expected = await Promise.all(
      first.source.attachments.map(async (attachment) => {
        const path = sandboxPath(attachment.url, sandbox.url);
        const bytes = path ? await dataset.readAttachment(path) : undefined;
        assert.ok(bytes, `sandbox bytes of ${attachment.url}`);
        return sha256(bytes);
      }),
    );
    const storedForSource = (firstIndex?.stored ?? [])
      .filter((s) => s.messageSourceId.startsWith(`source:${first.source.id}`) && !s.inline)
      .sort((a, b) => a.index - b.index)
      .map((s) => s.sha256);
    assert.deepEqual(storedForSource, expected);

    const linkRequests = routeCount(sandbox, 'GET /attachments/{path}');
    for (const chunkKey of chunkKeys) {
      const again = await runAttempt(() => rehostAttachments({ input, chunkKey }));
      assert.equal(again.downloaded, 0);
    }
    assert.equal(routeCount(sandbox, 'GET /attachments/{path}'), linkRequests);
  });

  it('imports a conversation with its attachments from S3, at most 15 to a message', async () => {
    assert.ok(harness && chatwoot);
    const { input } = harness;
    const store = deps.store(input);
    const { chunkKey, conversation } = await exportedWithMany();
    const index = await readAttachmentIndex(store, input.account, conversation.id);
    assert.ok(index && index.stored.length >= MANY, 'rehosted by the previous test');

    // The mapping steps the import needs: the archive inbox, the conversation attribute definition
    // (from the exported attribute list) and the saved mapping.
    await runAttempt(() => createExportActivities(deps).exportEntity({ input }, 'dataAttributes'));
    const setup = createSetupActivities(deps);
    await runAttempt(() => setup.ensureAttributeDefinitions({ input }));
    const inboxId = await runAttempt(() => setup.ensureArchiveInbox({ input }));
    await runAttempt(() => setup.saveMapping({ input }, { inboxId }));
    const { importConversation } = createImportActivities(deps);
    const result = await runAttempt(() =>
      importConversation({ input, conversationId: conversation.id, chunkKey }),
    );
    assert.equal(result.attachmentsMissing, 0);
    assert.equal(result.attachmentsUploaded, index.stored.length);

    const account = chatwoot.dump().accounts.find((a) => a.id === input.account);
    const imported = account?.conversations.find(
      (c) => c.custom_attributes.intercom_conversation_id === conversation.id,
    );
    assert.ok(imported, 'the conversation is in Chatwoot');
    const perMessage = imported.messages.map((message) => message.attachments.length);
    assert.ok(Math.max(...perMessage) <= 15, `attachments per message: ${perMessage.join(', ')}`);
    assert.ok(perMessage.includes(15), 'the opening message filled one message and spilled over');
    const uploaded = imported.messages.flatMap((message) => message.attachments.map((a) => a.sha256)).sort();
    assert.deepEqual(uploaded, index.stored.map((s) => s.sha256).sort());
    for (const message of imported.messages) {
      for (const attachment of message.attachments) {
        const stored: StoredAttachment | undefined = index.stored.find((s) => s.sha256 === attachment.sha256);
        assert.equal(attachment.size, stored?.size);
        assert.equal(attachment.file_name, stored?.fileName);
      }
    }
  });
});

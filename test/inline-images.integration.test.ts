/**
 * Inline images end to end: exported with signed links, rehosted, imported into the Chatwoot sandbox.
 * No message holds a link to Intercom (those expire); each image is named as the attachment it
 * became, or as not copied when its copy failed.
 */
import assert from 'node:assert/strict';
import { createAttachmentActivities, readAttachmentIndex } from '../src/activities/attachments/rehost.js';
import type { ActivityDeps } from '../src/activities/deps.js';
import { createExportActivities } from '../src/activities/export/intercomReads.js';
import { createImportActivities } from '../src/activities/import/chatwootWrites.js';
import { createSetupActivities } from '../src/activities/setup/chatwootWrites.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { ATTACHMENT_PLACEHOLDER_PREFIX, type IntercomDataset } from '../src/sandbox/intercom/index.js';
import {
  exportConversationChunks,
  type IntercomHarness,
  newDeps,
  parseChunk,
  runAttempt,
  startIntercomHarness,
} from './helpers/intercomHarness.js';

const CHATWOOT_TOKEN = 'sandbox-admin-token';
const IMG = new RegExp(`<img src="${ATTACHMENT_PLACEHOLDER_PREFIX}([^"]+)"`, 'g');

describe('inline images imported into Chatwoot', function () {
  this.timeout(120_000);
  let chatwoot: ChatwootSandbox | undefined;
  let harness: IntercomHarness | undefined;
  let deps: ActivityDeps;
  /** The conversation with two inline images, the second one gone from Intercom's host. */
  let target = { conversationId: '', kept: '', lost: '' };

  /** Adds a second image to a body that has one, and takes that one's file away. */
  function withLostImage(dataset: IntercomDataset): void {
    for (const conversation of dataset.conversations) {
      const message = [
        conversation.source,
        ...(conversation.conversation_parts?.conversation_parts ?? []),
      ].find((m) => (m.body?.match(IMG)?.length ?? 0) === 1);
      const kept = message ? [...(message.body ?? '').matchAll(IMG)][0]?.[1] : undefined;
      if (!message || !kept) continue;
      const lost = kept.replace(/[^/]+$/, 'lost-diagram.png');
      message.body = `${message.body}<p>and <img src="${ATTACHMENT_PLACEHOLDER_PREFIX}${lost}"></p>`;
      target = { conversationId: conversation.id, kept, lost };
      return;
    }
    assert.fail('no body with an inline image');
  }

  before(async () => {
    chatwoot = await startChatwootSandbox();
    harness = await startIntercomHarness({
      workspace: { seed: 5, conversations: 6, attachmentEvery: 0, inlineImageEvery: 3 },
      prepare: withLostImage,
      input: { account: 1, chatwoot: { baseUrl: chatwoot.url } },
    });
    deps = newDeps({ chatwootToken: CHATWOOT_TOKEN });
  });

  after(async () => {
    await harness?.close();
    await chatwoot?.close();
  });

  it('names the rehosted image as attached and the lost one as not copied, with no link to Intercom', async () => {
    assert.ok(harness && chatwoot);
    const { input, sandbox } = harness;
    const store = deps.store(input);
    const chunkKeys = await exportConversationChunks(deps, input);
    const { rehostAttachments } = createAttachmentActivities(deps);
    for (const chunkKey of chunkKeys) {
      await runAttempt(() => rehostAttachments({ input, chunkKey }), { maximumAttempts: 1 });
    }
    const index = await readAttachmentIndex(store, input.account, target.conversationId);
    assert.equal(index?.failed.length, 1, 'the lost image could not be had');
    assert.ok(index?.stored.some((s) => s.inline));

    let chunkKey = '';
    for (const key of chunkKeys) {
      if (parseChunk(await store.get(key)).some((c) => c.id === target.conversationId)) chunkKey = key;
    }
    // The export holds the signed links: they are what must not reach Chatwoot.
    const exported = (await store.get(chunkKey))?.toString('utf8') ?? '';
    assert.match(exported, /signature=/);

    await runAttempt(() => createExportActivities(deps).exportEntity({ input }, 'dataAttributes'));
    const setup = createSetupActivities(deps);
    await runAttempt(() => setup.ensureAttributeDefinitions({ input }));
    const inboxId = await runAttempt(() => setup.ensureArchiveInbox({ input }));
    await runAttempt(() => setup.saveMapping({ input }, { inboxId }));
    const result = await runAttempt(() =>
      createImportActivities(deps).importConversation({
        input,
        conversationId: target.conversationId,
        chunkKey,
      }),
    );
    assert.equal(result.attachmentsMissing, 1);

    const imported = chatwoot
      .dump()
      .accounts.find((a) => a.id === input.account)
      ?.conversations.find((c) => c.custom_attributes.intercom_conversation_id === target.conversationId);
    assert.ok(imported);
    for (const message of imported.messages) {
      const content = message.content ?? '';
      assert.ok(!content.includes(sandbox.url), `${message.source_id} links to the Intercom sandbox`);
      assert.doesNotMatch(content, /signature=|expires=|!\[/);
      assert.ok(!content.includes(target.kept.replace(/\/[^/]+$/, '')), `${message.source_id} keeps a path`);
    }
    const carrier = imported.messages.find((m) => (m.content ?? '').includes('lost-diagram.png'));
    assert.ok(carrier, 'the message with both images');
    const keptName = target.kept.split('/').pop() ?? '';
    assert.ok(
      carrier.content?.includes(`[image: ${keptName} — attached]`),
      `the rehosted image is named as attached: ${carrier.content}`,
    );
    assert.ok(carrier.content?.includes('[image: lost-diagram.png — could not be copied from Intercom]'));
    assert.deepEqual(
      carrier.attachments.map((a) => a.file_name),
      [keptName],
    );
  });
});

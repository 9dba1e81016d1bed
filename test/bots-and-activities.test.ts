/**
 * Intercom's bots and events in Chatwoot, through the real activities against both sandboxes: the
 * mapping phase makes the "Intercom bots" agent bot once, the import posts bot parts as that bot and
 * state changes as activity messages, an import whose mapping predates the bot still runs, and a
 * resumed import that switched from notes to activity messages posts nothing twice.
 */
import assert from 'node:assert/strict';
import type { ActivityDeps } from '../src/activities/deps.js';
import { createExportActivities } from '../src/activities/export/intercomReads.js';
import { createImportActivities } from '../src/activities/import/chatwootWrites.js';
import { createSetupActivities, type MigrationMapping } from '../src/activities/setup/chatwootWrites.js';
import type { Author } from '../src/clients/intercom/schemas.js';
import type { MigrationInput } from '../src/config.js';
import {
  type ChatwootSandbox,
  DEFAULT_CHATWOOT_ACCOUNTS,
  type DumpConversation,
  startChatwootSandbox,
} from '../src/sandbox/chatwoot/index.js';
import type { IntercomDataset } from '../src/sandbox/intercom/index.js';
import { getJson, putJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import {
  exportConversationChunks,
  type IntercomHarness,
  newDeps,
  parseChunk,
  runAttempt,
  startIntercomHarness,
} from './helpers/intercomHarness.js';

const ADMIN_TOKEN = 'sandbox-admin-token';
const OTHER_ADMIN_TOKEN = 'sandbox-other-admin-token';
const FIN: Author = { type: 'bot', id: '991267999', name: 'Fin', email: 'operator+abc@intercom.io' };

/** Part ids added to the first three conversations: a Fin answer, an admin reply, a close by Fin. */
const added = (n: number) => ({ fin: `99000${n}1`, admin: `99000${n}2`, close: `99000${n}3` });

function withBotParts(dataset: IntercomDataset): void {
  const admin = dataset.admins[0];
  assert.ok(admin);
  const adminAuthor: Author = { type: 'admin', id: admin.id, name: admin.name, email: admin.email };
  dataset.conversations.slice(0, 3).forEach((conversation, n) => {
    const list = conversation.conversation_parts?.conversation_parts ?? [];
    const last = Math.max(conversation.created_at, ...list.map((part) => part.created_at));
    const ids = added(n);
    const part = (id: string, partType: string, body: string | null, author: Author, at: number) => ({
      type: 'conversation_part',
      id,
      part_type: partType,
      body,
      created_at: at,
      updated_at: at,
      notified_at: at,
      assigned_to: null,
      author,
      attachments: [],
      external_id: null,
      redacted: false,
    });
    list.push(
      part(ids.fin, 'comment', '<p>I am Fin, how can I help?</p>', FIN, last + 60),
      part(ids.admin, 'comment', '<p>Ann here, taking over.</p>', adminAuthor, last + 120),
      part(ids.close, 'close', null, FIN, last + 180),
    );
    if (conversation.statistics) conversation.statistics.count_conversation_parts = list.length;
  });
}

describe('Intercom bots as an agent bot, Intercom events as activity messages', function () {
  this.timeout(120_000);
  let chatwoot: ChatwootSandbox;
  let harness: IntercomHarness;
  let deps: ActivityDeps;
  let chunkKeys: string[] = [];
  let inboxId = 0;

  before(async () => {
    chatwoot = await startChatwootSandbox({
      accounts: [
        ...DEFAULT_CHATWOOT_ACCOUNTS,
        {
          id: 2,
          name: 'Other company',
          users: [
            {
              id: 9,
              name: 'Other Admin',
              email: 'other@sandbox.test',
              role: 'administrator',
              accessToken: OTHER_ADMIN_TOKEN,
            },
          ],
        },
      ],
    });
    harness = await startIntercomHarness({
      workspace: { seed: 41, conversations: 6, attachmentEvery: 0, inlineImageEvery: 0 },
      prepare: withBotParts,
      input: { account: 1, chatwoot: { baseUrl: chatwoot.url } },
    });
    deps = newDeps({ chatwootToken: ADMIN_TOKEN });
    chunkKeys = await exportConversationChunks(deps, harness.input);
    await runAttempt(() =>
      createExportActivities(deps).exportEntity({ input: harness.input }, 'dataAttributes'),
    );
    const setup = createSetupActivities(deps);
    await runAttempt(() => setup.ensureAttributeDefinitions({ input: harness.input }));
    inboxId = await runAttempt(() => setup.ensureArchiveInbox({ input: harness.input }));
  });

  after(async () => {
    await harness?.close();
    await chatwoot?.close();
  });

  const mappingOf = async (input: MigrationInput) =>
    getJson<MigrationMapping>(deps.store(input), blobLayout.mapping(input.account));

  async function importConversation(activityDeps: ActivityDeps, input: MigrationInput, n: number) {
    const conversationId = harness.dataset.conversations[n]?.id;
    assert.ok(conversationId);
    for (const chunkKey of chunkKeys) {
      if (!parseChunk(await deps.store(input).get(chunkKey)).some((c) => c.id === conversationId)) continue;
      const { importConversation: run } = createImportActivities(activityDeps);
      return runAttempt(() => run({ input, conversationId, chunkKey }));
    }
    throw new Error(`conversation ${conversationId} is not in the export`);
  }

  function imported(n: number): DumpConversation {
    const id = harness.dataset.conversations[n]?.id;
    const conversation = chatwoot
      .dump()
      .accounts.find((account) => account.id === 1)
      ?.conversations.find((candidate) => candidate.custom_attributes.intercom_conversation_id === id);
    assert.ok(conversation, `conversation ${id} is in Chatwoot`);
    return conversation;
  }

  const bySource = (conversation: DumpConversation, sourceId: string) => {
    const found = conversation.messages.filter((message) => message.source_id === sourceId);
    assert.equal(found.length, 1, `one message ${sourceId}`);
    return found[0];
  };

  it('makes the account’s "Intercom bots" agent bot once, never using a system or another account’s bot', async () => {
    const { input } = harness;
    const system = chatwoot.state.seedSystemAgentBot({ name: 'Intercom bots' });
    const response = await fetch(`${chatwoot.url}/api/v1/accounts/2/agent_bots`, {
      method: 'POST',
      headers: { api_access_token: OTHER_ADMIN_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Intercom bots' }),
    });
    const theirs = (await response.json()) as { id: number };
    const setup = createSetupActivities(deps);
    await runAttempt(() => setup.saveMapping({ input }, { inboxId }));
    const first = (await mappingOf(input))?.agentBotId;
    await runAttempt(() => setup.saveMapping({ input }, { inboxId }));
    const second = (await mappingOf(input))?.agentBotId;
    assert.equal(typeof first, 'number');
    assert.equal(second, first, 'a second run finds the bot it made');
    assert.notEqual(first, system.id);
    assert.notEqual(first, theirs.id);
    const own = chatwoot
      .dump()
      .accounts.find((account) => account.id === 1)
      ?.agent_bots.filter((bot) => bot.account_id === 1);
    assert.deepEqual(
      own?.map((bot) => [bot.id, bot.name]),
      [[first, 'Intercom bots']],
    );
    assert.match(own?.[0]?.description ?? '', /Intercom bots \(Fin, workflows, custom bots\)/);
  });

  it('posts a bot’s part as the agent bot, an agent’s as the administrator, a close as an activity message', async () => {
    const { input } = harness;
    const agentBotId = (await mappingOf(input))?.agentBotId;
    assert.ok(agentBotId !== undefined);
    await importConversation(deps, input, 0);
    const conversation = imported(0);
    const ids = added(0);
    assert.deepEqual(bySource(conversation, ids.fin).sender, { type: 'agent_bot', id: agentBotId });
    assert.deepEqual(bySource(conversation, ids.fin).content_attributes.intercom_author, {
      type: 'bot',
      id: FIN.id,
      name: 'Fin',
    });
    assert.deepEqual(bySource(conversation, ids.admin).sender, { type: 'user', id: 1 });
    const close = bySource(conversation, ids.close);
    assert.equal(close.message_type, 'activity');
    assert.equal(close.private, false);
    assert.match(
      close.content ?? '',
      /^Conversation was marked resolved by Fin · \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );
    assert.equal(
      close.content_attributes.external_created_at,
      harness.dataset.conversations[0]?.conversation_parts?.conversation_parts.at(-1)?.created_at,
    );
  });

  it('posts bots’ parts as the administrator when the mapping was saved before the bot existed', async () => {
    const { input } = harness;
    const mapping = await mappingOf(input);
    assert.ok(mapping);
    const { agentBotId: _dropped, ...older } = mapping;
    await putJson(deps.store(input), blobLayout.mapping(input.account), older);
    try {
      await importConversation(newDeps({ chatwootToken: ADMIN_TOKEN }), input, 1);
    } finally {
      await putJson(deps.store(input), blobLayout.mapping(input.account), mapping);
    }
    const conversation = imported(1);
    assert.deepEqual(bySource(conversation, added(1).fin).sender, { type: 'user', id: 1 });
    assert.equal(bySource(conversation, added(1).close).message_type, 'activity');
  });

  it('posts nothing twice when a resumed import switches from private notes to activity messages', async () => {
    const asNotes: MigrationInput = {
      ...harness.input,
      import: { ...harness.input.import, activityParts: 'note' },
    };
    const first = await importConversation(newDeps({ chatwootToken: ADMIN_TOKEN }), asNotes, 2);
    assert.ok(first.messagesPosted > 0);
    const close = bySource(imported(2), added(2).close);
    assert.equal(close.message_type, 'outgoing');
    assert.equal(close.private, true);
    const again = await importConversation(newDeps({ chatwootToken: ADMIN_TOKEN }), harness.input, 2);
    assert.equal(again.messagesPosted, 0);
    assert.equal(again.messagesAlreadyThere, first.messagesPosted);
    const sourceIds = imported(2)
      .messages.map((message) => message.source_id)
      .filter((id): id is string => id !== null);
    assert.equal(new Set(sourceIds).size, sourceIds.length, 'no source id twice');
  });
});

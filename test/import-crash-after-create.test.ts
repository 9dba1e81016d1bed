/**
 * The worker dies between the create (which carries the first message) and the rest of the
 * conversation's messages. The retry, on a fresh worker, must find the conversation through the
 * marker written before the create, post no message twice and leave none out. And the normal path
 * never looks a conversation up: one create, then only the remaining messages.
 */
import assert from 'node:assert/strict';
import { ActivityDeps } from '../src/activities/deps.js';
import { createImportActivities } from '../src/activities/import/chatwootWrites.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import type { MigrationInput } from '../src/config.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { putJson } from '../src/storage/blobStore.js';
import { blobLayout } from '../src/storage/layout.js';
import {
  exportConversationChunks,
  INTERCOM_TOKEN,
  type IntercomHarness,
  parseChunk,
  runAttempt,
  SimulatedCrash,
  startIntercomHarness,
} from './helpers/intercomHarness.js';

const ADMIN = 'sandbox-admin-token';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, checked by the assertions.
type Json = any;

/** A worker whose Chatwoot clients die (the process is gone) at the first message after a create. */
class DyingDeps extends ActivityDeps {
  dead = false;
  override chatwoot(input: MigrationInput, agentEmail?: string): ChatwootClient {
    const client = super.chatwoot(input, agentEmail);
    return new Proxy(client, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'createMessage' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (!this.dead) {
            this.dead = true;
            throw new SimulatedCrash();
          }
          return value.apply(target, args);
        };
      },
    });
  }
}

describe('import: the worker dies right after the create', function () {
  this.timeout(120_000);
  let harness: IntercomHarness;
  let chatwoot: ChatwootSandbox;
  let input: MigrationInput;
  let chunkKey: string;
  let conversations: Conversation[];

  before(async () => {
    chatwoot = await startChatwootSandbox({});
    harness = await startIntercomHarness({
      workspace: {
        seed: 11,
        conversations: 6,
        partsPerConversation: 7,
        attachmentEvery: 0,
        inlineImageEvery: 0,
      },
      input: { account: 1, chatwoot: { baseUrl: chatwoot.url } },
    });
    input = harness.input;
    const env = { intercomToken: INTERCOM_TOKEN, chatwootToken: ADMIN, chatwootAgentTokens: {} };
    const deps = new ActivityDeps(env);
    [chunkKey] = (await exportConversationChunks(deps, input)) as [string];
    conversations = parseChunk(await deps.store(input).get(chunkKey));
    const admin = new ChatwootClient({ baseUrl: chatwoot.url, accountId: 1, token: ADMIN });
    const inbox = await admin.createApiInbox({ name: 'Intercom archive' });
    await admin.createCustomAttributeDefinition({
      key: 'intercom_conversation_id',
      displayName: 'Intercom conversation id',
      displayType: 'text',
      model: 'conversation',
      description: 'Set by the Intercom migration',
    });
    await putJson(deps.store(input), blobLayout.mapping(input.account), {
      inboxId: inbox.id,
      agents: {},
      teams: {},
    });
  });

  after(async () => {
    await chatwoot?.close();
    await harness?.close();
  });

  const env = { intercomToken: INTERCOM_TOKEN, chatwootToken: ADMIN, chatwootAgentTokens: {} };
  const stats = async (): Promise<Record<string, number>> =>
    ((await (await fetch(`${chatwoot.url}/__sandbox/stats`)).json()) as Json).byRoute;
  const routeDelta = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(after)
        .map(([route, count]) => [route, count - (before[route] ?? 0)] as const)
        .filter(([, count]) => count > 0),
    );
  const stored = async (intercomId: string): Promise<Json[]> => {
    const dump = (await (await fetch(`${chatwoot.url}/__sandbox/dump`)).json()) as Json;
    const account = dump.accounts.find((candidate: Json) => candidate.id === 1);
    return account.conversations.filter(
      (conversation: Json) => conversation.custom_attributes.intercom_conversation_id === intercomId,
    );
  };
  /** Message source ids as Chatwoot holds them (Chatwoot's own activity lines have none). */
  const sourceIds = (conversation: Json): string[] =>
    conversation.messages
      .map((message: Json) => message.source_id)
      .filter((id: unknown): id is string => typeof id === 'string');

  it('creates with the first message and never looks up in the normal path', async () => {
    const [reference] = conversations as [Conversation];
    const before = await stats();
    const result = await runAttempt(() =>
      createImportActivities(new ActivityDeps(env)).importConversation({
        input,
        conversationId: reference.id,
        chunkKey,
      }),
    );
    const sent = routeDelta(before, await stats());
    assert.equal(sent['POST /conversations/filter'], undefined, `no look-up: ${JSON.stringify(sent)}`);
    assert.equal(sent['POST /api/v1/accounts/:account_id/conversations/filter'], undefined);
    const creates = Object.entries(sent).filter(([route]) => /^POST \S*\/conversations$/.test(route));
    assert.deepEqual(
      creates.map(([, count]) => count),
      [1],
    );
    const posts = Object.entries(sent)
      .filter(([route]) => /^POST \S*\/conversations\/:\w+\/messages$/.test(route))
      .reduce((sum, [, count]) => sum + count, 0);
    assert.ok(result.messagesPosted >= 2, 'a conversation of several messages');
    assert.equal(posts, result.messagesPosted - 1, 'the first message went with the create');
    const [held] = await stored(reference.id);
    assert.equal(new Set(sourceIds(held)).size, sourceIds(held).length);
    assert.equal(sourceIds(held).length, result.messagesPosted);
  });

  for (const retry of [
    { how: 'the activity retry (attempt 2) on a fresh worker', attempt: 2 },
    { how: 'a re-run (attempt 1 again) on a fresh worker: the marker says look', attempt: 1 },
  ]) {
    it(`${retry.how}: no message twice, none missing, exactly one conversation`, async () => {
      const index = retry.attempt === 2 ? 1 : 2;
      const target = conversations[index] as Conversation;
      const dying = new DyingDeps(env);
      await assert.rejects(
        runAttempt(() =>
          createImportActivities(dying).importConversation({ input, conversationId: target.id, chunkKey }),
        ),
        SimulatedCrash,
      );
      const [afterCrash] = await stored(target.id);
      assert.equal(sourceIds(afterCrash).length, 1, 'the create carried the first message');

      const before = await stats();
      const result = await runAttempt(
        () =>
          createImportActivities(new ActivityDeps(env)).importConversation({
            input,
            conversationId: target.id,
            chunkKey,
          }),
        { attempt: retry.attempt },
      );
      const sent = routeDelta(before, await stats());
      const lookUps = Object.entries(sent)
        .filter(([route]) => route.endsWith('/conversations/filter'))
        .reduce((sum, [, count]) => sum + count, 0);
      assert.equal(lookUps, 1, `one look-up, because of the marker: ${JSON.stringify(sent)}`);
      const creates = Object.entries(sent).filter(([route]) => /^POST \S*\/conversations$/.test(route));
      assert.deepEqual(creates, [], 'not created again');

      const held = await stored(target.id);
      assert.equal(held.length, 1, 'exactly one Chatwoot conversation');
      const ids = sourceIds(held[0]);
      assert.equal(new Set(ids).size, ids.length, `a message twice: ${ids.join(', ')}`);
      assert.equal(result.messagesAlreadyThere, 1, 'the create’s message was found, not posted again');
      assert.equal(ids.length, result.messagesAlreadyThere + result.messagesPosted);
      // None missing, from the Intercom conversation itself rather than the planner: the opening
      // message (`source:<id>`) and every part with a body are among the messages.
      assert.ok(ids.includes(`source:${target.source.id}`), 'the opening message is missing');
      const withBody = (target.conversation_parts?.conversation_parts ?? []).filter(
        (part) => typeof part.body === 'string' && part.body.trim() !== '',
      );
      assert.ok(withBody.length > 0);
      for (const part of withBody) {
        assert.ok(
          ids.some((sourceId) => sourceId === part.id || sourceId.startsWith(`${part.id}:`)),
          `part ${part.id} is missing`,
        );
      }
      assert.equal(held[0].status !== 'pending', true, 'the end of the import ran: its final status is set');
    });
  }
});

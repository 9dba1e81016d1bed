/**
 * Quarantine at export: a conversation Intercom serves in a shape the schema rejects, or larger than
 * the client's response cap, is set aside (payload blob + manifest entry) instead of failing the
 * export, exactly once across resumed attempts; list pages still fail. The activities run against the
 * Intercom sandbox like test/export.test.ts; the last suite runs a whole migration to show that the
 * rest migrates and the verification report names the rejected ones.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/activity';
import {
  createExportActivities,
  MAX_REJECTED_CONVERSATIONS,
} from '../src/activities/export/intercomReads.js';
import { classifyFailure } from '../src/activities/failures.js';
import type { RejectedConversation } from '../src/activities/manifests.js';
import {
  createVerificationActivities,
  type ReconciliationReport,
} from '../src/activities/verification/chatwootWrites.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { ResponseShapeError, ResponseTooLargeError } from '../src/clients/httpCore.js';
import { DEFAULT_MAX_RESPONSE_BYTES, IntercomClient } from '../src/clients/intercom/client.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import type { MigrationInputRaw } from '../src/config.js';
import type { IntercomDataset } from '../src/sandbox/intercom/index.js';
import type { BlobStore } from '../src/storage/blobStore.js';
import { createBlobStore } from '../src/storage/index.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import {
  assertExactlyOnce,
  crashAtHeartbeat,
  intercomHarnessPerTest,
  newDeps,
  parseInput,
  readVerifiedManifest,
  routeCount,
  runAttempt,
} from './helpers/intercomHarness.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const SHAPE_REASON = /^unexpected shape: conversation_parts\.conversation_parts\.\d+\.created_at: /;
const TOO_LARGE_REASON = new RegExp(
  `^response too large \\((\\d+) bytes, cap ${DEFAULT_MAX_RESPONSE_BYTES}\\)$`,
);

/** GET /conversations order: most recently updated first, then the larger id. */
function listOrder(dataset: IntercomDataset): Conversation[] {
  return [...dataset.conversations].sort(
    (a, b) => b.updated_at - a.updated_at || Number(b.id) - Number(a.id),
  );
}

const partsOf = (conversation: Conversation) => conversation.conversation_parts?.conversation_parts ?? [];

/** Gives one part a timestamp in words, as a broken integration might send it; answers the part's index. */
function breakPartTimestamp(conversation: Conversation): number {
  const index = partsOf(conversation).length - 1;
  const part = partsOf(conversation)[index];
  assert.ok(part, `conversation ${conversation.id} has parts`);
  (part as unknown as Record<string, unknown>).created_at = 'yesterday';
  return index;
}

/** Makes GET /conversations/{id} of this conversation larger than the default cap (its list item stays small). */
function inflate(conversation: Conversation): void {
  const part = partsOf(conversation).at(-1);
  assert.ok(part, `conversation ${conversation.id} has parts`);
  part.body = `<p>${'x'.repeat(DEFAULT_MAX_RESPONSE_BYTES + 1024)}</p>`;
}

const withParts = (conversations: Conversation[]) => conversations.filter((c) => partsOf(c).length > 0);
const rejectedKey = (id: string) => `acct-7/rejected/conversations/${id}.json`;

async function storedJson<T>(store: BlobStore, key: string): Promise<T | undefined> {
  const body = await store.get(key);
  return body === undefined ? undefined : (JSON.parse(body.toString('utf8')) as T);
}

async function keysUnder(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys;
}

interface RejectedBlob {
  conversationId: string;
  endpoint: string;
  reason: string;
  issues: { path: (string | number)[]; message: string }[];
  payload: Conversation;
}

describe('quarantine of unusable conversations at export', function () {
  this.timeout(60_000);
  const startHarness = intercomHarnessPerTest();

  it('sets a malformed and an oversized conversation aside and exports every other one exactly once', async () => {
    let malformed: Conversation | undefined;
    let oversized: Conversation | undefined;
    let brokenPart = -1;
    const harness = await startHarness({
      workspace: { seed: 31, conversations: 14, longConversations: 0 },
      input: { export: { pageSize: 5 } },
      prepare: (dataset) => {
        [malformed, oversized] = withParts(dataset.conversations);
        assert.ok(malformed && oversized);
        brokenPart = breakPartTimestamp(malformed);
        inflate(oversized);
      },
    });
    assert.ok(malformed && oversized);
    const { sandbox, dataset, input } = harness;
    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportConversations({ input }));
    const store = deps.store(input);

    assert.equal(result.count, 12);
    assert.equal(result.rejected, 2);
    const { manifest, records } = await readVerifiedManifest<Conversation>(store, result.manifestKey);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id).filter((id) => id !== malformed?.id && id !== oversized?.id),
      'conversations',
    );
    assert.equal(manifest.rejected?.length, 2);
    const byId = new Map((manifest.rejected ?? []).map((r) => [r.conversationId, r]));

    const shapeEntry = byId.get(malformed.id);
    assert.equal(shapeEntry?.blobKey, rejectedKey(malformed.id));
    assert.match(shapeEntry?.reason ?? '', SHAPE_REASON);
    const blob = await storedJson<RejectedBlob>(store, rejectedKey(malformed.id));
    assert.ok(blob, 'the payload blob is stored');
    assert.equal(blob.conversationId, malformed.id);
    assert.equal(blob.endpoint, `GET /conversations/${malformed.id}`);
    assert.equal(blob.reason, shapeEntry?.reason);
    assert.deepEqual(
      blob.issues.map((issue) => issue.path),
      [['conversation_parts', 'conversation_parts', brokenPart, 'created_at']],
    );
    assert.equal(blob.payload.id, malformed.id, 'the raw payload is kept');
    assert.equal(partsOf(blob.payload)[brokenPart]?.created_at, 'yesterday');

    const sizeEntry = byId.get(oversized.id);
    const size = Number(TOO_LARGE_REASON.exec(sizeEntry?.reason ?? '')?.[1]);
    assert.ok(size > DEFAULT_MAX_RESPONSE_BYTES, `reason ${sizeEntry?.reason}`);
    assert.equal(sizeEntry?.blobKey, undefined, 'no payload was read, so none is kept');
    assert.deepEqual(await keysUnder(store, 'acct-7/rejected/'), [rejectedKey(malformed.id)]);

    // Neither rejection is retried: the same data would come back.
    assert.equal(routeCount(sandbox, 'GET /conversations/{id}'), dataset.conversations.length);
  });

  it('records a rejection once when a resumed export reads its page again', async () => {
    let onSecondPage: Conversation | undefined;
    let onThirdPage: Conversation | undefined;
    const harness = await startHarness({
      workspace: { seed: 32, conversations: 20, longConversations: 0 },
      input: { export: { pageSize: 5 } },
      prepare: (dataset) => {
        const order = listOrder(dataset);
        [onSecondPage] = withParts(order.slice(5, 10));
        [onThirdPage] = withParts(order.slice(10, 15));
        assert.ok(onSecondPage && onThirdPage);
        breakPartTimestamp(onSecondPage);
        breakPartTimestamp(onThirdPage);
      },
    });
    assert.ok(onSecondPage && onThirdPage);
    const { dataset, input } = harness;

    // The crash comes with the third page's heartbeat: the second page's rejection was checkpointed,
    // the third's was not, so the retry reads the third page again and meets it a second time.
    const delivered = (await crashAtHeartbeat(
      () => createExportActivities(newDeps()).exportConversations({ input }),
      3,
    )) as { rejected?: RejectedConversation[] } | undefined;
    assert.deepEqual(
      delivered?.rejected?.map((r) => r.conversationId),
      [onSecondPage.id],
      'the checkpoint carries the rejections of the pages it covers',
    );

    const deps = newDeps();
    const result = await runAttempt(() => createExportActivities(deps).exportConversations({ input }), {
      attempt: 2,
      heartbeatDetails: delivered,
    });
    const { manifest, records } = await readVerifiedManifest<Conversation>(
      deps.store(input),
      result.manifestKey,
    );
    assert.equal(manifest.complete, true);
    assert.deepEqual(
      manifest.rejected?.map((r) => r.conversationId).sort(),
      [onSecondPage.id, onThirdPage.id].sort(),
    );
    assert.equal(result.rejected, 2);
    for (const entry of manifest.rejected ?? []) {
      assert.match(entry.reason, SHAPE_REASON);
      assert.ok(
        entry.blobKey && (await deps.store(input).get(entry.blobKey)),
        `blob of ${entry.conversationId}`,
      );
    }
    const rejectedIds = new Set([onSecondPage.id, onThirdPage.id]);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id).filter((id) => !rejectedIds.has(id)),
      'conversations',
    );
  });

  it('still fails the export, without retrying, when a list page has an unexpected shape', async () => {
    const harness = await startHarness({
      workspace: { seed: 33, conversations: 8, longConversations: 0 },
      input: { export: { pageSize: 5 } },
      prepare: (dataset) => {
        const first = listOrder(dataset)[0];
        assert.ok(first);
        (first as unknown as Record<string, unknown>).created_at = 'yesterday';
      },
    });
    const { sandbox, input } = harness;
    const deps = newDeps();
    const error = await runAttempt(() => createExportActivities(deps).exportConversations({ input })).then(
      () => assert.fail('the export succeeded'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ResponseShapeError, String(error));
    assert.equal(error.retryable, false);
    assert.match(error.message, /GET \/conversations .*conversations\.0\.created_at/);
    const failure = classifyFailure(error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, true);
    assert.equal(routeCount(sandbox, 'GET /conversations'), 1, 'the page is not asked for again');
    assert.equal(routeCount(sandbox, 'GET /conversations/{id}'), 0);
    assert.deepEqual(await keysUnder(deps.store(input), 'acct-7/rejected/'), []);
  });

  it('stops the export when so many conversations are rejected that the schema must be at fault', async () => {
    const harness = await startHarness({
      workspace: { seed: 36, conversations: MAX_REJECTED_CONVERSATIONS + 60, partsPerConversation: 4 },
      input: { export: { pageSize: 150 } },
      prepare: (dataset) => {
        const breakable = withParts(dataset.conversations);
        assert.ok(breakable.length > MAX_REJECTED_CONVERSATIONS);
        for (const conversation of breakable.slice(0, MAX_REJECTED_CONVERSATIONS + 1))
          breakPartTimestamp(conversation);
      },
    });
    const { input } = harness;
    const error = await runAttempt(() =>
      createExportActivities(newDeps()).exportConversations({ input }),
    ).then(
      () => assert.fail('the export succeeded'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof Error);
    assert.match(error.message, /more than 200 conversations that cannot be exported .*API or schema change/);
    const failure = classifyFailure(error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, true);
  });

  it('sets a malformed conversation aside in the delta export too', async () => {
    let malformed: Conversation | undefined;
    const harness = await startHarness({
      workspace: { seed: 34, conversations: 8, longConversations: 0 },
      input: { export: { pageSize: 3 } },
      prepare: (dataset) => {
        [malformed] = withParts(dataset.conversations);
        assert.ok(malformed);
        breakPartTimestamp(malformed);
      },
    });
    assert.ok(malformed);
    const { dataset, input } = harness;
    const deps = newDeps();
    const until = Math.max(...dataset.conversations.map((c) => c.updated_at));
    const result = await runAttempt(() =>
      createExportActivities(deps).exportDelta({ input, since: 0, until, runKey: 'delta-q' }),
    );
    assert.equal(result.rejected, 1);
    assert.equal(result.count, dataset.conversations.length - 1);
    const { manifest, records } = await readVerifiedManifest<Conversation>(
      deps.store(input),
      result.manifestKey,
    );
    assert.deepEqual(
      manifest.rejected?.map((r) => [r.conversationId, r.blobKey]),
      [[malformed.id, rejectedKey(malformed.id)]],
    );
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id).filter((id) => id !== malformed?.id),
      'delta conversations',
    );
  });
});

describe('the Intercom client response size cap', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const listening = createServer(handler);
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }

  it('stops reading an answer of undeclared length at the cap, without retrying', async () => {
    const cap = 256 * 1024;
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let requests = 0;
    let written = 0;
    const baseUrl = await serve((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"conversation","id":"1","title":"');
      // Endless unless the client hangs up: only back-pressure and the cap bound what is sent.
      const pump = () => {
        while (!res.destroyed && written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      pump();
    });
    const client = new IntercomClient({ baseUrl, token: 't', maxResponseBytes: cap, baseDelayMs: 1 });
    const error = await client.getConversation('1').then(
      () => assert.fail('the answer was accepted'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ResponseTooLargeError, String(error));
    assert.equal(error.retryable, false);
    assert.equal(error.sizeKnown, false);
    assert.ok(error.bytes > cap && error.bytes < cap + 1024 * 1024, `stopped after ${error.bytes} bytes`);
    assert.match(
      error.message,
      /GET \/conversations\/1 with more than \d+ bytes, over the response size cap of 262144 bytes/,
    );
    assert.equal(requests, 1);
    assert.ok(written < 64 * 1024 * 1024, `the server could send only ${written} bytes before the hang-up`);
  });

  it('counts decompressed bytes: a small gzip answer that inflates past the cap fails', async () => {
    const body = gzipSync(
      JSON.stringify({ type: 'conversation', id: '1', title: 'a'.repeat(4 * 1024 * 1024) }),
    );
    assert.ok(body.length < 64 * 1024);
    const baseUrl = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': body.length,
      });
      res.end(body);
    });
    const client = new IntercomClient({ baseUrl, token: 't', maxResponseBytes: 1024 * 1024 });
    await assert.rejects(client.getConversation('1'), (error: unknown) => {
      assert.ok(error instanceof ResponseTooLargeError, String(error));
      assert.ok(error.bytes > 1024 * 1024);
      return true;
    });
  });
});

describe('a migration with rejected conversations', function () {
  this.timeout(300_000);
  let rig: MigrationRig | undefined;

  after(() => rig?.close());

  it('migrates everything else, and verification counts and lists the rejected ones', async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 35,
        conversations: 24,
        partsPerConversation: 4,
        attachmentEvery: 6,
        longConversations: 0,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
    const { scenario, blobStoreUrl } = rig;
    const dataset = scenario.intercom.dataset;
    const [malformed, oversized] = withParts(dataset.conversations);
    assert.ok(malformed && oversized);
    breakPartTimestamp(malformed);
    inflate(oversized);

    const raw: MigrationInputRaw = rig.input();
    const result = (await (await rig.start(raw)).result()) as MigrationResult;

    const expectRejected = new Set([malformed.id, oversized.id]);
    const reconcile = () => scenario.reconcile({ rejectedConversationIds: [...expectRejected] });
    const sandboxView = reconcile();
    assert.deepEqual(sandboxView.problems, []);
    assert.equal(sandboxView.missing, 0);
    assert.equal(sandboxView.duplicates, 0);
    assert.equal(sandboxView.rejected, 2);
    assert.equal(sandboxView.conversations.expected, dataset.conversations.length);
    assert.equal(sandboxView.conversations.found, dataset.conversations.length - 2);

    const summary = result.reconciliation;
    assert.equal(summary.rejected, 2);
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.conversations.expected, dataset.conversations.length, 'rejected ones stay expected');
    assert.equal(summary.conversations.found, sandboxView.conversations.found);
    assert.equal(summary.messages.found, sandboxView.messages.found);

    const store = createBlobStore(blobStoreUrl);
    const report = await storedJson<ReconciliationReport>(store, summary.reportKey);
    assert.deepEqual(new Set(report?.rejectedConversations.map((r) => r.conversationId)), expectRejected);
    const markdown = (await store.get(summary.reportKey.replace(/\.json$/, '.md')))?.toString('utf8') ?? '';
    assert.match(markdown, /rejected at export: \*\*2\*\*/);
    assert.match(markdown, /## Conversations rejected at export \(2\)/);
    assert.match(markdown, /inspect its blob/);
    const lineOf = (id: string) => markdown.split('\n').find((line) => line.startsWith(`- ${id}`)) ?? '';
    assert.match(
      lineOf(malformed.id),
      /unexpected shape: conversation_parts\.conversation_parts\.\d+\.created_at/,
    );
    assert.ok(lineOf(malformed.id).includes(`\`acct-1/rejected/conversations/${malformed.id}.json\``));
    assert.match(lineOf(oversized.id), /response too large \(\d+ bytes, cap 33554432\); no payload kept/);

    // The operator imports the malformed one by hand, with its Intercom id: verification now finds it.
    const input = parseInput(raw);
    const chatwoot = new ChatwootClient({
      baseUrl: scenario.chatwoot.url,
      accountId: scenario.account,
      token: scenario.chatwootToken,
    });
    const inbox = (await chatwoot.listInboxes()).find((i) => i.name === input.chatwoot.inboxName);
    assert.ok(inbox);
    const contact = await chatwoot.createContact({ name: 'Imported by hand', identifier: 'by-hand-1' });
    await chatwoot.createConversation({
      inbox_id: inbox.id,
      contact_id: contact.id,
      custom_attributes: { intercom_conversation_id: malformed.id },
    });
    const again = await runAttempt(() =>
      createVerificationActivities(newDeps({ chatwootToken: scenario.chatwootToken })).reconcileMigration({
        input,
      }),
    );
    assert.equal(again.rejected, 1);
    assert.equal(again.conversations.found, summary.conversations.found + 1);
    const reportAgain = await storedJson<ReconciliationReport>(store, again.reportKey);
    assert.deepEqual(
      reportAgain?.rejectedConversations.map((r) => [r.conversationId, r.foundInChatwoot]).sort(),
      [
        [malformed.id, true],
        [oversized.id, false],
      ].sort(),
    );
    const handImported = reconcile();
    assert.equal(handImported.rejected, 1);
    assert.equal(handImported.conversations.found, sandboxView.conversations.found + 1);
  });
});

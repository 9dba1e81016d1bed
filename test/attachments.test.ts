/**
 * Attachment rehosting (src/activities/attachments.ts) against the Intercom sandbox's signed links,
 * and the safety rules of src/attachments/safeFetch.ts against a local HTTP server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type AttachmentFailure,
  type ConversationAttachmentIndex,
  createAttachmentActivities,
  plannedAttachments,
  readAttachmentIndex,
  type StoredAttachment,
} from '../src/activities/attachments/rehost.js';
import { addRehostResult, emptyRehostResult, type RehostResult } from '../src/activities/contract.js';
import { ActivityDeps } from '../src/activities/deps.js';
import {
  AttachmentExpired,
  AttachmentRefused,
  AttachmentUnavailable,
  checkUrl,
  guardedLookup,
  hostAllowed,
  isInternalAddress,
  openAttachment,
  type SafeFetchPolicy,
  sanitizeFileName,
} from '../src/clients/attachments/safeFetch.js';
import type { MigrationInput } from '../src/config.js';
import { attachmentPlaceholder, type IntercomDataset } from '../src/sandbox/intercom/index.js';
import type { BlobInfo, BlobStore, PutOptions } from '../src/storage/blobStore.js';
import { LocalBlobStore } from '../src/storage/localStore.js';
import {
  exportConversationChunks,
  INTERCOM_TOKEN,
  intercomHarnessPerTest,
  newDeps,
  parseChunk,
  routeCount,
  runAttempt,
  SimulatedCrash,
  sandboxPath,
  sha256,
} from './helpers/intercomHarness.js';

const DISALLOWED_LINK = 'https://files.evil.example/secret.pdf';
const MAX_BYTES = 150_000;

/** A local store that remembers how each body reached put(): a stream, or bytes held whole. */
class RecordingStore extends LocalBlobStore {
  readonly puts = new Map<string, 'stream' | 'buffered'>();

  override put(key: string, body: string | Uint8Array | Readable, options?: PutOptions): Promise<BlobInfo> {
    this.puts.set(key, body instanceof Readable ? 'stream' : 'buffered');
    return super.put(key, body, options);
  }
}

class RecordingDeps extends ActivityDeps {
  constructor(readonly recording: RecordingStore) {
    super({ intercomToken: INTERCOM_TOKEN, chatwootAgentTokens: {} });
  }

  override store(): BlobStore {
    return this.recording;
  }
}

/** The generated workspace with one link outside the allow-list and one file over MAX_BYTES. */
function withRefusals(dataset: IntercomDataset): void {
  const uploads = dataset.conversations.flatMap((conversation) => [
    ...conversation.source.attachments,
    ...(conversation.conversation_parts?.conversation_parts ?? []).flatMap((part) => part.attachments ?? []),
  ]);
  const [elsewhere, big] = uploads;
  assert.ok(elsewhere && big, 'the workspace has attachments');
  elsewhere.url = DISALLOWED_LINK;
  const bigPath = big.url.slice(attachmentPlaceholder('').length);
  const descriptor = dataset.attachments[bigPath];
  assert.ok(descriptor);
  descriptor.size = MAX_BYTES + 30_000;
  big.filesize = descriptor.size;
}

const WORKSPACE = {
  seed: 21,
  conversations: 8,
  partsPerConversation: 4,
  longConversations: 0,
  attachmentEvery: 2,
  inlineImageEvery: 3,
};

const rehost = (deps: ActivityDeps, input: MigrationInput, chunkKey: string, attempt = {}) =>
  runAttempt(() => createAttachmentActivities(deps).rehostAttachments({ input, chunkKey }), attempt);

function sum(results: RehostResult[]): RehostResult {
  const total = emptyRehostResult();
  for (const result of results) addRehostResult(total, result);
  return total;
}

describe('attachment rehosting against the Intercom sandbox', function () {
  this.timeout(60_000);
  const startHarness = intercomHarnessPerTest();

  it('stores every attachment and inline image streamed, with the sandbox bytes, and records what it cannot have', async () => {
    const harness = await startHarness({
      workspace: WORKSPACE,
      prepare: withRefusals,
      input: { attachments: { allowLoopbackHttp: true, maxBytes: MAX_BYTES } },
    });
    const { sandbox, dataset, input } = harness;
    const store = new RecordingStore(harness.workDir);
    const deps = new RecordingDeps(store);
    const chunkKeys = await exportConversationChunks(deps, input);
    const totals = sum(await Promise.all(chunkKeys.map((key) => rehost(deps, input, key))));

    let inline = 0;
    let checked = 0;
    let tooLarge = 0;
    let elsewhere = 0;
    for (const key of chunkKeys) {
      for (const conversation of parseChunk(await store.get(key))) {
        const planned = plannedAttachments(conversation, input);
        const index = await readAttachmentIndex(store, input.account, conversation.id);
        if (planned.length === 0) {
          assert.equal(index, undefined);
          continue;
        }
        assert.ok(index, `attachment index of ${conversation.id}`);
        for (const { message, attachment } of planned) {
          const stored: StoredAttachment | undefined = index.stored.find(
            (s) => s.messageSourceId === message.sourceId && s.index === attachment.index,
          );
          const failed: AttachmentFailure | undefined = index.failed.find(
            (f) => f.messageSourceId === message.sourceId && f.index === attachment.index,
          );
          const path = sandboxPath(attachment.url, sandbox.url);
          if (path === undefined) {
            assert.equal(attachment.url, DISALLOWED_LINK);
            assert.equal(stored, undefined);
            assert.match(failed?.reason ?? '', /not in attachments\.allowedHosts/);
            elsewhere++;
            continue;
          }
          const descriptor = dataset.attachments[path];
          assert.ok(descriptor, `sandbox knows ${path}`);
          if (descriptor.size > MAX_BYTES) {
            assert.equal(stored, undefined);
            assert.match(failed?.reason ?? '', /over the 150000-byte limit/);
            assert.equal(failed?.kind, 'refused');
            tooLarge++;
            continue;
          }
          const bytes = await dataset.readAttachment(path);
          assert.ok(bytes && stored, `stored ${path}`);
          assert.equal(failed, undefined);
          assert.equal(stored.size, bytes.length);
          assert.equal(stored.sha256, sha256(bytes));
          assert.equal(stored.contentType, descriptor.contentType);
          assert.equal(stored.inline, attachment.inline);
          const copy = await store.get(stored.key);
          assert.ok(copy);
          assert.equal(sha256(copy), stored.sha256, `bytes of ${stored.key}`);
          assert.equal((await store.stat(stored.key))?.contentType, descriptor.contentType);
          assert.equal(store.puts.get(stored.key), 'stream', `${stored.key} was streamed into the store`);
          assert.doesNotMatch(stored.fileName, /[/\\\0]|^\./);
          if (attachment.inline) inline++;
          checked++;
        }
      }
    }
    assert.equal(elsewhere, 1);
    assert.ok(tooLarge >= 1);
    assert.ok(inline > 0, 'inline images were rehosted');
    assert.equal(totals.downloaded, checked);
    assert.equal(totals.failed, elsewhere + tooLarge);
    assert.equal(totals.attachments, checked + elsewhere + tooLarge);
    assert.equal(totals.refreshed, 0);
    assert.equal(sandbox.stats.withoutVersionHeader, 0);

    // Running the same chunks again (an activity retry) downloads nothing.
    const linkRequests = routeCount(sandbox, 'GET /attachments/{path}');
    const again = sum(await Promise.all(chunkKeys.map((key) => rehost(deps, input, key))));
    assert.equal(again.downloaded, 0);
    assert.equal(again.alreadyStored, checked);
    assert.equal(again.failed, elsewhere + tooLarge);
    assert.equal(routeCount(sandbox, 'GET /attachments/{path}'), linkRequests, 'no link requested again');
  });

  it('re-fetches a conversation once for fresh links when its links have expired', async () => {
    let clockMs = Date.now();
    const harness = await startHarness({
      workspace: WORKSPACE,
      sandbox: { now: () => clockMs },
    });
    const { sandbox, input } = harness;
    const deps = newDeps();
    const chunkKeys = await exportConversationChunks(deps, input);
    // Half an hour later every signed link in the export has expired.
    clockMs += 31 * 60 * 1000;
    const fetchesBefore = routeCount(sandbox, 'GET /conversations/{id}');
    const totals = sum(await Promise.all(chunkKeys.map((key) => rehost(deps, input, key))));
    const store = deps.store(input);
    let withAttachments = 0;
    for (const key of chunkKeys) {
      for (const conversation of parseChunk(await store.get(key))) {
        if (plannedAttachments(conversation, input).length > 0) withAttachments++;
      }
    }
    assert.ok(withAttachments > 1);
    assert.equal(routeCount(sandbox, 'GET /conversations/{id}') - fetchesBefore, withAttachments);
    assert.equal(totals.refreshed, totals.attachments);
    assert.equal(totals.downloaded, totals.attachments);
    assert.equal(totals.failed, 0);
  });

  it('after a crash, downloads only what the earlier attempt had not stored', async () => {
    const harness = await startHarness({ workspace: WORKSPACE });
    const { sandbox, input } = harness;
    const deps = newDeps();
    const [chunkKey] = await exportConversationChunks(deps, input);
    assert.ok(chunkKey);
    // Crash as soon as a conversation with attachments is done.
    await assert.rejects(
      rehost(deps, input, chunkKey, {
        onHeartbeat: (details: unknown) => {
          const atBoundary = typeof details === 'object' && details !== null && !('attachment' in details);
          if (atBoundary && sandbox.stats.attachmentDownloads > 0) throw new SimulatedCrash();
        },
      }),
      SimulatedCrash,
    );
    const downloadsBefore = sandbox.stats.attachmentDownloads;
    const result = await rehost(deps, input, chunkKey, { attempt: 2 });
    assert.ok(result.alreadyStored > 0, 'the first conversation was kept');
    assert.equal(result.alreadyStored + result.downloaded, result.attachments);
    assert.equal(sandbox.stats.attachmentDownloads - downloadsBefore, result.downloaded);
  });

  it('tries a failing host again, and records it only on the last attempt Temporal will make', async () => {
    const harness = await startHarness({
      workspace: {
        seed: 22,
        conversations: 1,
        longConversations: 0,
        attachmentEvery: 0,
        inlineImageEvery: 0,
      },
      prepare: (dataset) => {
        const path = 'i/o/1/flaky/report.pdf';
        dataset.attachments[path] = { name: 'report.pdf', contentType: 'application/pdf', size: 2048 };
        dataset.conversations[0]?.source.attachments.push({
          type: 'upload',
          name: 'report.pdf',
          url: attachmentPlaceholder(path),
          content_type: 'application/pdf',
          filesize: 2048,
        });
      },
    });
    const { sandbox, input } = harness;
    const deps = newDeps();
    const [chunkKey] = await exportConversationChunks(deps, input);
    assert.ok(chunkKey);
    sandbox.faults.configure({ rate5xx: 1 });
    await assert.rejects(
      rehost(deps, input, chunkKey, { attempt: 1, maximumAttempts: 3 }),
      AttachmentUnavailable,
    );
    assert.equal(routeCount(sandbox, 'GET /attachments/{path}'), 3, 'three tries within the attempt');
    const last = await rehost(deps, input, chunkKey, { attempt: 3, maximumAttempts: 3 });
    assert.equal(last.failed, 1);
    const [conversation] = parseChunk(await deps.store(input).get(chunkKey));
    const index = (await readAttachmentIndex(deps.store(input), input.account, conversation?.id ?? '')) as
      | ConversationAttachmentIndex
      | undefined;
    assert.equal(index?.failed[0]?.kind, 'unavailable');
    assert.match(index?.failed[0]?.reason ?? '', /HTTP 5\d\d/);

    // Once the host is back, a later run fetches it: only final refusals are skipped.
    sandbox.faults.configure({ rate5xx: 0 });
    const recovered = await rehost(deps, input, chunkKey);
    assert.equal(recovered.downloaded, 1);
    assert.equal(recovered.failed, 0);
  });
});

describe('safeFetch', () => {
  const policy: SafeFetchPolicy = {
    allowedHosts: ['downloads.intercomcdn.com', '*.intercom-attachments.com'],
    maxBytes: 1000,
    allowLoopbackHttp: false,
  };
  const refused = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (error: unknown) => error instanceof AttachmentRefused && pattern.test(error.message));

  it('fetches https only (http only to loopback, and only when the sandbox allows it)', () => {
    assert.equal(
      checkUrl('https://downloads.intercomcdn.com/i/o/1/a.png', policy).url.hostname,
      'downloads.intercomcdn.com',
    );
    refused(() => checkUrl('http://downloads.intercomcdn.com/i/o/1/a.png', policy), /only https/);
    refused(() => checkUrl('ftp://downloads.intercomcdn.com/a.png', policy), /only https/);
    refused(() => checkUrl('file:///etc/passwd', policy), /only https/);
    refused(() => checkUrl('javascript:alert(1)', policy), /only https/);
    refused(() => checkUrl('not a url', policy), /not a URL/);
    refused(() => checkUrl('http://127.0.0.1:8080/a.png', policy), /only https/);
    const sandbox = { ...policy, allowLoopbackHttp: true };
    assert.equal(checkUrl('http://127.0.0.1:8080/a.png', sandbox).loopbackHttp, true);
    assert.equal(checkUrl('http://[::1]:8080/a.png', sandbox).loopbackHttp, true);
    refused(() => checkUrl('http://10.0.0.1/a.png', sandbox), /only https/);
    refused(() => checkUrl('http://downloads.intercomcdn.com/a.png', sandbox), /only https/);
  });

  it('matches the allow-list exactly or by wildcard sub-domain', () => {
    const allowed = ['downloads.intercomcdn.com', '*.intercom-attachments.com'];
    assert.ok(hostAllowed('downloads.intercomcdn.com', allowed));
    assert.ok(hostAllowed('DOWNLOADS.IntercomCDN.com.', allowed));
    assert.ok(hostAllowed('a.intercom-attachments.com', allowed));
    assert.ok(hostAllowed('x.y.intercom-attachments.com', allowed));
    assert.ok(!hostAllowed('intercom-attachments.com', allowed));
    assert.ok(!hostAllowed('evilintercom-attachments.com', allowed));
    assert.ok(!hostAllowed('intercom-attachments.com.evil.net', allowed));
    assert.ok(!hostAllowed('uploads.intercomcdn.com', allowed));
    assert.ok(!hostAllowed('downloads.intercomcdn.com.evil.net', allowed));
    refused(() => checkUrl('https://evil.example/a.png', policy), /not in attachments\.allowedHosts/);
  });

  it('refuses internal addresses in every spelling', () => {
    for (const address of [
      '10.0.0.1',
      '10.255.255.255',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.20',
      '169.254.169.254',
      '127.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
      '224.0.0.251',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'febf::1',
      '::ffff:10.0.0.1',
      '::ffff:a00:1',
      '::ffff:127.0.0.1',
      '64:ff9b::10.0.0.1',
      '2002:a00:1::1',
    ]) {
      assert.ok(isInternalAddress(address), `${address} is internal`);
    }
    for (const address of [
      '8.8.8.8',
      '172.32.0.1',
      '172.15.255.255',
      '192.169.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ]) {
      assert.ok(!isInternalAddress(address), `${address} is public`);
    }
    const everything = {
      ...policy,
      allowedHosts: ['10.0.0.1', '169.254.169.254', '::ffff:a00:1', 'fe80::1'],
    };
    refused(() => checkUrl('https://10.0.0.1/a.png', everything), /internal address/);
    refused(() => checkUrl('https://169.254.169.254/latest/meta-data', everything), /internal address/);
    refused(() => checkUrl('https://[::ffff:10.0.0.1]/a.png', everything), /internal address/);
    refused(() => checkUrl('https://[fe80::1]/a.png', everything), /internal address/);
    // Decimal and hexadecimal spellings are normalised by the URL parser before the check.
    refused(
      () => checkUrl('https://167772161/a.png', { ...everything, allowedHosts: ['10.0.0.1'] }),
      /internal/,
    );
  });

  it('checks the addresses a host name resolves to when connecting', async () => {
    const resolve = (allowLoopback: boolean) =>
      new Promise<unknown>((done, fail) =>
        guardedLookup(allowLoopback)('localhost', {}, (error, address) =>
          error ? fail(error) : done(address),
        ),
      );
    await assert.rejects(
      resolve(false),
      (error: unknown) => error instanceof AttachmentRefused && /internal/.test(error.message),
    );
    assert.ok(isInternalAddress(String(await resolve(true))));
    await assert.rejects(
      openAttachment('https://localhost:1/a.png', { ...policy, allowedHosts: ['localhost'] }),
      (error: unknown) =>
        error instanceof AttachmentRefused && /resolves to the internal address/.test(error.message),
    );
  });

  describe('against a local server', () => {
    let server: Server;
    let base = '';
    const bytes = Buffer.alloc(600, 7);
    const sandboxPolicy: SafeFetchPolicy = { ...policy, allowLoopbackHttp: true };

    before(async () => {
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', base);
        const redirect = (location: string) => {
          res.writeHead(302, { location });
          res.end();
        };
        switch (url.pathname) {
          case '/file':
            res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
            res.end(bytes);
            return;
          case '/to-file':
            return redirect('/file');
          case '/to-disallowed':
            return redirect('https://files.evil.example/x.png');
          case '/to-metadata':
            return redirect('https://169.254.169.254/latest/meta-data/');
          case '/to-internal-http':
            return redirect('http://10.0.0.1/x.png');
          case '/to-localhost-https':
            return redirect(`https://localhost:${(server.address() as AddressInfo).port}/file`);
          case '/loop':
            return redirect('/loop');
          case '/no-location':
            res.writeHead(302);
            res.end();
            return;
          case '/big':
            res.writeHead(200, { 'content-length': 5000 });
            res.end(Buffer.alloc(5000));
            return;
          case '/chunked-big':
            // No Content-Length: the size is only known while streaming.
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            for (let i = 0; i < 10; i++) res.write(Buffer.alloc(300, i));
            res.end();
            return;
          case '/cut':
            res.writeHead(200, { 'content-length': 1000 });
            res.write(Buffer.alloc(10));
            setTimeout(() => res.destroy(), 20);
            return;
          case '/expired':
            res.writeHead(403, { 'content-type': 'application/xml' });
            res.end('<Error><Code>AccessDenied</Code></Error>');
            return;
          case '/unavailable':
            res.writeHead(503);
            res.end();
            return;
          default:
            res.writeHead(400);
            res.end();
        }
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    });

    const read = async (stream: Readable) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };

    it('streams an allowed file and follows a relative redirect', async () => {
      const direct = await openAttachment(`${base}/file`, sandboxPolicy);
      assert.equal(direct.contentType, 'image/png');
      assert.equal(direct.contentLength, bytes.length);
      assert.deepEqual(await read(direct.stream), bytes);
      const redirected = await openAttachment(`${base}/to-file`, sandboxPolicy);
      assert.equal(redirected.finalUrl, `${base}/file`);
      assert.deepEqual(await read(redirected.stream), bytes);
    });

    it('checks every redirect hop again', async () => {
      const refusedWith = (path: string, pattern: RegExp, extra: Partial<SafeFetchPolicy> = {}) =>
        assert.rejects(
          openAttachment(`${base}${path}`, { ...sandboxPolicy, ...extra }),
          (error: unknown) => error instanceof AttachmentRefused && pattern.test(error.message),
        );
      await refusedWith('/to-disallowed', /files\.evil\.example: not in attachments\.allowedHosts/);
      await refusedWith('/to-metadata', /internal address/, { allowedHosts: ['169.254.169.254'] });
      await refusedWith('/to-internal-http', /only https/);
      await refusedWith('/to-localhost-https', /resolves to the internal address/, {
        allowedHosts: ['localhost'],
      });
      await refusedWith('/loop', /too many redirects/);
      await refusedWith('/no-location', /without a Location/);
    });

    it('caps sizes by Content-Length and while streaming', async () => {
      await assert.rejects(
        openAttachment(`${base}/big`, sandboxPolicy),
        (error: unknown) =>
          error instanceof AttachmentRefused && /5000 bytes is over the 1000-byte limit/.test(error.message),
      );
      const chunked = await openAttachment(`${base}/chunked-big`, sandboxPolicy);
      assert.equal(chunked.contentLength, undefined);
      await assert.rejects(
        read(chunked.stream),
        (error: unknown) =>
          error instanceof AttachmentRefused && /over the 1000-byte limit/.test(error.message),
      );
      // The same cap through a blob store put, which keeps nothing of a refused body.
      const dir = await mkdtemp(join(tmpdir(), 'i2c-safefetch-'));
      try {
        const store = new LocalBlobStore(dir);
        const again = await openAttachment(`${base}/chunked-big`, sandboxPolicy);
        await assert.rejects(store.put('too-big.bin', again.stream), AttachmentRefused);
        assert.equal(await store.exists('too-big.bin'), false);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('tells expired links and passing failures apart', async () => {
      await assert.rejects(
        openAttachment(`${base}/expired`, sandboxPolicy),
        (error: unknown) => error instanceof AttachmentExpired && error.status === 403,
      );
      await assert.rejects(
        openAttachment(`${base}/unavailable`, sandboxPolicy),
        (error: unknown) => error instanceof AttachmentUnavailable && error.status === 503,
      );
      const cut = await openAttachment(`${base}/cut`, sandboxPolicy);
      await assert.rejects(read(cut.stream), AttachmentUnavailable);
      await assert.rejects(openAttachment(`${base}/other`, sandboxPolicy), AttachmentRefused);
    });
  });

  it('sanitises file names', () => {
    assert.equal(sanitizeFileName('../../etc/passwd'), 'passwd');
    assert.equal(sanitizeFileName('..\\..\\windows\\win.ini'), 'win.ini');
    assert.equal(sanitizeFileName('a\u0000b'), 'a_b');
    assert.equal(sanitizeFileName('log:output|1.txt'), 'log_output_1.txt');
    assert.equal(sanitizeFileName('图片.png'), '图片.png');
    assert.equal(sanitizeFileName('...'), 'attachment');
    assert.equal(sanitizeFileName('. . .', 'inline-image'), 'inline-image');
    assert.equal(sanitizeFileName(''), 'attachment');
    assert.equal(sanitizeFileName(null), 'attachment');
    assert.equal(sanitizeFileName('.htaccess'), 'htaccess');
    assert.equal(sanitizeFileName('name. '), 'name');
    const long = sanitizeFileName(`${'very-long-name-'.repeat(30)}.pdf`);
    assert.ok(long.length <= 120, `${long.length} characters`);
    assert.ok(long.endsWith('.pdf'), long);
    const emoji = sanitizeFileName(`${'𠀀'.repeat(200)}.png`);
    assert.equal(Array.from(emoji).length, 120);
    assert.ok(emoji.endsWith('.png'));
    assert.doesNotMatch(emoji, /[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/, 'no half surrogate pair');
  });
});

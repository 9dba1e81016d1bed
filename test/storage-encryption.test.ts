/**
 * Encryption at rest of the blob store (storage/envelope.ts, storage/protectedStore.ts): the store
 * contract holds through the envelope, keys rotate as the payload codec's do, any change to an object
 * is caught, plain snapshots from before stay readable, nothing is written plain without an explicit
 * opt-out, and the sealed manifest says how every object is held.
 */
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { ActivityDeps } from '../src/activities/deps.js';
import { classifyFailure } from '../src/activities/failures.js';
import { createPublishingActivities } from '../src/activities/rollout/publishing.js';
import type { MigrationInput } from '../src/config.js';
import {
  BlobKeyring,
  blobEncryptionFromEnv,
  createBlobStore,
  DEFAULT_SEGMENT_BYTES,
  describeBlobEncryption,
  ENVELOPE_MAGIC,
  encryptSegments,
  getJson,
  LocalBlobStore,
  ProtectedBlobStore,
  type ProtectionSummary,
} from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import { chunkedStream, describeBlobStoreBehaviour, patternedBytes } from './storage.test.js';

const MiB = 1024 * 1024;
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The envelope decrypted from its documented layout with node:crypto alone, not with the project's
 * code: a snapshot must stay readable from the README's description if this project is long gone.
 */
function decryptByTheBook(stored: Buffer, master: Buffer, blobKey: string): Buffer {
  assert.deepEqual(stored.subarray(0, 8), Buffer.from('\x89I2Cenc\n', 'latin1'));
  assert.equal(stored[8], 1, 'version 1');
  const idLength = stored[9] as number;
  let at = 10 + idLength;
  const segment = stored.readUInt32BE(at);
  at += 4;
  const salt = stored.subarray(at, at + 16);
  const prefix = stored.subarray(at + 16, at + 23);
  const header = stored.subarray(0, at + 23);
  const key = Buffer.from(hkdfSync('sha256', master, salt, 'intercom-to-chatwoot blob envelope v1', 32));
  const aad = Buffer.concat([header, Buffer.from(blobKey)]);
  const out: Buffer[] = [];
  let offset = header.length;
  for (let index = 0; offset < stored.length || index === 0; index++) {
    const end = Math.min(offset + segment + 16, stored.length);
    const nonce = Buffer.concat([prefix, Buffer.alloc(5)]);
    nonce.writeUInt32BE(index, 7);
    nonce[11] = end === stored.length ? 1 : 0;
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(stored.subarray(end - 16, end));
    out.push(decipher.update(stored.subarray(offset, end - 16)), decipher.final());
    offset = end;
  }
  return Buffer.concat(out);
}

function keyring(current: { id: string; key: Buffer }, ...previous: { id: string; key: Buffer }[]) {
  return new BlobKeyring({ current, previous });
}

describe('blob store encryption at rest', function () {
  this.timeout(120_000);
  let root: string;
  let counter = 0;
  const dir = () => join(root, `store-${++counter}`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'blob-encryption-test-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // The whole BlobStore contract (test/storage.test.ts) through the envelope.
  describeBlobStoreBehaviour('encrypted local store', async () => {
    return new ProtectedBlobStore(new LocalBlobStore(dir()), { keyring: keyring({ id: 'v1', key: keyA }) });
  });

  it('keeps only ciphertext on disk, in the documented format, under the current key id', async () => {
    const path = dir();
    const store = new ProtectedBlobStore(new LocalBlobStore(path), {
      keyring: keyring({ id: 'v1', key: keyA }),
    });
    const text = '{"name":"Jane Doe","email":"jane@example.com"}\n';
    const info = await store.put('acct-1/export/contacts/chunk-000001.jsonl', text, {
      contentType: 'application/x-ndjson',
    });
    assert.equal(info.size, Buffer.byteLength(text));
    assert.equal(info.sha256, sha256Hex(Buffer.from(text)));
    const onDisk = await readFile(join(path, 'acct-1/export/contacts/chunk-000001.jsonl'));
    assert.ok(!onDisk.includes('Jane'), 'no plaintext on disk');
    assert.ok(!onDisk.includes('jane@example.com'));
    assert.deepEqual(onDisk.subarray(0, 8), ENVELOPE_MAGIC);
    assert.equal(onDisk.subarray(10, 12).toString('latin1'), 'v1');
    assert.equal(
      decryptByTheBook(onDisk, keyA, 'acct-1/export/contacts/chunk-000001.jsonl').toString('utf8'),
      text,
    );
    // Two writes of the same text differ (fresh salt and nonces), so equal contents are not revealed.
    await store.put('acct-1/other.jsonl', text);
    assert.notDeepEqual(await readFile(join(path, 'acct-1/other.jsonl')), onDisk);
  });

  it('streams large objects in 64 KiB segments, never holding the object whole', async () => {
    const bytes = patternedBytes(3 * MiB + 17, 4);
    const sizes: number[] = [];
    const ring = keyring({ id: 'v1', key: keyA });
    async function* source() {
      for await (const chunk of chunkedStream(bytes, 300_001)) yield chunk as Buffer;
    }
    const sealed: Buffer[] = [];
    for await (const piece of encryptSegments(source(), ring, 'acct-1/attachments/c/m-0-video.mp4')) {
      sizes.push(piece.length);
      sealed.push(piece);
    }
    assert.ok(Math.max(...sizes) <= DEFAULT_SEGMENT_BYTES + 16, `largest piece ${Math.max(...sizes)} bytes`);
    assert.equal(sizes.length, 1 + Math.ceil(bytes.length / DEFAULT_SEGMENT_BYTES));
    const stored = Buffer.concat(sealed);
    assert.equal(
      sha256Hex(decryptByTheBook(stored, keyA, 'acct-1/attachments/c/m-0-video.mp4')),
      sha256Hex(bytes),
    );

    const store = new ProtectedBlobStore(new LocalBlobStore(dir()), { keyring: ring });
    await store.put('acct-1/attachments/c/m-0-video.mp4', chunkedStream(bytes, 1_000_003));
    const stream = await store.getStream('acct-1/attachments/c/m-0-video.mp4');
    assert.ok(stream);
    const pieces: number[] = [];
    const read: Buffer[] = [];
    for await (const chunk of stream) {
      pieces.push((chunk as Buffer).length);
      read.push(chunk as Buffer);
    }
    assert.ok(Math.max(...pieces) <= DEFAULT_SEGMENT_BYTES, `largest decrypted piece ${Math.max(...pieces)}`);
    assert.equal(sha256Hex(Buffer.concat(read)), sha256Hex(bytes));
  });

  it('reports the plaintext size for empty, one-segment, exact-multiple and longer objects', async () => {
    const store = new ProtectedBlobStore(new LocalBlobStore(dir()), {
      keyring: keyring({ id: 'v1', key: keyA }),
    });
    for (const size of [
      0,
      1,
      DEFAULT_SEGMENT_BYTES,
      2 * DEFAULT_SEGMENT_BYTES,
      2 * DEFAULT_SEGMENT_BYTES + 5,
    ]) {
      const bytes = patternedBytes(size, size + 1);
      await store.put(`sizes/${size}.bin`, bytes);
      assert.equal((await store.stat(`sizes/${size}.bin`))?.size, size, `size ${size}`);
      assert.deepEqual(await store.get(`sizes/${size}.bin`), bytes);
    }
  });

  it('rotates keys: the new key encrypts new objects, the old one still decrypts, a dropped one is named', async () => {
    const path = dir();
    const before = new ProtectedBlobStore(new LocalBlobStore(path), {
      keyring: keyring({ id: '2025-01', key: keyA }),
    });
    await before.put('acct-1/mapping.json', '{"v":"old"}');
    const after = new ProtectedBlobStore(new LocalBlobStore(path), {
      keyring: keyring({ id: '2025-07', key: keyB }, { id: '2025-01', key: keyA }),
    });
    assert.equal((await after.get('acct-1/mapping.json'))?.toString(), '{"v":"old"}');
    await after.put('acct-1/report.json', '{"v":"new"}');
    const raw = await readFile(join(path, 'acct-1/report.json'));
    assert.equal(raw.subarray(10, 10 + (raw[9] as number)).toString('latin1'), '2025-07');
    assert.equal(decryptByTheBook(raw, keyB, 'acct-1/report.json').toString(), '{"v":"new"}');
    assert.equal((await after.read('acct-1/mapping.json'))?.protection.keyId, '2025-01');

    const forgotten = new ProtectedBlobStore(new LocalBlobStore(path), {
      keyring: keyring({ id: '2025-07', key: keyB }),
    });
    await assert.rejects(forgotten.get('acct-1/mapping.json'), (error: Error) => {
      assert.equal(error.name, 'InvalidInput');
      assert.match(error.message, /key "2025-01", which is not configured .*BLOB_ENCRYPTION_OLD_KEYS/);
      return true;
    });
    // The same through the environment variables, with the codec's syntax.
    const fromEnv = createBlobStore(`file://${path}`, {
      env: {
        BLOB_ENCRYPTION_KEY: b64(keyB),
        BLOB_ENCRYPTION_KEY_ID: '2025-07',
        BLOB_ENCRYPTION_OLD_KEYS: `2025-01:${b64(keyA)}`,
      },
    });
    assert.equal((await fromEnv.get('acct-1/mapping.json'))?.toString(), '{"v":"old"}');
    assert.deepEqual(fromEnv.writeProtection, { mode: 'aes-256-gcm', keyId: '2025-07' });
  });

  it('detects any change: a flipped byte, a cut-off segment, a swapped object, an edited header', async () => {
    const path = dir();
    const store = new ProtectedBlobStore(new LocalBlobStore(path), {
      keyring: keyring({ id: 'v1', key: keyA }),
    });
    const bytes = patternedBytes(3 * DEFAULT_SEGMENT_BYTES + 100, 8);
    const file = join(path, 'acct-1/attachments/c1/a.bin');
    const pristine = async () => {
      await store.put('acct-1/attachments/c1/a.bin', bytes);
      return readFile(file);
    };
    const isTampered = (error: Error) => {
      assert.equal(error.name, 'InvalidData');
      assert.match(error.message, /failed authentication with key "v1"/);
      // Attachment file names may be personal: messages name the folder only.
      assert.match(error.message, /acct-1\/attachments\/c1\/<file>/);
      return true;
    };
    const expectTampered = async () => {
      await assert.rejects(store.get('acct-1/attachments/c1/a.bin'), isTampered);
      const stream = await store.getStream('acct-1/attachments/c1/a.bin');
      assert.ok(stream);
      await assert.rejects(readAll(stream), isTampered);
    };

    const flipped = await pristine();
    flipped[flipped.length - 40] = (flipped[flipped.length - 40] as number) ^ 1;
    await writeFile(file, flipped);
    await expectTampered();

    // Cut at a segment boundary: what is left is whole segments, but the last of them is not marked last.
    const cut = await pristine();
    await writeFile(file, cut.subarray(0, cut.length - 100 - 16));
    await expectTampered();

    // Another object's ciphertext under this key, made with the same key: bound to its own key.
    await store.put('acct-1/attachments/c1/b.bin', bytes);
    await writeFile(file, await readFile(join(path, 'acct-1/attachments/c1/b.bin')));
    await expectTampered();

    // The segment size in the header changed (the key id must stay, else the error is "not configured").
    const edited = await pristine();
    edited.writeUInt32BE(DEFAULT_SEGMENT_BYTES / 2, 12);
    await writeFile(file, edited);
    await assert.rejects(
      store.get('acct-1/attachments/c1/a.bin'),
      (error: Error) => error.name === 'InvalidData',
    );

    assert.deepEqual(
      await store.get('acct-1/attachments/c1/b.bin'),
      bytes,
      'the untouched object still reads',
    );
  });

  it('reads plain objects written before encryption was turned on, whole, streamed and stat-ed', async () => {
    const path = dir();
    const plain = new LocalBlobStore(path);
    const legacy = patternedBytes(200_000, 2);
    await plain.put('acct-1/export/manifest.json', '{"legacy":true}', { contentType: 'application/json' });
    await plain.put('acct-1/attachments/c/m-0-photo.jpg', legacy);
    await plain.put('acct-1/tiny.txt', 'abc');
    const store = createBlobStore(`file://${path}`, { env: { BLOB_ENCRYPTION_KEY: b64(keyA) } });
    assert.equal((await store.get('acct-1/export/manifest.json'))?.toString(), '{"legacy":true}');
    assert.deepEqual(await store.stat('acct-1/export/manifest.json'), {
      size: 15,
      contentType: 'application/json',
    });
    const stream = await store.getStream('acct-1/attachments/c/m-0-photo.jpg');
    assert.ok(stream);
    assert.deepEqual(await readAll(stream), legacy);
    assert.equal((await store.get('acct-1/tiny.txt'))?.toString(), 'abc');
    assert.deepEqual((await store.read('acct-1/tiny.txt'))?.protection, { envelope: 'none' });
    // A key-less process (the router) still reads plain objects.
    const keyless = createBlobStore(`file://${path}`, { env: {} });
    assert.equal((await keyless.get('acct-1/tiny.txt'))?.toString(), 'abc');
  });

  it('refuses to write without a key or an opt-out, with a non-retryable error saying what to set', async () => {
    const path = dir();
    const store = createBlobStore(`file://${path}`, { env: {} });
    assert.deepEqual(store.writeProtection, { mode: 'refused' });
    const refusal = await store.put('acct-1/export/manifest.json', '{}').then(
      () => assert.fail('the write went through'),
      (error: Error) => error,
    );
    assert.equal(refusal.name, 'InvalidInput');
    for (const hint of [
      'BLOB_ENCRYPTION_KEY',
      'openssl rand -base64 32',
      'sse=aws:kms',
      'BLOB_ENCRYPTION=off',
    ]) {
      assert.ok(refusal.message.includes(hint), `the message names ${hint}`);
    }
    assert.match(refusal.message, /personal data unencrypted/);
    const failure = classifyFailure(refusal);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, true);
    assert.equal(await new LocalBlobStore(path).exists('acct-1/export/manifest.json'), false);
    // A key-less process reading an encrypted object is told which variable to set.
    await new ProtectedBlobStore(new LocalBlobStore(path), { keyring: keyring({ id: 'v1', key: keyA }) }).put(
      'acct-1/x.json',
      '{}',
    );
    await assert.rejects(store.get('acct-1/x.json'), /encrypted with key "v1", but no BLOB_ENCRYPTION_KEY/);
    // The router's public rollout state is written plain whatever the settings.
    await store.put(blobLayout.rolloutState('7'), '{"percent":10}');
    assert.equal(await readFile(join(path, 'rollout/7.json'), 'utf8'), '{"percent":10}');
    assert.match(describeBlobEncryption(blobEncryptionFromEnv({})), /writes will fail/);
  });

  it('writes plain only when told so, in the environment or the URL, and says it holds personal data', async () => {
    const path = dir();
    const byEnv = createBlobStore(`file://${path}`, { env: { BLOB_ENCRYPTION: 'off' } });
    assert.deepEqual(byEnv.writeProtection, { mode: 'plain', allowedBy: 'BLOB_ENCRYPTION=off' });
    await byEnv.put('acct-1/a.json', '{"plain":1}');
    assert.equal(await readFile(join(path, 'acct-1/a.json'), 'utf8'), '{"plain":1}');
    assert.match(
      describeBlobEncryption(blobEncryptionFromEnv({ BLOB_ENCRYPTION: 'off' })),
      /personal data in plain form/,
    );

    const byUrl = createBlobStore(`file://${path}?encryption=none`, {
      env: { BLOB_ENCRYPTION_KEY: b64(keyA) },
    });
    assert.equal((byUrl.inner as LocalBlobStore).rootDir, path);
    await byUrl.put('acct-1/b.json', '{"plain":2}');
    assert.equal(await readFile(join(path, 'acct-1/b.json'), 'utf8'), '{"plain":2}');
    // Encrypted objects stay readable in an opted-out store that has the key.
    await createBlobStore(`file://${path}`, { env: { BLOB_ENCRYPTION_KEY: b64(keyA) } }).put(
      'acct-1/c.json',
      '{}',
    );
    assert.equal((await byUrl.get('acct-1/c.json'))?.toString(), '{}');

    assert.throws(() => createBlobStore(`file://${path}?encryption=aes`), /only value is "none"/);
    assert.throws(() => blobEncryptionFromEnv({ BLOB_ENCRYPTION: 'maybe' }), /use "off"/);
  });

  it('refuses malformed keys from the environment as configuration errors', () => {
    assert.throws(
      () => blobEncryptionFromEnv({ BLOB_ENCRYPTION_KEY: 'c2hvcnQ=' }),
      (error: Error) =>
        error.name === 'InvalidInput' &&
        /BLOB_ENCRYPTION_KEY must be the base64 of exactly 32/.test(error.message),
    );
    assert.throws(
      () => blobEncryptionFromEnv({ BLOB_ENCRYPTION_KEY: b64(keyA), BLOB_ENCRYPTION_OLD_KEYS: 'v0:abc' }),
      /BLOB_ENCRYPTION_OLD_KEYS/,
    );
    assert.throws(
      () => blobEncryptionFromEnv({ BLOB_ENCRYPTION_KEY: b64(keyA), BLOB_ENCRYPTION_KEY_ID: 'a b' }),
      /blob encryption key id "a b"/,
    );
    const derived = blobEncryptionFromEnv({ BLOB_ENCRYPTION_KEY: b64(keyA) });
    assert.match(derived.keyring?.currentKeyId ?? '', /^k-[0-9a-f]{12}$/);
  });

  it('records how every object is protected in the sealed manifest', async () => {
    const path = dir();
    const blobStoreUrl = `file://${path}`;
    // A snapshot begun before encryption was on: one plain object, then encrypted ones under two keys.
    await new LocalBlobStore(path).put('acct-9/export/manifest.json', '{"legacy":true}');
    await createBlobStore(blobStoreUrl, {
      env: { BLOB_ENCRYPTION_KEY: b64(keyA), BLOB_ENCRYPTION_KEY_ID: 'old' },
    }).put('acct-9/mapping.json', '{"m":1}');
    const deps = new ActivityDeps({ chatwootAgentTokens: {} });
    const input = { account: 9, blobStoreUrl } as MigrationInput;
    const store = deps.store(input);
    await assert.rejects(store.get('acct-9/mapping.json'), /key "old", which is not configured/);
    // The worker's environment (test/setup.ts) with the old key kept for reading.
    const saved = process.env.BLOB_ENCRYPTION_OLD_KEYS;
    process.env.BLOB_ENCRYPTION_OLD_KEYS = `old:${b64(keyA)}`;
    try {
      const worker = new ActivityDeps({ chatwootAgentTokens: {} });
      await worker.store(input).put('acct-9/report.json', '{"r":2}');
      const sealedKey = await createPublishingActivities(worker).sealSnapshot({ input });
      assert.equal(sealedKey, blobLayout.sealedManifest(9));
      const sealed = await getJson<{
        protection: ProtectionSummary;
        files: { key: string; size: number; sha256: string; protection: Record<string, string> }[];
      }>(worker.store(input), sealedKey);
      assert.ok(sealed);
      const byKey = Object.fromEntries(sealed.files.map((file) => [file.key, file]));
      assert.deepEqual(byKey['acct-9/export/manifest.json']?.protection, { envelope: 'none' });
      assert.deepEqual(byKey['acct-9/mapping.json']?.protection, { envelope: 'aes-256-gcm', keyId: 'old' });
      assert.deepEqual(byKey['acct-9/report.json']?.protection, {
        envelope: 'aes-256-gcm',
        keyId: process.env.BLOB_ENCRYPTION_KEY_ID,
      });
      // Sizes and digests of the plaintext, as every other manifest records them.
      assert.equal(byKey['acct-9/report.json']?.size, 7);
      assert.equal(byKey['acct-9/report.json']?.sha256, sha256Hex(Buffer.from('{"r":2}')));
      assert.deepEqual(sealed.protection, {
        encrypted: 2,
        kmsOnly: 0,
        plain: 1,
        keyIds: ['old', process.env.BLOB_ENCRYPTION_KEY_ID].sort(),
        kmsKeyIds: [],
      });
      // The seal itself is encrypted too.
      assert.deepEqual((await readFile(join(path, sealedKey))).subarray(0, 8), ENVELOPE_MAGIC);
    } finally {
      if (saved === undefined) delete process.env.BLOB_ENCRYPTION_OLD_KEYS;
      else process.env.BLOB_ENCRYPTION_OLD_KEYS = saved;
    }
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { BlobStore } from '../src/storage/blobStore.js';
import {
  BlobTooLargeError,
  createBlobStore,
  createRawBlobStore,
  LocalBlobStore,
  readJsonlChunk,
  S3BlobStore,
  writeJsonlChunk,
} from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';

const MiB = 1024 * 1024;

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes, so a multi-part upload has no repeating parts to hide mistakes. */
function patternedBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let offset = 0; offset < length; offset += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[offset] = state & 0xff;
  }
  return bytes;
}

/** A stream that hands out `bytes` in uneven pieces, as network streams do. */
function chunkedStream(bytes: Buffer, pieceSize = 65_537): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      this.push(bytes.subarray(offset, offset + pieceSize));
      offset += pieceSize;
    },
  });
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const items: string[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The contract of BlobStore, checked the same way for every implementation. `createStore` must give
 * a store that is empty (a fresh directory or a fresh prefix) on every call.
 */
function describeBlobStoreBehaviour(name: string, createStore: () => Promise<BlobStore>): void {
  describe(`BlobStore behaviour: ${name}`, function () {
    this.timeout(60_000);
    let store: BlobStore;

    beforeEach(async () => {
      store = await createStore();
    });

    it('stores a string as UTF-8 and reports its size, sha256 and content type', async () => {
      const text = 'héllo, wörld — 你好\n';
      const info = await store.put('notes/greeting.txt', text, { contentType: 'text/plain; charset=utf-8' });
      const expected = Buffer.from(text, 'utf8');
      assert.deepEqual(info, {
        key: 'notes/greeting.txt',
        size: expected.length,
        sha256: sha256Hex(expected),
        contentType: 'text/plain; charset=utf-8',
      });
      assert.deepEqual(await store.get('notes/greeting.txt'), expected);
      assert.deepEqual(await store.stat('notes/greeting.txt'), {
        size: expected.length,
        contentType: 'text/plain; charset=utf-8',
      });
      assert.equal(await store.exists('notes/greeting.txt'), true);
    });

    it('stores a Uint8Array and a Buffer byte for byte', async () => {
      const bytes = new Uint8Array([0, 1, 2, 254, 255, 10, 13]);
      const info = await store.put('bin/array.bin', bytes);
      assert.equal(info.size, bytes.length);
      assert.equal(info.sha256, sha256Hex(bytes));
      assert.deepEqual(await store.get('bin/array.bin'), Buffer.from(bytes));

      const buffer = patternedBytes(4096, 7);
      await store.put('bin/buffer.bin', buffer, { contentType: 'application/octet-stream' });
      assert.deepEqual(await store.get('bin/buffer.bin'), buffer);
      assert.equal((await store.stat('bin/buffer.bin'))?.size, 4096);
    });

    it('stores an empty body', async () => {
      const info = await store.put('empty.txt', '');
      assert.equal(info.size, 0);
      assert.equal(info.sha256, sha256Hex(new Uint8Array()));
      assert.deepEqual(await store.get('empty.txt'), Buffer.alloc(0));
    });

    it('streams a body larger than one multipart part and reads it back as a stream', async () => {
      const bytes = patternedBytes(2 * 8 * MiB + 12_345, 42);
      const info = await store.put('attachments/big.bin', chunkedStream(bytes), {
        contentType: 'application/octet-stream',
        maxBytes: 32 * MiB,
      });
      assert.equal(info.size, bytes.length);
      assert.equal(info.sha256, sha256Hex(bytes));
      assert.equal((await store.stat('attachments/big.bin'))?.size, bytes.length);
      const stream = await store.getStream('attachments/big.bin');
      assert.ok(stream);
      const read = await readAll(stream);
      assert.equal(read.length, bytes.length);
      assert.equal(sha256Hex(read), info.sha256);
    });

    it('streams a small body', async () => {
      const bytes = patternedBytes(100_000, 3);
      const info = await store.put('attachments/small.bin', chunkedStream(bytes, 1000));
      assert.equal(info.sha256, sha256Hex(bytes));
      assert.deepEqual(await store.get('attachments/small.bin'), bytes);
    });

    it('overwrites an object, content type included', async () => {
      await store.put('doc.json', '{"v":1}', { contentType: 'application/json' });
      await store.put('doc.json', 'version two', { contentType: 'text/plain' });
      assert.equal((await store.get('doc.json'))?.toString('utf8'), 'version two');
      assert.equal((await store.stat('doc.json'))?.contentType, 'text/plain');
      assert.deepEqual(await collect(store.list('')), ['doc.json']);
    });

    it('reports absent keys as undefined / false', async () => {
      assert.equal(await store.get('missing/key.txt'), undefined);
      assert.equal(await store.getStream('missing/key.txt'), undefined);
      assert.equal(await store.stat('missing/key.txt'), undefined);
      assert.equal(await store.exists('missing/key.txt'), false);
      await store.put('dir/present.txt', 'x');
      // A "directory" of other keys is not itself an object.
      assert.equal(await store.get('dir'), undefined);
      assert.equal(await store.getStream('dir'), undefined);
      assert.equal(await store.stat('dir'), undefined);
      assert.equal(await store.exists('dir'), false);
      // Nor is a key below an object.
      assert.equal(await store.get('dir/present.txt/below'), undefined);
    });

    it('lists keys under a prefix in lexical order', async () => {
      const keys = [
        'export/a-c.jsonl',
        'export/a/b.jsonl',
        'export/a/a.jsonl',
        'export/a.jsonl',
        'export/chunk-000002.jsonl',
        'export/chunk-000010.jsonl',
        'export/chunk-000001.jsonl',
        'export/z/deep/er/key.bin',
        'export-other/x.txt',
        'exports.txt',
        'other/y.txt',
      ];
      for (const key of keys) await store.put(key, key, { contentType: 'text/plain' });
      const sorted = [...keys].sort();
      assert.deepEqual(await collect(store.list('')), sorted);
      assert.deepEqual(
        await collect(store.list('export/')),
        sorted.filter((key) => key.startsWith('export/')),
      );
      assert.deepEqual(
        await collect(store.list('export')),
        sorted.filter((key) => key.startsWith('export')),
      );
      assert.deepEqual(await collect(store.list('export/chunk-00000')), [
        'export/chunk-000001.jsonl',
        'export/chunk-000002.jsonl',
      ]);
      assert.deepEqual(await collect(store.list('export/a')), [
        'export/a-c.jsonl',
        'export/a.jsonl',
        'export/a/a.jsonl',
        'export/a/b.jsonl',
      ]);
      assert.deepEqual(await collect(store.list('nothing/here/')), []);
      assert.deepEqual(await collect(store.list('export/z/deep/er/key.bin')), ['export/z/deep/er/key.bin']);
    });

    it('lists more keys than one listing page holds', async () => {
      const keys = Array.from({ length: 250 }, (_, index) => `many/key-${String(index).padStart(4, '0')}`);
      await Promise.all(keys.map((key) => store.put(key, 'x')));
      await store.put('manyother', 'y');
      assert.deepEqual(await collect(store.list('many/')), keys);
    });

    it('deletes objects, and deleting an absent key is a no-op', async () => {
      await store.put('gone/soon.txt', 'bye', { contentType: 'text/plain' });
      await store.put('gone/stays.txt', 'hi');
      await store.delete('gone/soon.txt');
      assert.equal(await store.exists('gone/soon.txt'), false);
      assert.equal(await store.get('gone/soon.txt'), undefined);
      assert.deepEqual(await collect(store.list('gone/')), ['gone/stays.txt']);
      await store.delete('gone/soon.txt');
      await store.delete('never/was.txt');
      // A key written again after deletion does not inherit the old content type.
      await store.put('gone/soon.txt', 'again');
      assert.notEqual((await store.stat('gone/soon.txt'))?.contentType, 'text/plain');
    });

    it('enforces maxBytes on streams and leaves any earlier object untouched', async () => {
      await store.put('limited/file.bin', 'the earlier version');
      const bytes = patternedBytes(9 * MiB, 5);
      await assert.rejects(
        store.put('limited/file.bin', chunkedStream(bytes), { maxBytes: 8 * MiB + 100 }),
        (error: unknown) => {
          assert.ok(error instanceof BlobTooLargeError);
          assert.match(error.message, new RegExp(`limit of ${8 * MiB + 100} bytes`));
          return true;
        },
      );
      assert.equal((await store.get('limited/file.bin'))?.toString('utf8'), 'the earlier version');
      await assert.rejects(
        store.put('limited/new.bin', chunkedStream(bytes), { maxBytes: 1000 }),
        /limit of 1000/,
      );
      assert.equal(await store.exists('limited/new.bin'), false);
      assert.deepEqual(await collect(store.list('limited/')), ['limited/file.bin']);
    });

    it('enforces maxBytes on strings and buffers, and accepts a body of exactly maxBytes', async () => {
      await assert.rejects(store.put('limited/text.txt', 'abcdef', { maxBytes: 5 }), /limit of 5 bytes/);
      assert.equal(await store.exists('limited/text.txt'), false);
      // Counted in bytes, not characters: "é" is two bytes.
      await assert.rejects(store.put('limited/text.txt', 'éé', { maxBytes: 3 }), /limit of 3 bytes/);
      const info = await store.put('limited/text.txt', 'abcde', { maxBytes: 5 });
      assert.equal(info.size, 5);
      const exact = patternedBytes(8 * MiB, 9);
      assert.equal(
        (await store.put('limited/exact.bin', chunkedStream(exact), { maxBytes: 8 * MiB })).size,
        8 * MiB,
      );
      assert.equal(sha256Hex((await store.get('limited/exact.bin')) ?? Buffer.alloc(0)), sha256Hex(exact));
    });

    it('stores nothing when the source stream fails midway', async () => {
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent >= 9 * MiB) {
            this.destroy(new Error('connection reset by peer'));
            return;
          }
          sent += MiB;
          this.push(patternedBytes(MiB, sent));
        },
      });
      await assert.rejects(store.put('broken/upload.bin', failing), /connection reset by peer/);
      assert.equal(await store.exists('broken/upload.bin'), false);
      assert.deepEqual(await collect(store.list('broken/')), []);
    });

    it('refuses unsafe keys and prefixes', async () => {
      for (const key of ['../escape', '/absolute', 'a//b', 'a/./b', 'a/../b', 'sp ace', 'tilde~', '', 'a/']) {
        await assert.rejects(store.put(key, 'x'), /unsafe blob key/, key);
        await assert.rejects(store.get(key), /unsafe blob key/, key);
        await assert.rejects(store.delete(key), /unsafe blob key/, key);
      }
      await assert.rejects(collect(store.list('../')), /unsafe blob key/);
      await assert.rejects(collect(store.list('/abs')), /unsafe blob key/);
    });
  });
}

// test/storage-s3.test.ts runs the same checks against S3. Mocha loads ES modules once, so importing
// this file there does not run its tests twice.
// biome-ignore lint/suspicious/noExportsInTest: shared with test/storage-s3.test.ts (see above)
export { chunkedStream, describeBlobStoreBehaviour, patternedBytes };

describe('LocalBlobStore', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'blobstore-test-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  let counter = 0;
  describeBlobStoreBehaviour('local directory', async () => {
    counter += 1;
    return new LocalBlobStore(join(root, `store-${counter}`));
  });

  it('keeps files named by their key, hides sidecars, and leaves no temporary files behind', async () => {
    const dir = join(root, 'layout');
    const store = new LocalBlobStore(dir);
    await store.put('a/b.json', '{}', { contentType: 'application/json' });
    await assert.rejects(store.put('a/c.bin', chunkedStream(patternedBytes(5000)), { maxBytes: 100 }));
    const failing = new Readable({
      read() {
        this.destroy(new Error('boom'));
      },
    });
    await assert.rejects(store.put('a/d.bin', failing), /boom/);
    const files = (await readdir(join(dir, 'a'))).sort();
    assert.deepEqual(files, ['b.json', 'b.json~.meta.json']);
    assert.deepEqual(await collect(store.list('')), ['a/b.json']);
    // Files that cannot be keys (written by hand or by an interrupted run) are not listed.
    await writeFile(join(dir, 'a', 'stray~tmp-123'), 'x');
    await writeFile(join(dir, 'a', 'with space'), 'x');
    assert.deepEqual(await collect(store.list('a/')), ['a/b.json']);
  });

  it('writes again into a directory removed after its first object, whole bodies and streams alike', async () => {
    const dir = join(root, 'removed');
    const store = new LocalBlobStore(dir);
    await store.put('x/y/first.json', '{"n":1}');
    await rm(join(dir, 'x'), { recursive: true });
    await store.put('x/y/second.json', '{"n":2}');
    await rm(join(dir, 'x'), { recursive: true });
    await store.put('x/y/third.bin', chunkedStream(patternedBytes(3000)));
    assert.deepEqual(await collect(store.list('x/')), ['x/y/third.bin']);
    await rm(join(dir, 'x'), { recursive: true });
    await store.put('x/y/second.json', '{"n":3}');
    assert.equal((await store.get('x/y/second.json'))?.toString('utf8'), '{"n":3}');
    assert.deepEqual(await readdir(join(dir, 'x', 'y')), ['second.json']);
  });

  it('has a file URL for its root', () => {
    const store = new LocalBlobStore(join(root, 'url'));
    assert.equal(store.url, pathToFileURL(join(root, 'url')).href);
  });
});

describe('createRawBlobStore', () => {
  it('opens a local store from file:///abs, file://./rel and a plain path', () => {
    const absolute = createRawBlobStore('file:///var/data/blobs');
    assert.ok(absolute instanceof LocalBlobStore);
    assert.equal(absolute.rootDir, '/var/data/blobs');

    const relative = createRawBlobStore('file://./data/blobs');
    assert.ok(relative instanceof LocalBlobStore);
    assert.equal(relative.rootDir, resolve(process.cwd(), 'data/blobs'));

    const plainRelative = createRawBlobStore('data/blobs');
    assert.ok(plainRelative instanceof LocalBlobStore);
    assert.equal(plainRelative.rootDir, resolve(process.cwd(), 'data/blobs'));

    const plainAbsolute = createRawBlobStore('/srv/blobs');
    assert.ok(plainAbsolute instanceof LocalBlobStore);
    assert.equal(plainAbsolute.rootDir, '/srv/blobs');

    const escaped = createRawBlobStore('file:///var/my%20blobs');
    assert.ok(escaped instanceof LocalBlobStore);
    assert.equal(escaped.rootDir, '/var/my blobs');
  });

  it('opens an S3 store with bucket, prefix and client settings from the URL', async () => {
    const store = createRawBlobStore(
      's3://migration-bucket/exports/acme?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true',
    );
    assert.ok(store instanceof S3BlobStore);
    assert.equal(store.bucket, 'migration-bucket');
    assert.equal(store.prefix, 'exports/acme');
    assert.equal(await store.client.config.region(), 'eu-west-1');
    assert.equal(store.client.config.forcePathStyle, true);
    const endpoint = await store.client.config.endpoint?.();
    assert.equal(endpoint?.hostname, '127.0.0.1');
    assert.equal(endpoint?.port, 9000);
    assert.match(store.url, /^s3:\/\/migration-bucket\/exports\/acme\?endpoint=/);

    const bare = createRawBlobStore('s3://bucket-only?region=us-east-2');
    assert.ok(bare instanceof S3BlobStore);
    assert.equal(bare.prefix, '');
    assert.equal(bare.url, 's3://bucket-only?region=us-east-2');
  });

  it('rejects credentials in the URL, unknown parameters and unknown schemes', () => {
    assert.throws(() => createBlobStore('s3://AKIA:secret@bucket/prefix'), /must not carry credentials/);
    assert.throws(
      () => createBlobStore('s3://bucket/prefix?endpont=http://x'),
      /unknown S3 blob store URL parameter/,
    );
    assert.throws(() => createBlobStore('s3://bucket/prefix?forcePathStyle=yes'), /forcePathStyle/);
    assert.throws(() => createBlobStore('s3://bucket/bad%20prefix'), /unsafe blob key/);
    assert.throws(() => createBlobStore('gs://bucket/prefix'), /unsupported blob store URL scheme gs/);
    assert.throws(() => createBlobStore(''), /empty blob store URL/);
  });
});

describe('JSONL chunks', () => {
  let root: string;
  let store: LocalBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'jsonl-test-'));
    store = new LocalBlobStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  interface Row {
    id: string;
    body: string;
  }

  const rows: Row[] = Array.from({ length: 7 }, (_, index) => ({
    id: String(1000 + index),
    // Newlines, a line separator and non-ASCII text must survive one-record-per-line framing.
    body: `line one\nline two\r\n\u2028 ünïcode ${index}`,
  }));

  it('writes one record per line under numbered keys and reads them back', async () => {
    const written = [];
    for (let index = 0; index * 3 < rows.length; index++) {
      const key = blobLayout.chunk('exports/conversations', index + 1);
      written.push(await writeJsonlChunk(store, key, rows.slice(index * 3, index * 3 + 3)));
    }
    assert.deepEqual(
      written.map((chunk) => [chunk.key, chunk.count]),
      [
        ['exports/conversations/chunk-000001.jsonl', 3],
        ['exports/conversations/chunk-000002.jsonl', 3],
        ['exports/conversations/chunk-000003.jsonl', 1],
      ],
    );
    for (const chunk of written) {
      const bytes = await store.get(chunk.key);
      assert.ok(bytes);
      assert.equal(chunk.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(bytes.toString('utf8').split('\n').length, chunk.count + 1);
    }
    const readBack = [];
    for (const chunk of written) readBack.push(...(await readJsonlChunk<Row>(store, chunk.key)));
    assert.deepEqual(readBack, rows);
  });

  it('overwrites a chunk written again after a retry instead of adding one', async () => {
    await writeJsonlChunk(store, 'retry/chunk-000001.jsonl', rows.slice(0, 3));
    await writeJsonlChunk(store, 'retry/chunk-000001.jsonl', rows.slice(0, 2));
    assert.deepEqual(await readJsonlChunk<Row>(store, 'retry/chunk-000001.jsonl'), rows.slice(0, 2));
    const keys = [];
    for await (const key of store.list('retry/')) keys.push(key);
    assert.deepEqual(keys, ['retry/chunk-000001.jsonl']);
  });

  it('reads CRLF line ends and blank lines, and writes nothing for no records', async () => {
    await store.put('crlf.jsonl', '{"id":"1"}\r\n\r\n{"id":"2"}\r\n');
    assert.deepEqual(await readJsonlChunk(store, 'crlf.jsonl'), [{ id: '1' }, { id: '2' }]);
    const empty = await writeJsonlChunk(store, 'empty/chunk-000001.jsonl', []);
    assert.equal(empty.count, 0);
    assert.equal((await store.get(empty.key))?.length, 0);
  });

  it('reports missing chunks as InvalidData and malformed lines with the key and line number', async () => {
    await assert.rejects(readJsonlChunk(store, 'nope/chunk-000001.jsonl'), (error: Error) => {
      assert.equal(error.name, 'InvalidData');
      assert.match(error.message, /nope\/chunk-000001.jsonl is missing/);
      return true;
    });
    await store.put('bad.jsonl', '{"ok":1}\n{"broken":\n');
    await assert.rejects(readJsonlChunk(store, 'bad.jsonl'), /invalid JSON on line 2 of bad.jsonl/);
  });
});

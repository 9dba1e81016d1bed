/**
 * Encryption at rest around any blob store: new objects are sealed in the envelope of envelope.ts under
 * the current key before the store sees a byte, and every read opens whatever it finds: an envelope
 * under any configured key, or a plain object written before encryption was turned on (told apart by
 * the envelope's magic). Nothing is ever written plain by accident: without a key, SSE-KMS on the S3
 * store, or an explicit opt-out, a write fails with a non-retryable error saying what to set.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  assertSafeKey,
  type BlobInfo,
  type BlobProtection,
  type BlobStore,
  MeasuredBody,
  type PutOptions,
  readWithProtection,
} from './blobStore.js';
import {
  type BlobKeyring,
  decryptObject,
  decryptSegments,
  ENVELOPE_MAGIC,
  encryptSegments,
  isEnvelope,
  keyForMessages,
  MAX_HEADER_BYTES,
  parseHeader,
  plaintextSize,
} from './envelope.js';

export interface ProtectedBlobStoreOptions {
  /** Encrypts new objects with its current key; decrypts with any of its keys. */
  keyring?: BlobKeyring;
  /** What allowed plain writes ("BLOB_ENCRYPTION=off", "?encryption=none"); undefined: nothing did. */
  plainAllowedBy?: string;
  /** Server-side encryption the inner store applies to every write (S3 SSE-KMS from its URL). */
  serverSide?: { sse: string; kmsKeyId?: string };
  /** Keys that hold no personal data and are read by processes without keys (the router's state). */
  isPublic?: (key: string) => boolean;
}

/** The write policy in force, for the worker's start-up line and the tests. */
export type WriteProtection =
  | { mode: 'aes-256-gcm'; keyId: string; serverSide?: string }
  | { mode: 'server-side'; sse: string; kmsKeyId?: string }
  | { mode: 'plain'; allowedBy: string }
  | { mode: 'refused' };

export class BlobEncryptionNotConfigured extends Error {
  constructor(storeUrl: string) {
    super(
      `the blob store ${storeUrl} would keep the snapshot's personal data unencrypted: no encryption key is ` +
        "configured. Set BLOB_ENCRYPTION_KEY (openssl rand -base64 32) in every worker's environment " +
        '(BLOB_ENCRYPTION_KEY_ID names it; keep the key safe, the snapshot cannot be read without it), or ' +
        'for S3 name a KMS key in the blob store URL (?sse=aws:kms&kmsKeyId=...). To store it in plain ' +
        'form on purpose, set BLOB_ENCRYPTION=off or add ?encryption=none to the URL.',
    );
    // Non-retryable (activities/failures.ts): no retry finds a key that is not there.
    this.name = 'InvalidInput';
  }
}

export class ProtectedBlobStore implements BlobStore {
  readonly url: string;

  constructor(
    readonly inner: BlobStore,
    private readonly options: ProtectedBlobStoreOptions = {},
  ) {
    this.url = inner.url;
  }

  get writeProtection(): WriteProtection {
    const { keyring, plainAllowedBy, serverSide } = this.options;
    if (plainAllowedBy !== undefined) return { mode: 'plain', allowedBy: plainAllowedBy };
    if (keyring) {
      return serverSide
        ? { mode: 'aes-256-gcm', keyId: keyring.currentKeyId, serverSide: serverSide.sse }
        : { mode: 'aes-256-gcm', keyId: keyring.currentKeyId };
    }
    if (serverSide) return { mode: 'server-side', ...serverSide };
    return { mode: 'refused' };
  }

  async put(key: string, body: string | Uint8Array | Readable, options: PutOptions = {}): Promise<BlobInfo> {
    assertSafeKey(key);
    const policy = this.options.isPublic?.(key) ? undefined : this.writeProtection;
    if (policy?.mode === 'refused') {
      if (body instanceof Readable) body.destroy();
      throw new BlobEncryptionNotConfigured(this.url);
    }
    if (policy?.mode !== 'aes-256-gcm') return this.inner.put(key, body, options);
    const keyring = this.options.keyring as BlobKeyring;
    // The limit and the digest are the plaintext's: callers compare them with what they wrote and read.
    const measured = new MeasuredBody(key, body, options.maxBytes);
    const segments = encryptSegments(measured.chunks(), keyring, key);
    // A body already in memory goes to the inner store sealed whole, so that it is written in one call.
    const sealed = body instanceof Readable ? Readable.from(segments) : await buffer(segments);
    await this.inner.put(
      key,
      sealed,
      options.contentType === undefined ? {} : { contentType: options.contentType },
    );
    const info: BlobInfo = { key, size: measured.size, sha256: measured.sha256() };
    if (options.contentType !== undefined) info.contentType = options.contentType;
    return info;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const stored = await this.inner.get(key);
    return stored === undefined ? undefined : this.open(stored, key).body;
  }

  async read(key: string): Promise<{ body: Buffer; protection: BlobProtection } | undefined> {
    const stored = await readWithProtection(this.inner, key);
    if (stored === undefined) return undefined;
    const opened = this.open(stored.body, key);
    return { body: opened.body, protection: { ...stored.protection, ...opened.protection } };
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const stream = await this.inner.getStream(key);
    return stream === undefined ? undefined : Readable.from(this.openStream(stream, key));
  }

  async stat(key: string): Promise<{ size: number; contentType?: string } | undefined> {
    const stat = await this.inner.stat(key);
    if (stat === undefined || stat.size < ENVELOPE_MAGIC.length) return stat;
    const head = await this.head(key);
    if (head === undefined || !isEnvelope(head)) return stat;
    const header = parseHeader(head, key);
    const size = header && plaintextSize(header, stat.size);
    if (size === undefined) {
      throw Object.assign(new Error(`blob ${keyForMessages(key)} is not a whole encrypted object`), {
        name: 'InvalidData',
      });
    }
    return { ...stat, size };
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  private keyringFor(header: { keyId: string }, key: string): BlobKeyring {
    if (this.options.keyring) return this.options.keyring;
    throw Object.assign(
      new Error(
        `blob ${keyForMessages(key)} is encrypted with key "${header.keyId}", but no BLOB_ENCRYPTION_KEY ` +
          "is configured in this process's environment: set it (and BLOB_ENCRYPTION_OLD_KEYS for rotated-out keys)",
      ),
      { name: 'InvalidInput' },
    );
  }

  private open(stored: Buffer, key: string): { body: Buffer; protection: BlobProtection } {
    if (!isEnvelope(stored)) return { body: stored, protection: { envelope: 'none' } };
    const header = parseHeader(stored, key);
    const keyring = this.keyringFor(header ?? { keyId: '?' }, key);
    return {
      body: decryptObject(stored, keyring, key),
      protection: { envelope: 'aes-256-gcm', keyId: header?.keyId },
    };
  }

  private async *openStream(stream: Readable, key: string): AsyncGenerator<Buffer> {
    const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => iterator };
    try {
      // Enough of the object to see whether it is an envelope and to read its whole header.
      let head = Buffer.alloc(0);
      let ended = false;
      while (head.length < MAX_HEADER_BYTES) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          break;
        }
        head = Buffer.concat([head, next.value]);
      }
      if (!isEnvelope(head)) {
        if (head.length > 0) yield head;
        if (!ended) yield* rest;
        return;
      }
      const header = parseHeader(head, key);
      yield* decryptSegments(head, ended ? [] : rest, this.keyringFor(header ?? { keyId: '?' }, key), key);
    } finally {
      // A reader that stops early (or a failed authentication) must not leave the file or request open.
      stream.destroy();
    }
  }

  /** The first bytes of an object (at most the longest header), without reading it all. */
  private async head(key: string): Promise<Buffer | undefined> {
    const stream = await this.inner.getStream(key);
    if (stream === undefined) return undefined;
    let head = Buffer.alloc(0);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= MAX_HEADER_BYTES) break;
      }
    } finally {
      stream.destroy();
    }
    return head.subarray(0, MAX_HEADER_BYTES);
  }
}

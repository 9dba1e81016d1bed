/**
 * The blob store holds everything bulky: exported JSONL chunks, manifests, attachments, reports.
 * Workflows only ever see its keys. Keys are '/'-separated relative paths made of safe characters
 * (see `assertSafeKey`); the store decides where they live (a local directory or an S3 bucket).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  size: number;
  /** Lower-case hex sha256 of the stored bytes. */
  sha256: string;
  contentType?: string;
}

export interface PutOptions {
  contentType?: string;
  /** Refuse to store more than this many bytes (the partial object is removed). */
  maxBytes?: number;
}

/** How one object is held at rest, as the sealed manifest records it. */
export interface BlobProtection {
  /** 'aes-256-gcm': encrypted by the project (storage/envelope.ts) under `keyId`; 'none': as written. */
  envelope: 'aes-256-gcm' | 'none';
  keyId?: string;
  /** Server-side encryption the store reports for the object (S3: 'aws:kms', 'aws:kms:dsse', 'AES256'). */
  serverSide?: string;
  kmsKeyId?: string;
}

export interface BlobStore {
  /** A human-readable location, e.g. "file:///var/data" or "s3://bucket/prefix". */
  readonly url: string;
  /** Stores bytes, a string (UTF-8) or a stream without buffering the stream whole. Overwrites. */
  put(key: string, body: string | Uint8Array | Readable, options?: PutOptions): Promise<BlobInfo>;
  /** The whole object; undefined when absent. Meant for small objects (chunks, manifests). */
  get(key: string): Promise<Buffer | undefined>;
  /** A stream of the object; undefined when absent. */
  getStream(key: string): Promise<Readable | undefined>;
  /** Size and content type without reading the body; undefined when absent. */
  stat(key: string): Promise<{ size: number; contentType?: string } | undefined>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, in lexical order. */
  list(prefix: string): AsyncIterable<string>;
  delete(key: string): Promise<void>;
  /**
   * The whole object with how it is held at rest; undefined when absent. Optional: a store without it
   * keeps objects as written (see readWithProtection).
   */
  read?(key: string): Promise<{ body: Buffer; protection: BlobProtection } | undefined>;
}

export interface ProtectionSummary {
  /** Sealed by the project (storage/envelope.ts), whatever the store adds. */
  encrypted: number;
  /** Plain to the project but encrypted by the store under a KMS key (S3 SSE-KMS). */
  kmsOnly: number;
  /** Readable by anyone who can read the store (S3's default AES256 counts: it guards disks only). */
  plain: number;
  /** Every key an operator must keep to read the snapshot. */
  keyIds: string[];
  kmsKeyIds: string[];
}

export function protectionSummary(protections: readonly BlobProtection[]): ProtectionSummary {
  const summary: ProtectionSummary = { encrypted: 0, kmsOnly: 0, plain: 0, keyIds: [], kmsKeyIds: [] };
  const keyIds = new Set<string>();
  const kmsKeyIds = new Set<string>();
  for (const protection of protections) {
    if (protection.keyId !== undefined) keyIds.add(protection.keyId);
    if (protection.kmsKeyId !== undefined) kmsKeyIds.add(protection.kmsKeyId);
    if (protection.envelope === 'aes-256-gcm') summary.encrypted++;
    else if (protection.serverSide?.startsWith('aws:kms')) summary.kmsOnly++;
    else summary.plain++;
  }
  summary.keyIds = [...keyIds].sort();
  summary.kmsKeyIds = [...kmsKeyIds].sort();
  return summary;
}

/** The object and its protection, from stores that know it and stores that do not. */
export async function readWithProtection(
  store: BlobStore,
  key: string,
): Promise<{ body: Buffer; protection: BlobProtection } | undefined> {
  if (store.read) return store.read(key);
  const body = await store.get(key);
  return body === undefined ? undefined : { body, protection: { envelope: 'none' } };
}

const SAFE_KEY = /^[A-Za-z0-9._=-]+(\/[A-Za-z0-9._=-]+)*$/;

/** Keys never contain "..", empty segments, absolute paths or characters outside [A-Za-z0-9._=-/]. */
export function assertSafeKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new Error(`unsafe blob key ${JSON.stringify(key)}: use [A-Za-z0-9._=-] segments joined by '/'`);
  }
  return key;
}

export async function getJson<T>(store: BlobStore, key: string): Promise<T | undefined> {
  const body = await store.get(key);
  return body === undefined ? undefined : (JSON.parse(body.toString('utf8')) as T);
}

export function putJson(store: BlobStore, key: string, value: unknown): Promise<BlobInfo> {
  return store.put(key, `${JSON.stringify(value, null, 2)}\n`, { contentType: 'application/json' });
}

/** For list(): accepts '' (everything), a key, or a key followed by '/'. */
export function assertSafePrefix(prefix: string): string {
  if (prefix !== '') assertSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** Thrown when a put() would store more than its `maxBytes`; nothing is stored in that case. */
export class BlobTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(`blob ${key} exceeds the limit of ${maxBytes} bytes (maxBytes); nothing was stored`);
    this.name = 'BlobTooLargeError';
  }
}

/**
 * A put() body seen as a sequence of Buffers, hashed and counted as it passes, so neither store has to
 * hold a streamed body whole to know its size and sha256. The limit is checked before each chunk is
 * handed on, so no byte past `maxBytes` ever reaches the destination.
 */
export class MeasuredBody {
  private readonly hash = createHash('sha256');
  private byteCount = 0;

  constructor(
    private readonly key: string,
    private readonly body: string | Uint8Array | Readable,
    private readonly maxBytes: number | undefined,
  ) {}

  /**
   * The whole body when it is already in memory (measured, as chunks() would), so that a store can
   * write it in one call; undefined for a stream, which only chunks() reads.
   */
  whole(): Buffer | undefined {
    if (typeof this.body !== 'string' && !(this.body instanceof Uint8Array)) return undefined;
    const bytes = typeof this.body === 'string' ? Buffer.from(this.body, 'utf8') : Buffer.from(this.body);
    this.accept(bytes);
    return bytes;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    const whole = this.whole();
    if (whole) {
      yield whole;
      return;
    }
    for await (const chunk of this.body as Readable) {
      const bytes = toBuffer(chunk);
      this.accept(bytes);
      yield bytes;
    }
  }

  get size(): number {
    return this.byteCount;
  }

  /** Only meaningful once chunks() has been read to the end. */
  sha256(): string {
    return this.hash.digest('hex');
  }

  private accept(bytes: Buffer): void {
    this.byteCount += bytes.length;
    if (this.maxBytes !== undefined && this.byteCount > this.maxBytes) {
      throw new BlobTooLargeError(this.key, this.maxBytes);
    }
    this.hash.update(bytes);
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`blob body streams must yield bytes or strings, got ${typeof chunk}`);
}

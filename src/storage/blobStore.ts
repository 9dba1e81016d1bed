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

  async *chunks(): AsyncGenerator<Buffer> {
    if (typeof this.body === 'string' || this.body instanceof Uint8Array) {
      const bytes = typeof this.body === 'string' ? Buffer.from(this.body, 'utf8') : Buffer.from(this.body);
      this.accept(bytes);
      yield bytes;
      return;
    }
    for await (const chunk of this.body) {
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

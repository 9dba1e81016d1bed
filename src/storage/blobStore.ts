/**
 * The blob store holds everything bulky: exported JSONL chunks, manifests, attachments, reports.
 * Workflows only ever see its keys. Keys are '/'-separated relative paths made of safe characters
 * (see `assertSafeKey`); the store decides where they live (a local directory or an S3 bucket).
 */
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

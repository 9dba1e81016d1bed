/**
 * The blob store chosen by URL: `file:///abs/dir`, `file://./rel/dir` (relative to the working
 * directory), a plain path, or `s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=true`.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from './blobStore.js';
import { LocalBlobStore } from './localStore.js';
import { S3BlobStore } from './s3Store.js';

export * from './blobStore.js';
export * from './jsonl.js';
export * from './localStore.js';
export * from './s3Store.js';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

export function createBlobStore(url: string): BlobStore {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (url.trim() === '') throw new Error('empty blob store URL');
    return new LocalBlobStore(isAbsolute(url) ? url : resolve(url));
  }
  if (scheme === 's3') return S3BlobStore.fromUrl(url);
  if (scheme === 'file') {
    const rest = url.slice('file://'.length);
    // `file://./dir` is not a valid file URL (it would name host "."), but it is the obvious way to
    // write a directory relative to the working directory, so it is read as exactly that.
    if (!rest.startsWith('/')) return new LocalBlobStore(resolve(rest));
    return new LocalBlobStore(fileURLToPath(url));
  }
  throw new Error(`unsupported blob store URL scheme ${scheme}: use file://, s3:// or a directory path`);
}

/**
 * The blob store chosen by URL: `file:///abs/dir`, `file://./rel/dir` (relative to the working
 * directory), a plain path, or `s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=true`,
 * encrypted at rest (protectedStore.ts) unless opted out.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from './blobStore.js';
import { blobEncryptionFromEnv } from './encryptionSettings.js';
import { blobLayout } from './layout.js';
import { LocalBlobStore } from './localStore.js';
import { ProtectedBlobStore } from './protectedStore.js';
import { S3BlobStore } from './s3Store.js';

export * from './blobStore.js';
export * from './encryptionSettings.js';
export * from './envelope.js';
export * from './jsonl.js';
export * from './localStore.js';
export * from './protectedStore.js';
export * from './s3Store.js';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * The store every process uses: the one named by `url`, with encryption at rest from `env` (the
 * worker's environment; storage/encryptionSettings.ts). `?encryption=none` in the URL opts this store
 * out of encryption explicitly; objects already encrypted stay readable with the keys configured.
 */
export function createBlobStore(url: string, options: { env?: NodeJS.ProcessEnv } = {}): ProtectedBlobStore {
  const { storeUrl, plainByUrl } = encryptionParameter(url);
  const settings = blobEncryptionFromEnv(options.env ?? process.env);
  const inner = createRawBlobStore(storeUrl);
  const sse = inner instanceof S3BlobStore ? inner.serverSideEncryption : undefined;
  return new ProtectedBlobStore(inner, {
    keyring: settings.keyring,
    plainAllowedBy: plainByUrl
      ? '?encryption=none in the blob store URL'
      : settings.optedOut
        ? 'BLOB_ENCRYPTION=off'
        : undefined,
    // Only a KMS key is a choice of protection; S3's default AES256 (SSE-S3) guards against lost disks.
    serverSide: sse?.sse.startsWith('aws:kms') ? sse : undefined,
    isPublic: blobLayout.isPublic,
  });
}

/** The store as it is, without encryption: for the store's own tests and tools that want raw bytes. */
export function createRawBlobStore(url: string): BlobStore & (LocalBlobStore | S3BlobStore) {
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

/** Takes `encryption=none` out of a URL's query, which only this module understands. */
function encryptionParameter(url: string): { storeUrl: string; plainByUrl: boolean } {
  const question = url.indexOf('?');
  if (SCHEME.exec(url) === null || question < 0) return { storeUrl: url, plainByUrl: false };
  const query = new URLSearchParams(url.slice(question + 1));
  const value = query.get('encryption');
  if (value === null) return { storeUrl: url, plainByUrl: false };
  if (value !== 'none') {
    throw Object.assign(
      new Error(
        `encryption=${value} in the blob store URL: the only value is "none", which stores the snapshot's ` +
          'personal data unencrypted; leave it out to encrypt with BLOB_ENCRYPTION_KEY',
      ),
      { name: 'InvalidInput' },
    );
  }
  query.delete('encryption');
  const rest = query.toString();
  return { storeUrl: url.slice(0, question) + (rest === '' ? '' : `?${rest}`), plainByUrl: true };
}

/**
 * The blob store's encryption settings, from the worker's environment (the payload codec's discipline,
 * codec/aesGcmCodec.ts):
 *
 *   BLOB_ENCRYPTION_KEY       base64 of 32 random bytes (`openssl rand -base64 32`): encrypts new objects
 *   BLOB_ENCRYPTION_KEY_ID    its id, written into every object (default "k-" + 12 hex of its SHA-256)
 *   BLOB_ENCRYPTION_OLD_KEYS  rotated-out keys that still decrypt: comma list of "id:base64key"
 *   BLOB_ENCRYPTION           "off" stores new objects in plain form on purpose; unset or "on" requires
 *                             a key (or SSE-KMS named in an S3 URL) before anything is written
 *
 * Only the workers (and the CLI reading a migration's blobs) need these. The router reads nothing but
 * the public rollout state, which is stored plain (blobLayout.isPublic), so it is given no key.
 */
import { parseKeySettings } from '../codec/aesGcmCodec.js';
import { BlobKeyring } from './envelope.js';

export interface BlobEncryptionSettings {
  keyring?: BlobKeyring;
  /** BLOB_ENCRYPTION=off: new objects are written plain on purpose. */
  optedOut: boolean;
}

const OFF = new Set(['off', 'none', 'false', '0']);
const ON = new Set(['', 'on', 'required', 'true', '1']);

function invalidInput(message: string): Error {
  return Object.assign(new Error(message), { name: 'InvalidInput' });
}

export function blobEncryptionFromEnv(env: NodeJS.ProcessEnv = process.env): BlobEncryptionSettings {
  const mode = (env.BLOB_ENCRYPTION ?? '').trim().toLowerCase();
  if (!OFF.has(mode) && !ON.has(mode)) {
    throw invalidInput(
      `BLOB_ENCRYPTION is "${mode}": use "off" to store the snapshot unencrypted, or leave it unset`,
    );
  }
  try {
    const keys = parseKeySettings(
      {
        key: env.BLOB_ENCRYPTION_KEY,
        keyId: env.BLOB_ENCRYPTION_KEY_ID,
        oldKeys: env.BLOB_ENCRYPTION_OLD_KEYS,
      },
      'BLOB_ENCRYPTION',
    );
    return { keyring: keys && new BlobKeyring(keys), optedOut: OFF.has(mode) };
  } catch (error) {
    // The codec's ValueError would be retried as an unknown error; a bad key is a configuration fault.
    throw invalidInput((error as Error).message);
  }
}

/** The worker's start-up line: what it will do to the snapshots it writes. */
export function describeBlobEncryption(settings: BlobEncryptionSettings): string {
  if (settings.optedOut) {
    return 'blob store encryption: OFF (BLOB_ENCRYPTION=off): new snapshot objects hold personal data in plain form';
  }
  if (settings.keyring) {
    return (
      `blob store encryption: AES-256-GCM, new objects under key "${settings.keyring.currentKeyId}"; ` +
      `reads keys ${settings.keyring.keyIds.map((id) => `"${id}"`).join(', ')}`
    );
  }
  return (
    'blob store encryption: no BLOB_ENCRYPTION_KEY: writes will fail unless a migration names a KMS key ' +
    'in its S3 URL (?sse=aws:kms&kmsKeyId=...) or opts out (?encryption=none, or BLOB_ENCRYPTION=off)'
  );
}

/**
 * Payload encryption for Temporal: AES-256-GCM over each whole payload (metadata included), so the
 * Temporal Server, its database and anyone reading histories see only ciphertext. Each encrypted
 * payload names its key ('encryption-key-id' metadata), which lets keys rotate: new payloads use the
 * current key, and payloads written under earlier keys stay readable while those keys are configured.
 *
 * The format is the one of Temporal's TypeScript encryption sample: encoding 'binary/encrypted', data
 * = 12-byte IV, ciphertext of the length-delimited Payload protobuf, 16-byte GCM tag.
 *
 *   PAYLOAD_CODEC_KEY       base64 of 32 random bytes (`openssl rand -base64 32`); enables the codec
 *   PAYLOAD_CODEC_KEY_ID    the current key's id (default: derived from the key, "k-" + 12 hex digits)
 *   PAYLOAD_CODEC_OLD_KEYS  earlier keys, still accepted for decoding: comma list of "id:base64key"
 *                           (or a bare "base64key", whose id is derived the same way)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const ProtoPayload = proto.temporal.api.common.v1.Payload;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

export interface AesGcmCodecOptions {
  /** Encrypts every new payload. */
  current: CodecKey;
  /** Rotated-out keys: only used to decrypt payloads written under them. */
  previous?: CodecKey[];
}

/** A stable id for a key that does not reveal it (first 48 bits of its SHA-256). */
export function keyFingerprint(key: Uint8Array): string {
  return `k-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * Every key by id, the current one first, after checking ids and lengths. Shared with the blob store's
 * envelope encryption (storage/envelope.ts), which follows the same key discipline; `what` names the
 * user in messages.
 */
export function checkedKeyMap(options: AesGcmCodecOptions, what: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of [options.current, ...(options.previous ?? [])]) {
    if (!KEY_ID_PATTERN.test(entry.id)) {
      throw new ValueError(`${what} key id "${entry.id}" must be 1-64 of A-Z a-z 0-9 . _ -`);
    }
    if (entry.key.length !== KEY_BYTES) {
      throw new ValueError(
        `${what} key "${entry.id}" has ${entry.key.length} bytes; AES-256 needs ${KEY_BYTES}`,
      );
    }
    const key = Buffer.from(entry.key);
    const known = keys.get(entry.id);
    if (known && !known.equals(key)) {
      throw new ValueError(`${what} key id "${entry.id}" is configured with two different keys`);
    }
    keys.set(entry.id, key);
  }
  return keys;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  readonly currentKeyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(options: AesGcmCodecOptions) {
    this.keys = checkedKeyMap(options, 'payload codec');
    this.currentKeyId = options.current.id;
  }

  /** Ids of every key this codec can decrypt with, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plaintext = ProtoPayload.encodeDelimited(payload).finish();
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_ENCRYPTION_KEY_ID]: Buffer.from(this.currentKeyId),
        },
        data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      // Payloads written before encryption was turned on (or by `temporal workflow start --input`)
      // are plain: pass them through, as Temporal's codec guidance recommends.
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_ENCRYPTION_KEY_ID];
      if (!keyIdBytes) throw new ValueError('encrypted payload has no encryption-key-id metadata');
      const keyId = Buffer.from(keyIdBytes).toString();
      const key = this.keys.get(keyId);
      if (!key) {
        throw new ValueError(
          `payload was encrypted with key "${keyId}", which is not configured ` +
            `(known: ${this.keyIds.join(', ')}); add it to PAYLOAD_CODEC_OLD_KEYS`,
        );
      }
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) {
        throw new ValueError(`encrypted payload (key "${keyId}") is too short to be valid`);
      }
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new ValueError(
          `encrypted payload failed authentication with key "${keyId}": it was altered, or the key is wrong`,
        );
      }
      return ProtoPayload.decodeDelimited(plaintext);
    });
  }
}

function parseKey(base64: string, what: string): Buffer {
  const text = base64.trim();
  const key = Buffer.from(text, 'base64');
  // Buffer.from ignores stray characters; a key that does not round-trip is a typo, not a key.
  if (key.toString('base64') !== text || key.length !== KEY_BYTES) {
    throw new ValueError(
      `${what} must be the base64 of exactly ${KEY_BYTES} bytes (openssl rand -base64 32)`,
    );
  }
  return key;
}

/** Keys from PAYLOAD_CODEC_KEY, PAYLOAD_CODEC_KEY_ID and PAYLOAD_CODEC_OLD_KEYS; undefined when unset. */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv): AesGcmCodecOptions | undefined {
  return parseKeySettings(
    { key: env.PAYLOAD_CODEC_KEY, keyId: env.PAYLOAD_CODEC_KEY_ID, oldKeys: env.PAYLOAD_CODEC_OLD_KEYS },
    'PAYLOAD_CODEC',
  );
}

/** The three settings of a rotatable key set, as read from `<prefix>_KEY`, `_KEY_ID`, `_OLD_KEYS`. */
export interface KeySettings {
  key: string | undefined;
  keyId: string | undefined;
  oldKeys: string | undefined;
}

/**
 * The payload codec's and the blob store's keys have the same shape (storage/encryptionSettings.ts);
 * undefined when no current key is set. `prefix` names the variables in messages.
 */
export function parseKeySettings(settings: KeySettings, prefix: string): AesGcmCodecOptions | undefined {
  if (!settings.key?.trim()) return undefined;
  const key = parseKey(settings.key, `${prefix}_KEY`);
  const current: CodecKey = { id: settings.keyId?.trim() || keyFingerprint(key), key };
  const previous: CodecKey[] = [];
  for (const entry of (settings.oldKeys ?? '').split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    // Base64 has no ':', so the first one separates an explicit id from the key.
    const separator = trimmed.indexOf(':');
    const oldKey = parseKey(trimmed.slice(separator + 1), `each ${prefix}_OLD_KEYS key`);
    previous.push({
      id: separator >= 0 ? trimmed.slice(0, separator).trim() : keyFingerprint(oldKey),
      key: oldKey,
    });
  }
  return { current, previous };
}

/** The codec the worker, CLI and codec server share, or undefined when PAYLOAD_CODEC_KEY is not set. */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const keys = codecKeysFromEnv(env);
  return keys ? new AesGcmPayloadCodec(keys) : undefined;
}

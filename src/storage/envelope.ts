/**
 * The blob store's envelope: AES-256-GCM over an object in segments, so an attachment of any size is
 * encrypted and decrypted as it streams, holding one segment (64 KiB) at a time. The construction is
 * the "STREAM" one of Hoang, Reyhanitabar, Rogaway and Vizár (online AE, 2015), as Google Tink's
 * AES-GCM-HKDF streaming AEAD and age use it:
 *
 *   header   magic "\x89I2Cenc\n" (8) | version 1 (1) | key id length (1) | key id |
 *            plaintext bytes per segment, uint32 BE (4) | salt (16) | nonce prefix (7)
 *   segments ciphertext of `segment` plaintext bytes + GCM tag (16), the last one shorter (maybe empty)
 *
 * Each object gets its own key, HKDF-SHA256(master key, salt), so the 96-bit nonces (nonce prefix |
 * uint32 BE segment index | 1 if last else 0) never repeat under one key however many objects a master
 * key encrypts over the years. Every segment authenticates the header and the blob key, so no header
 * field, segment order, truncation (the last-segment flag) or swap of two objects goes unnoticed.
 *
 * Why node:crypto and not a library: the format needs HKDF and AES-GCM, both in node:crypto (OpenSSL);
 * the AWS Encryption SDK would bring a message format built around KMS keyrings and many dependencies
 * for the same two primitives, and Tink has no maintained JavaScript streaming AEAD. The keys follow the
 * payload codec's discipline (codec/aesGcmCodec.ts): an id in every object, one key encrypts, every
 * configured key decrypts.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { type AesGcmCodecOptions, checkedKeyMap } from '../codec/aesGcmCodec.js';
import { blobLayout } from './layout.js';

/** PNG-style: the high byte catches 7-bit mangling, the newline catches line-ending conversion. */
export const ENVELOPE_MAGIC = Buffer.from([0x89, 0x49, 0x32, 0x43, 0x65, 0x6e, 0x63, 0x0a]);
const VERSION = 1;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024;
const SALT_BYTES = 16;
const NONCE_PREFIX_BYTES = 7;
const TAG_BYTES = 16;
const HKDF_INFO = Buffer.from('intercom-to-chatwoot blob envelope v1');
/** The longest header: key ids are at most 64 characters (codec/aesGcmCodec.ts). */
export const MAX_HEADER_BYTES = ENVELOPE_MAGIC.length + 2 + 64 + 4 + SALT_BYTES + NONCE_PREFIX_BYTES;

/** A failure a retry cannot cure: the object or the configuration is wrong (activities/failures.ts). */
function failure(name: 'InvalidData' | 'InvalidInput', message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** How a blob key appears in messages, which reach workflow histories (no attachment file names). */
export function keyForMessages(blobKey: string): string {
  return blobLayout.withoutAttachmentFile(blobKey);
}

export class BlobKeyring {
  readonly currentKeyId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(options: AesGcmCodecOptions) {
    this.keys = checkedKeyMap(options, 'blob encryption');
    this.currentKeyId = options.current.id;
  }

  /** Every key id that decrypts, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  key(id: string, blobKey: string): Buffer {
    const key = this.keys.get(id);
    if (!key) {
      throw failure(
        'InvalidInput',
        `blob ${keyForMessages(blobKey)} was encrypted with key "${id}", which is not configured ` +
          `(known: ${this.keyIds.join(', ')}); add it to BLOB_ENCRYPTION_OLD_KEYS in the worker's environment`,
      );
    }
    return key;
  }
}

export interface EnvelopeHeader {
  keyId: string;
  segmentBytes: number;
  salt: Buffer;
  noncePrefix: Buffer;
  /** The header's bytes, authenticated with every segment. */
  raw: Buffer;
}

/** True when `bytes` (an object's first bytes) start with the envelope's magic. */
export function isEnvelope(bytes: Uint8Array): boolean {
  return (
    bytes.length >= ENVELOPE_MAGIC.length && ENVELOPE_MAGIC.equals(bytes.subarray(0, ENVELOPE_MAGIC.length))
  );
}

/** The header at the start of `bytes`, or undefined when more bytes are needed to read it whole. */
export function parseHeader(bytes: Buffer, blobKey: string): EnvelopeHeader | undefined {
  const fixed = ENVELOPE_MAGIC.length + 2;
  if (bytes.length < fixed) return undefined;
  if (bytes[ENVELOPE_MAGIC.length] !== VERSION) {
    throw failure(
      'InvalidData',
      `blob ${keyForMessages(blobKey)} has envelope version ${bytes[ENVELOPE_MAGIC.length]}, which this worker does not know`,
    );
  }
  const idLength = bytes[ENVELOPE_MAGIC.length + 1] as number;
  const length = fixed + idLength + 4 + SALT_BYTES + NONCE_PREFIX_BYTES;
  if (bytes.length < length) return undefined;
  const segmentBytes = bytes.readUInt32BE(fixed + idLength);
  if (idLength === 0 || segmentBytes === 0) {
    throw failure('InvalidData', `blob ${keyForMessages(blobKey)} has a damaged encryption header`);
  }
  const saltAt = fixed + idLength + 4;
  return {
    keyId: bytes.subarray(fixed, fixed + idLength).toString('latin1'),
    segmentBytes,
    salt: Buffer.from(bytes.subarray(saltAt, saltAt + SALT_BYTES)),
    noncePrefix: Buffer.from(bytes.subarray(saltAt + SALT_BYTES, length)),
    raw: Buffer.from(bytes.subarray(0, length)),
  };
}

function objectKey(master: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, salt, HKDF_INFO, 32));
}

function nonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const bytes = Buffer.alloc(12);
  prefix.copy(bytes, 0);
  bytes.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  bytes[11] = last ? 1 : 0;
  return bytes;
}

function associatedData(header: Buffer, blobKey: string): Buffer {
  return Buffer.concat([header, Buffer.from(blobKey, 'utf8')]);
}

/**
 * Encrypts a stream of plaintext for `blobKey` under the keyring's current key. One segment is held
 * back until the next byte arrives, since only then is it known not to be the last.
 */
export async function* encryptSegments(
  plaintext: AsyncIterable<Buffer>,
  keyring: BlobKeyring,
  blobKey: string,
  segmentBytes = DEFAULT_SEGMENT_BYTES,
): AsyncGenerator<Buffer> {
  const keyId = Buffer.from(keyring.currentKeyId, 'latin1');
  const salt = randomBytes(SALT_BYTES);
  const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(segmentBytes);
  const header = Buffer.concat([
    ENVELOPE_MAGIC,
    Buffer.from([VERSION, keyId.length]),
    keyId,
    size,
    salt,
    noncePrefix,
  ]);
  const key = objectKey(keyring.key(keyring.currentKeyId, blobKey), salt);
  const aad = associatedData(header, blobKey);
  let index = 0;
  const seal = (segment: Buffer, last: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(noncePrefix, index++, last));
    cipher.setAAD(aad);
    return Buffer.concat([cipher.update(segment), cipher.final(), cipher.getAuthTag()]);
  };
  yield header;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of plaintext) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes <= segmentBytes) continue;
    const joined = Buffer.concat(pending, pendingBytes);
    let offset = 0;
    // Strictly more than a segment left: the segment at `offset` is not the last.
    while (joined.length - offset > segmentBytes) {
      yield seal(joined.subarray(offset, offset + segmentBytes), false);
      offset += segmentBytes;
    }
    pending = [joined.subarray(offset)];
    pendingBytes = joined.length - offset;
  }
  yield seal(Buffer.concat(pending, pendingBytes), true);
}

function authenticationFailure(blobKey: string, keyId: string): Error {
  return failure(
    'InvalidData',
    `blob ${keyForMessages(blobKey)} failed authentication with key "${keyId}": it was altered or truncated, or the key is wrong`,
  );
}

function openSegment(
  key: Buffer,
  header: EnvelopeHeader,
  aad: Buffer,
  index: number,
  last: boolean,
  sealed: Buffer,
  blobKey: string,
): Buffer {
  if (sealed.length < TAG_BYTES) throw authenticationFailure(blobKey, header.keyId);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce(header.noncePrefix, index, last));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw authenticationFailure(blobKey, header.keyId);
  }
}

/** The plaintext size of an object of `storedBytes` with this header, or undefined if no size fits. */
export function plaintextSize(header: EnvelopeHeader, storedBytes: number): number | undefined {
  const body = storedBytes - header.raw.length;
  const sealedSegment = header.segmentBytes + TAG_BYTES;
  const full = Math.floor(body / sealedSegment);
  const rest = body % sealedSegment;
  if (rest === 0) return full > 0 ? full * header.segmentBytes : undefined;
  return rest >= TAG_BYTES ? full * header.segmentBytes + rest - TAG_BYTES : undefined;
}

/** Decrypts a whole object read into memory. */
export function decryptObject(stored: Buffer, keyring: BlobKeyring, blobKey: string): Buffer {
  const header = parseHeader(stored, blobKey);
  if (!header)
    throw failure('InvalidData', `blob ${keyForMessages(blobKey)} is cut short inside its encryption header`);
  const key = objectKey(keyring.key(header.keyId, blobKey), header.salt);
  const aad = associatedData(header.raw, blobKey);
  const sealedSegment = header.segmentBytes + TAG_BYTES;
  const parts: Buffer[] = [];
  let offset = header.raw.length;
  let index = 0;
  do {
    const end = Math.min(offset + sealedSegment, stored.length);
    const last = stored.length - offset <= sealedSegment;
    parts.push(openSegment(key, header, aad, index++, last, stored.subarray(offset, end), blobKey));
    offset = end;
  } while (offset < stored.length);
  return Buffer.concat(parts);
}

/**
 * Decrypts a stream whose first bytes (`head`, at least the whole header) were already read. Like
 * encryption, it holds one sealed segment back until it knows whether more follow.
 */
export async function* decryptSegments(
  head: Buffer,
  rest: AsyncIterable<Buffer> | Iterable<Buffer>,
  keyring: BlobKeyring,
  blobKey: string,
): AsyncGenerator<Buffer> {
  const header = parseHeader(head, blobKey);
  if (!header)
    throw failure('InvalidData', `blob ${keyForMessages(blobKey)} is cut short inside its encryption header`);
  const key = objectKey(keyring.key(header.keyId, blobKey), header.salt);
  const aad = associatedData(header.raw, blobKey);
  const sealedSegment = header.segmentBytes + TAG_BYTES;
  let pending = head.subarray(header.raw.length);
  let index = 0;
  for await (const chunk of rest) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset > sealedSegment) {
      yield openSegment(
        key,
        header,
        aad,
        index++,
        false,
        pending.subarray(offset, offset + sealedSegment),
        blobKey,
      );
      offset += sealedSegment;
    }
    pending = pending.subarray(offset);
  }
  yield openSegment(key, header, aad, index, true, pending, blobKey);
}

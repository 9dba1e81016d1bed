/**
 * The split of website visitors between the Intercom and Chatwoot widgets.
 *
 * The migration guide's snippet `parseInt(userId.slice(-2), 16) < 100 * pctNew` compares a value in
 * 0..255 with 0..100 (so "10%" sent about 4% of visitors), read only two hex characters, and gave NaN
 * for ids not ending in hex. Here the whole id is hashed into one of 10,000 buckets, and a visitor uses
 * Chatwoot when their bucket is below percentage × 100. Raising the percentage only adds buckets, so
 * nobody who has moved to Chatwoot is sent back.
 *
 * The browser loader (loader.ts) repeats this computation in plain JavaScript; the two must agree bit
 * for bit, which is why it uses nothing but UTF-8 bytes, Math.imul and unsigned shifts.
 */

export const BUCKET_COUNT = 10_000;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * MurmurHash3's finaliser. FNV-1a alone spreads ids that differ only in their last characters (1, 2,
 * 3, ...) unevenly over the high bits that pick the bucket (30.8% of 100,000 sequential ids land under
 * 30%); the finaliser makes every input bit affect every output bit.
 */
export function mix32(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A stable bucket in [0, 10000) for a user id. */
export function bucketOf(userId: string): number {
  // Scaling (rather than `% 10000`) keeps every bucket the same size to within one part in 430,000,
  // and the arithmetic is exact in doubles: the product stays below 2^46.
  return Math.floor((mix32(fnv1a32(userId)) * BUCKET_COUNT) / 4294967296);
}

/** Whether the user sees the Chatwoot widget when `percentage` (0..100, fractions allowed) is rolled out. */
export function usesChatwoot(userId: string, percentage: number): boolean {
  return bucketOf(userId) < percentage * 100;
}

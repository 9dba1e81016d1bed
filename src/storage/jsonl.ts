/**
 * Exports are written as numbered JSONL chunks (one JSON record per line) so an export can be
 * resumed after the last chunk written, imported in parallel, and checked chunk by chunk. Chunks are
 * small enough (a page of records) to be written and read whole.
 */
import type { BlobStore } from './blobStore.js';

export const JSONL_CONTENT_TYPE = 'application/x-ndjson';

export interface JsonlChunkRef {
  key: string;
  /** Number of records in the chunk. */
  count: number;
  sha256: string;
}

/** JSON.stringify escapes newlines inside strings, so one record is always exactly one line. */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + (records.length ? '\n' : '');
}

export function parseJsonl<T>(body: Buffer | string, key = 'JSONL'): T[] {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const records: T[] = [];
  text.split('\n').forEach((line, index) => {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim() === '') return;
    try {
      records.push(JSON.parse(trimmed) as T);
    } catch (error) {
      throw new Error(`invalid JSON on line ${index + 1} of ${key}: ${(error as Error).message}`);
    }
  });
  return records;
}

/** Overwrites: a retried write of the same records under the same key leaves one chunk. */
export async function writeJsonlChunk(
  store: BlobStore,
  key: string,
  records: readonly unknown[],
): Promise<JsonlChunkRef> {
  const info = await store.put(key, toJsonl(records), { contentType: JSONL_CONTENT_TYPE });
  return { key, count: records.length, sha256: info.sha256 };
}

/** A missing chunk is an `InvalidData` failure: the export it belongs to is incomplete, no retry helps. */
export async function readJsonlChunk<T>(store: BlobStore, key: string): Promise<T[]> {
  const body = await store.get(key);
  if (body === undefined)
    throw Object.assign(new Error(`blob ${key} is missing from the store ${store.url}`), {
      name: 'InvalidData',
    });
  return parseJsonl<T>(body, key);
}

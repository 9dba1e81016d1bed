/**
 * Exports are written as numbered JSONL chunks (one JSON record per line) so an export can be
 * resumed after the last chunk written, imported in parallel, and checked chunk by chunk.
 */
import { createInterface } from 'node:readline';
import type { BlobStore } from './blobStore.js';

export interface JsonlChunkInfo {
  key: string;
  /** Number of records in the chunk. */
  count: number;
  sha256: string;
  size: number;
}

export interface JsonlChunkWriterOptions {
  /** A chunk is written as soon as it holds this many records. */
  recordsPerChunk: number;
  /**
   * A chunk is also written once its serialised records reach this many bytes, so a run of very large
   * records (long conversations) cannot make one chunk too big to read whole.
   */
  maxChunkBytes?: number;
  /** Number of the first chunk this writer writes; a resumed export passes the next unwritten one. */
  startIndex?: number;
}

export const JSONL_CONTENT_TYPE = 'application/x-ndjson';

export function jsonlChunkKey(dir: string, index: number): string {
  return `${dir}/chunk-${String(index).padStart(6, '0')}.jsonl`;
}

export class JsonlChunkWriter<T> {
  private lines: string[] = [];
  private pendingBytes = 0;
  private index: number;
  private readonly recordsPerChunk: number;
  private readonly maxChunkBytes: number;

  constructor(
    private readonly store: BlobStore,
    private readonly dir: string,
    options: JsonlChunkWriterOptions,
  ) {
    if (!Number.isInteger(options.recordsPerChunk) || options.recordsPerChunk < 1) {
      throw new Error(`recordsPerChunk must be a positive integer, got ${options.recordsPerChunk}`);
    }
    this.recordsPerChunk = options.recordsPerChunk;
    this.maxChunkBytes = options.maxChunkBytes ?? Number.POSITIVE_INFINITY;
    this.index = options.startIndex ?? 1;
    if (!Number.isInteger(this.index) || this.index < 1) {
      throw new Error(`startIndex must be a positive integer, got ${options.startIndex}`);
    }
  }

  /** Number of the chunk the next flush writes. */
  get nextIndex(): number {
    return this.index;
  }

  /** Records added but not yet written. */
  get pendingCount(): number {
    return this.lines.length;
  }

  /** Adds a record; returns the chunk written if this record filled one. */
  async add(record: T): Promise<JsonlChunkInfo | undefined> {
    // JSON.stringify escapes newlines inside strings, so one record is always exactly one line.
    const line = `${JSON.stringify(record)}\n`;
    this.lines.push(line);
    this.pendingBytes += Buffer.byteLength(line, 'utf8');
    if (this.lines.length >= this.recordsPerChunk || this.pendingBytes >= this.maxChunkBytes) {
      return this.flush();
    }
    return undefined;
  }

  /** Writes the pending records, if any, as the next chunk. */
  async flush(): Promise<JsonlChunkInfo | undefined> {
    if (this.lines.length === 0) return undefined;
    const key = jsonlChunkKey(this.dir, this.index);
    const info = await this.store.put(key, this.lines.join(''), { contentType: JSONL_CONTENT_TYPE });
    const chunk: JsonlChunkInfo = { key, count: this.lines.length, sha256: info.sha256, size: info.size };
    // Only after a successful put, so a failed write can be retried with the same records and number.
    this.lines = [];
    this.pendingBytes = 0;
    this.index += 1;
    return chunk;
  }
}

function parseLine<T>(line: string, key: string, lineNumber: number): T {
  try {
    return JSON.parse(line) as T;
  } catch (error) {
    throw new Error(`invalid JSON on line ${lineNumber} of ${key}: ${(error as Error).message}`);
  }
}

/** All records of a chunk; for chunks small enough to hold in memory, which the writer's are. */
export async function readJsonlChunk<T>(store: BlobStore, key: string): Promise<T[]> {
  const body = await store.get(key);
  if (body === undefined) throw new Error(`JSONL chunk ${key} not found in ${store.url}`);
  const records: T[] = [];
  body
    .toString('utf8')
    .split('\n')
    .forEach((line, index) => {
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed !== '') records.push(parseLine<T>(trimmed, key, index + 1));
    });
  return records;
}

/** The records of a chunk one at a time, reading the blob as a stream. */
export async function* readJsonlLines<T>(store: BlobStore, key: string): AsyncGenerator<T> {
  const stream = await store.getStream(key);
  if (stream === undefined) throw new Error(`JSONL chunk ${key} not found in ${store.url}`);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line !== '') yield parseLine<T>(line, key, lineNumber);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

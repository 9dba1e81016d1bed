/**
 * The export's on-disk shape: each entity is a folder of JSONL chunks plus a manifest with counts,
 * keys and checksums. Shared by export, import, rehosting and verification.
 */
import { createHash } from 'node:crypto';
import type { ContactLeftOutReason, ConversationLeftOutReason } from '../mapping/filters.js';
import { type BlobStore, getJson, putJson } from '../storage/blobStore.js';
import { readJsonlChunk, writeJsonlChunk } from '../storage/jsonl.js';
import { blobLayout } from '../storage/layout.js';
import type { ChunkRef, ExportEntityName } from './contract.js';

export interface EntityManifest {
  entity: ExportEntityName | string;
  count: number;
  chunks: ChunkRef[];
  complete: boolean;
  exportedAt: string;
  /** Conversations only: ids whose parts were cut at Intercom's cap (part count below the statistics). */
  truncated?: { conversationId: string; returnedParts: number; totalParts: number }[];
  /** Companies only: how often the scroll expired and had to start over. */
  restarts?: number;
  /** Conversations only: how many Intercom lists (total_count, before filters), for progress. */
  listed?: number;
  /** Conversations only: ones Intercom served unusable, set aside instead of exported (not in any chunk). */
  rejected?: RejectedConversation[];
  /**
   * What the input's filters left out (src/mapping/filters.ts): reasons on the conversations'
   * manifest, unreferenced contacts on the contacts'. Absent without filters or in older exports.
   */
  leftOut?: {
    conversations?: Record<ConversationLeftOutReason, number>;
    contacts?: Record<ContactLeftOutReason, number>;
  };
  /** Records left out because their person was erased on request (activities/erasure/erasureList.ts). */
  erased?: number;
}

/** A conversation quarantined at export: its payload did not match the schema, or was too large. */
export interface RejectedConversation {
  conversationId: string;
  /** e.g. "unexpected shape: conversation_parts.conversation_parts.2.created_at: ..." */
  reason: string;
  /** The raw payload and the schema issues; absent when there is no payload (a response over the size cap). */
  blobKey?: string;
}

export async function writeChunk(
  store: BlobStore,
  key: string,
  records: readonly unknown[],
): Promise<ChunkRef> {
  return writeJsonlChunk(store, key, records);
}

export const readChunk = readJsonlChunk;

export async function readManifest(store: BlobStore, key: string): Promise<EntityManifest> {
  const manifest = await getJson<EntityManifest>(store, key);
  if (!manifest) {
    throw Object.assign(new Error(`manifest ${key} is missing: run the export first`), {
      name: 'InvalidData',
    });
  }
  return manifest;
}

export function writeManifest(store: BlobStore, dir: string, manifest: EntityManifest): Promise<string> {
  const key = blobLayout.manifestIn(dir);
  return putJson(store, key, manifest).then(() => key);
}

/** Iterates an entity's records chunk by chunk, never holding more than one chunk. */
export async function* recordsOf<T>(store: BlobStore, manifest: EntityManifest): AsyncGenerator<T> {
  for (const chunk of manifest.chunks) {
    for (const record of await readChunk<T>(store, chunk.key)) yield record;
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The activity contract between workflows and activities: argument and result types, and a few
 * pure helpers on them, so the workflow bundle can import it without pulling in Node-only code. Arguments carry ids, counts and
 * blob keys, never bulk data, personal data or secrets.
 */
import type { MigrationInput } from '../config.js';
import type { ReconciliationCounts } from '../reconciliationLine.js';

export type ExportEntityName =
  | 'contacts'
  | 'companies'
  | 'tags'
  | 'teams'
  | 'admins'
  | 'macros'
  | 'dataAttributes'
  | 'collections'
  | 'articles'
  | 'conversations'
  | 'tickets'
  | 'ticketTypes'
  | 'ticketStates';

export interface ChunkRef {
  key: string;
  count: number;
  sha256: string;
  /**
   * Conversation chunks: whether any conversation in it has attachments to rehost. Absent in
   * manifests written before it existed, which is read as "maybe".
   */
  attachments?: boolean;
}

export interface EntityExportResult {
  entity: ExportEntityName;
  count: number;
  chunks: number;
  manifestKey: string;
  /** Companies' scroll had to start over (expired); duplicates were dropped by id. */
  restarts?: number;
  /** Conversations whose parts were cut at Intercom's 500-part cap. */
  truncated?: number;
  /** Conversations set aside (malformed or oversized payload); listed in the manifest's `rejected`. */
  rejected?: number;
  /** Conversations or contacts the input's filters left out (by reason in the manifest's `leftOut`). */
  leftOut?: number;
}

export interface ExportArgs {
  input: MigrationInput;
  /**
   * Sent by export workflows started before the rehosting child found chunks itself; ignored now
   * (activities do not signal workflows). Kept so their scheduled activities still decode.
   */
  rehostWorkflowId?: string;
}

export interface DeltaExportArgs extends ExportArgs {
  /** Unix seconds: export conversations updated after this (minus the overlap window). */
  since: number;
  /** Unix seconds: the high-water mark this run records (the run's start). */
  until: number;
  /** Distinguishes this delta's chunks from others'. */
  runKey: string;
}

export interface DeltaExportResult {
  /** Conversations created or updated in the window, deduplicated by id. */
  count: number;
  /** Manifest of the delta's conversation chunks (empty when count is 0). */
  manifestKey: string;
  /** Manifest of the contacts those conversations refer to. */
  contactsManifestKey: string;
  deletedCount: number;
  highWater: number;
  /** Conversations set aside (malformed or oversized payload); listed in the delta manifest's `rejected`. */
  rejected?: number;
  /** Conversations of the window the input's filters left out (not fetched, not imported). */
  leftOut?: number;
}

export interface RehostArgs {
  input: MigrationInput;
  chunkKey: string;
}

/** What the rehosting child has not seen yet of the conversation export. */
export interface ChunksToRehost {
  /** Chunks written since `known` that hold attachments, in export order. */
  chunkKeys: string[];
  /** How many chunks the export has written so far: the next call's `known`. */
  written: number;
  /** The export has written its last chunk. */
  complete: boolean;
  /** The export's figures read from the same manifest (absent in results of older workers). */
  exported?: ExportedSoFar;
}

/** How far the conversations' export is: counts from its partial manifest, no extra request. */
export interface ExportedSoFar {
  /** Conversations written to chunks. */
  conversations: number;
  /** Left out by the input's filters, and set aside (malformed or oversized), so far. */
  leftOut: number;
  rejected: number;
  /** Conversations Intercom lists (its total_count, before filters); absent when it gave none. */
  listed?: number;
  /** The input's limit (a rehearsal): the export stops there. 0: none. */
  limit: number;
  complete: boolean;
}

/**
 * One worker's use of the Chatwoot budget when an activity finished (clients/sendBudget.ts usage()).
 * `sender` is a random id of the worker's pacer, so samples of several workers can be added up.
 */
export interface ChatwootRateSample {
  sender: string;
  sentPerSecond: number;
  /** This worker's share of the budget now. */
  capPerSecond: number;
  /** CHATWOOT_REQUESTS_PER_SECOND: the budget of all workers together. */
  budgetPerSecond: number;
}

export interface RehostResult {
  attachments: number;
  downloaded: number;
  alreadyStored: number;
  refreshed: number;
  failed: number;
  bytes: number;
}

export const emptyRehostResult = (): RehostResult => ({
  attachments: 0,
  downloaded: 0,
  alreadyStored: 0,
  refreshed: 0,
  failed: 0,
  bytes: 0,
});

/** Adds `result` into `totals`, field by field. */
export function addRehostResult(totals: RehostResult, result: RehostResult): void {
  for (const key of Object.keys(totals) as (keyof RehostResult)[]) totals[key] += result[key];
}

export interface MappingResult {
  mappingKey: string;
  inboxId: number;
  labels: number;
  teams: number;
  agentsMatched: number;
  agentsUnmatched: number;
  cannedResponses: number;
  articles: number;
}

export interface ContactImportResult {
  created: number;
  existing: number;
  merged: number;
  failed: number;
}

export interface ConversationImportArgs {
  input: MigrationInput;
  conversationId: string;
  chunkKey: string;
  /**
   * A conversation this attempt creates leaves its labels and final status to POST /bulk_actions
   * (activities/import/bulkActions.ts): the import workflow's IMPORT_BULK_FINAL_STATE.
   */
  batchFinalState?: boolean;
}

export interface ConversationImportResult {
  conversationId: string;
  chatwootConversationId: number;
  created: boolean;
  messagesPosted: number;
  messagesAlreadyThere: number;
  attachmentsUploaded: number;
  attachmentsMissing: number;
  /** Its labels and status wait in a final-state blob for the batch; its sync record is not written yet. */
  finalStatePending?: boolean;
  /** The worker's Chatwoot request rate when it finished (absent without a budget, or from older workers). */
  chatwootRate?: ChatwootRateSample;
}

export interface ReconciliationSummary extends ReconciliationCounts {
  /**
   * Conversations quarantined at export and not (yet) in Chatwoot: counted in conversations.expected,
   * not in `missing`; the report lists them with their reason and payload blob for the operator.
   */
  rejected: number;
  reportKey: string;
}

export interface CsatComparison {
  intercomScore: number | null;
  chatwootScore: number | null;
  intercomRatings: number;
  chatwootRatings: number;
  /** True when Chatwoot trails by more than the configured margin. */
  behind: boolean;
}

export interface RolloutStateRecord {
  account: number;
  percentage: number;
  /** "1/4" .. "4/4", "not-started", or "cut-over": what the widget router shows. */
  phase: string;
  updatedAt: string;
  history: { at: string; percentage: number; reason: string }[];
}

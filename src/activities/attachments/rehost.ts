/**
 * Rehosting: every attachment and inline image of a conversation chunk is streamed into the blob
 * store while its signed link is fresh, with size, content type and sha256. A link found expired
 * re-fetches its conversation (once) for a fresh one; a host that fails for a moment is tried again.
 * What still cannot be had is recorded in the conversation's attachment index with the reason, and
 * the migration goes on. Keys are stable per (conversation, message, index) and the index is saved as
 * files land, so a retried chunk downloads only what it does not have yet.
 */
import { Context, sleep } from '@temporalio/activity';
import {
  AttachmentExpired,
  AttachmentRefused,
  AttachmentUnavailable,
  openAttachment,
  type SafeFetchPolicy,
  sanitizeFileName,
} from '../../clients/attachments/safeFetch.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { Conversation } from '../../clients/intercom/schemas.js';
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { type PlannedMessage, planMessages } from '../../mapping/index.js';
import { ticketAsConversation, ticketConversationId } from '../../mapping/tickets.js';
import { type BlobStore, BlobTooLargeError, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import {
  type ChunksToRehost,
  type ExportedSoFar,
  emptyRehostResult,
  type RehostArgs,
  type RehostResult,
} from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { type EntityManifest, readChunk } from '../manifests.js';
import type { OnQueue } from '../queues.js';

export interface StoredAttachment {
  /** Planned message source id and the attachment's index in it. */
  messageSourceId: string;
  index: number;
  key: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  inline: boolean;
}

/**
 * Why an attachment was given up: `refused` (outside the policy: host, scheme, size) and `gone` (no
 * longer on the conversation) are final; `expired` and `unavailable` are tried again on a later run.
 */
export type AttachmentFailureKind = 'refused' | 'gone' | 'expired' | 'unavailable';

export interface AttachmentFailure {
  conversationId: string;
  messageSourceId: string;
  index: number;
  fileName: string;
  reason: string;
  kind?: AttachmentFailureKind;
}

export interface ConversationAttachmentIndex {
  conversationId: string;
  stored: StoredAttachment[];
  failed: AttachmentFailure[];
}

/** The plan both rehosting and import use, so their (message, index) keys agree. */
export function plannedAttachments(conversation: Conversation, input: MigrationInput) {
  return planMessages(conversation, {
    activityParts: input.import.activityParts,
    timestampLine: input.import.timestampLine,
  }).flatMap((message: PlannedMessage) => message.attachments.map((attachment) => ({ message, attachment })));
}

export function readAttachmentIndex(
  store: BlobStore,
  account: number,
  conversationId: string,
): Promise<ConversationAttachmentIndex | undefined> {
  return getJson<ConversationAttachmentIndex>(store, blobLayout.attachmentIndex(account, conversationId));
}

/** Attempts per download when the host fails for a moment (429, 5xx, dropped connection). */
const TRANSIENT_TRIES = 3;
const TRANSIENT_BACKOFF_MS = 500;
/** The index is rewritten after this many outcomes, so a crash in a long conversation loses little. */
const SAVE_EVERY = 10;
/** Conversations of a chunk whose attachments download at once. */
const CONVERSATIONS_AT_ONCE = 4;
/**
 * Downloads of one conversation at once. One at a time, a conversation with a hundred attachments
 * took ~16 s at the CDN's ~150 ms while the rest of its chunk was long done, and the import, which
 * follows the export chunk by chunk once a chunk is rehosted, waited for it (issue 15). Four at once
 * still kept the realistic bench's first chunk 8.6 s behind its 500-part conversation's ~200 files,
 * and that conversation, whose messages go one after the other, then set the import's end. The files
 * come from the CDN's signed links (S3 or CloudFront), not the API: no rate limit of Intercom's counts them.
 */
const ATTACHMENTS_AT_ONCE = 8;

const attachmentId = (messageSourceId: string, index: number) => `${messageSourceId}#${index}`;

/** The content type Intercom gave the file, unless that says nothing and the host says more. */
function chooseContentType(planned: string, served: string | undefined): string {
  const servedType = served?.split(';')[0]?.trim().toLowerCase();
  if (planned !== 'application/octet-stream' || !servedType) return planned;
  return servedType;
}

class ConversationGone extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversationGone';
  }
}

function failureKind(error: unknown): AttachmentFailureKind | undefined {
  if (error instanceof AttachmentRefused || error instanceof BlobTooLargeError) return 'refused';
  if (error instanceof ConversationGone) return 'gone';
  if (error instanceof AttachmentExpired) return 'expired';
  if (error instanceof AttachmentUnavailable) return 'unavailable';
  return undefined;
}

/** On the last attempt Temporal will make, a host that keeps failing is recorded instead of failing the export. */
function isLastActivityAttempt(): boolean {
  const { attempt, retryPolicy } = Context.current().info;
  const maximum = retryPolicy?.maximumAttempts;
  return maximum !== undefined && maximum > 0 && attempt >= maximum;
}

export const attachmentsQueue = taskQueues.main;

export function createAttachmentActivities(deps: ActivityDeps) {
  async function rehostConversation(
    input: MigrationInput,
    conversation: Conversation,
    totals: RehostResult,
    position: number,
    /** A fresh copy with fresh links (a ticket's comes from GET /tickets/{id}). */
    refetch: () => Promise<Conversation> = () => deps.intercom(input).getConversation(conversation.id),
  ): Promise<void> {
    const store = deps.store(input);
    const policy: SafeFetchPolicy = { ...input.attachments };
    const indexKey = blobLayout.attachmentIndex(input.account, conversation.id);
    const existing = await readAttachmentIndex(store, input.account, conversation.id);
    const stored = new Map(
      (existing?.stored ?? []).map((s) => [attachmentId(s.messageSourceId, s.index), s]),
    );
    const failed = new Map(
      (existing?.failed ?? []).map((f) => [attachmentId(f.messageSourceId, f.index), f]),
    );
    // Details say how many conversations of the chunk are done, and which attachment is on its way.
    let current: string | undefined;
    const heartbeat = () => Context.current().heartbeat({ conversationsDone: position, attachment: current });
    const planned = plannedAttachments(conversation, input);
    // Downloads finish in any order; the index keeps the plan's, so a message's files upload in order.
    const planOrder = new Map(
      planned.map((p, i) => [attachmentId(p.message.sourceId, p.attachment.index), i]),
    );
    const inPlanOrder = <T extends { messageSourceId: string; index: number }>(items: Iterable<T>) =>
      [...items].sort(
        (a, b) =>
          (planOrder.get(attachmentId(a.messageSourceId, a.index)) ?? 0) -
          (planOrder.get(attachmentId(b.messageSourceId, b.index)) ?? 0),
      );
    let unsaved = 0;
    // Saves go one after the other, each with the state at its turn: a slow earlier write never
    // lands over a later one.
    let saving: Promise<void> = Promise.resolve();
    const save = (): Promise<void> => {
      saving = saving.then(async () => {
        if (unsaved === 0) return;
        unsaved = 0;
        await putJson(store, indexKey, {
          conversationId: conversation.id,
          stored: inPlanOrder(stored.values()),
          failed: inPlanOrder(failed.values()),
        } satisfies ConversationAttachmentIndex);
      });
      return saving;
    };

    // Signed links last about 30 minutes: a fresh copy of the conversation carries fresh ones.
    let fresh: Promise<Conversation> | undefined;
    const freshLink = async (messageSourceId: string, index: number): Promise<string> => {
      fresh ??= refetch().catch((error: unknown) => {
        if (error instanceof HttpFailure && error.status === 404) {
          throw new ConversationGone('the conversation is no longer in Intercom');
        }
        throw error;
      });
      const again = plannedAttachments(await fresh, input).find(
        (p) => p.message.sourceId === messageSourceId && p.attachment.index === index,
      );
      if (!again) throw new ConversationGone('the attachment is no longer on the conversation');
      return again.attachment.url;
    };

    const rehostOne = async ({ message, attachment }: (typeof planned)[number]): Promise<void> => {
      totals.attachments++;
      const id = attachmentId(message.sourceId, attachment.index);
      if (stored.has(id)) {
        totals.alreadyStored++;
        return;
      }
      const earlier = failed.get(id);
      if (earlier && (earlier.kind === 'refused' || earlier.kind === 'gone')) {
        totals.failed++;
        return;
      }
      current = id;
      const fileName = sanitizeFileName(attachment.name, attachment.inline ? 'inline-image' : 'attachment');
      const key = blobLayout.attachmentFile(
        input.account,
        conversation.id,
        message.sourceId,
        attachment.index,
        fileName,
      );

      const downloadOnce = async (url: string) => {
        const opened = await openAttachment(url, policy, { onProgress: heartbeat });
        const contentType = chooseContentType(attachment.contentType, opened.contentType);
        try {
          const info = await store.put(key, opened.stream, { contentType, maxBytes: policy.maxBytes });
          return { info, contentType };
        } finally {
          opened.stream.destroy();
        }
      };
      const download = async (url: string) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await downloadOnce(url);
          } catch (error) {
            if (!(error instanceof AttachmentUnavailable) || attempt >= TRANSIENT_TRIES) throw error;
            heartbeat();
            await sleep(TRANSIENT_BACKOFF_MS * 2 ** (attempt - 1));
          }
        }
      };

      try {
        let result: Awaited<ReturnType<typeof download>>;
        try {
          result = await download(attachment.url);
        } catch (error) {
          if (!(error instanceof AttachmentExpired)) throw error;
          const url = await freshLink(message.sourceId, attachment.index);
          totals.refreshed++;
          result = await download(url);
        }
        stored.set(id, {
          messageSourceId: message.sourceId,
          index: attachment.index,
          key,
          fileName,
          contentType: result.contentType,
          size: result.info.size,
          sha256: result.info.sha256,
          inline: attachment.inline,
        });
        failed.delete(id);
        totals.downloaded++;
        totals.bytes += result.info.size;
      } catch (error) {
        const kind = failureKind(error);
        const recordable =
          kind === 'refused' || kind === 'gone' || kind === 'expired' || isLastActivityAttempt();
        if (kind === undefined || !recordable) throw error;
        totals.failed++;
        failed.set(id, {
          conversationId: conversation.id,
          messageSourceId: message.sourceId,
          index: attachment.index,
          fileName,
          reason: (error as Error).message,
          kind,
        });
      }
      unsaved++;
      if (unsaved >= SAVE_EVERY) await save();
      heartbeat();
    };

    // After a failure no lane starts another download; it is raised once every lane has stopped and
    // what was stored is saved, so no write outlives the attempt.
    let next = 0;
    let firstFailure: { error: unknown } | undefined;
    const lane = async () => {
      while (!firstFailure && next < planned.length) {
        const item = planned[next++] as (typeof planned)[number];
        try {
          await rehostOne(item);
        } catch (error) {
          firstFailure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ATTACHMENTS_AT_ONCE, planned.length) }, lane));
    await save();
    if (firstFailure) throw firstFailure.error;
  }

  /**
   * The conversation chunks written since the rehosting child last looked, from the export's partial
   * manifest (rewritten after every chunk): the child polls this instead of being signalled by the
   * export activity, so activities never drive workflows.
   */
  async function findChunksToRehost(
    { input }: { input: MigrationInput },
    known: number,
  ): Promise<ChunksToRehost> {
    return chunksWrittenSince(input, 'conversations', known);
  }

  async function rehostAttachments({ input, chunkKey }: RehostArgs): Promise<RehostResult> {
    const store = deps.store(input);
    const conversations = await readChunk<Conversation>(store, chunkKey);
    const result = await rehostChunk(
      input,
      conversations,
      (conversation) => () => deps.intercom(input).getConversation(conversation.id),
    );
    // What an import following the export waits for (findChunksToImport): only after every index of
    // the chunk is saved, so no message of it is posted before its attachments are in the store.
    await putJson(store, blobLayout.rehostedChunk(chunkKey), { chunkKey, ...result });
    return result;
  }

  /** A ticket chunk: each ticket in its conversation shape, its links refreshed by GET /tickets/{id}. */
  async function rehostTicketAttachments({ input, chunkKey }: RehostArgs): Promise<RehostResult> {
    const tickets = await readChunk<Ticket>(deps.store(input), chunkKey);
    const byConversationId = new Map(tickets.map((ticket) => [ticketConversationId(ticket.id), ticket.id]));
    return rehostChunk(
      input,
      tickets.map(ticketAsConversation),
      (conversation) => async () =>
        ticketAsConversation(
          await deps.intercom(input).getTicket(byConversationId.get(conversation.id) ?? ''),
        ),
    );
  }

  /** The ticket chunks written since the child last looked (see findChunksToRehost). */
  async function findTicketChunksToRehost(
    { input }: { input: MigrationInput },
    known: number,
  ): Promise<ChunksToRehost> {
    return chunksWrittenSince(input, 'tickets', known);
  }

  /** The chunks of an entity's partial manifest after the first `known`, those that may hold links. */
  async function chunksWrittenSince(
    input: MigrationInput,
    entity: 'conversations' | 'tickets',
    known: number,
  ): Promise<ChunksToRehost> {
    const manifest = await getJson<EntityManifest>(
      deps.store(input),
      blobLayout.entityManifest(input.account, entity),
    );
    if (!manifest) return { chunkKeys: [], written: known, complete: false };
    return {
      chunkKeys: manifest.chunks
        .slice(known)
        .filter((chunk) => chunk.attachments !== false)
        .map((chunk) => chunk.key),
      written: Math.max(known, manifest.chunks.length),
      complete: manifest.complete,
      ...(entity === 'conversations' ? { exported: exportedSoFar(manifest, input.import.limit) } : {}),
    };
  }

  /** The export's progress, read from the manifest already fetched (the migration's page shows it). */
  function exportedSoFar(manifest: EntityManifest, limit: number): ExportedSoFar {
    const leftOut = Object.values(manifest.leftOut?.conversations ?? {}).reduce((a, b) => a + b, 0);
    return {
      conversations: manifest.count,
      leftOut,
      rejected: manifest.rejected?.length ?? 0,
      ...(manifest.listed !== undefined ? { listed: manifest.listed } : {}),
      limit,
      complete: manifest.complete,
    };
  }

  async function rehostChunk(
    input: MigrationInput,
    conversations: Conversation[],
    refetchFor: (conversation: Conversation) => () => Promise<Conversation>,
  ): Promise<RehostResult> {
    const totals = emptyRehostResult();
    // A few conversations at a time: a CDN answers each file in ~100 ms, and one at a time would
    // leave the chunk's later links to expire. Each conversation has its own index blob, so lanes
    // never write the same key; after a failure no lane starts another conversation, and the
    // failure is raised once every lane has stopped, so no write outlives the attempt.
    let next = 0;
    let done = 0;
    let firstFailure: { error: unknown } | undefined;
    const lane = async () => {
      while (!firstFailure && next < conversations.length) {
        const position = next++;
        try {
          const conversation = conversations[position];
          await rehostConversation(input, conversation, totals, position, refetchFor(conversation));
          done++;
          Context.current().heartbeat({ conversationsDone: done });
        } catch (error) {
          firstFailure ??= { error };
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONVERSATIONS_AT_ONCE, conversations.length) }, lane));
    if (firstFailure) throw firstFailure.error;
    return totals;
  }

  return { findChunksToRehost, rehostAttachments, findTicketChunksToRehost, rehostTicketAttachments };
}

export type AttachmentActivities = OnQueue<
  typeof attachmentsQueue,
  ReturnType<typeof createAttachmentActivities>
>;

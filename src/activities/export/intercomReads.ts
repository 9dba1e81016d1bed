/**
 * Intercom-side activities: paged exports that heartbeat their cursor and resume from it, the delta
 * export of the parallel run, tagging migrated conversations and, only on an explicit decision,
 * deleting the Intercom data. They run on the intercom-reads task queue whose workers share one
 * global rate (maxTaskQueueActivitiesPerSecond); the client paces individual requests.
 */
import { Context, sleep } from '@temporalio/activity';
import { describeIssuePath, ResponseShapeError, ResponseTooLargeError } from '../../clients/httpCore.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import type { IntercomClient } from '../../clients/intercom/client.js';
import type { Contact, Conversation } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import {
  addLeftOutCounts,
  contactVerdict,
  conversationVerdict,
  emptyLeftOutCounts,
  intercomSearchQuery,
  type LeftOutCounts,
  type MigrationFilters,
} from '../../mapping/filters.js';
import { planMessages } from '../../mapping/index.js';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type {
  ChunkRef,
  DeltaExportArgs,
  DeltaExportResult,
  EntityExportResult,
  ExportArgs,
  ExportEntityName,
} from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { type ErasureFilter, erasureFilter } from '../erasure/erasureList.js';
import { type EntityManifest, type RejectedConversation, writeChunk, writeManifest } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { recordIntercomMerge, withContactExtras } from './contactExtras.js';
import { referencedContactIds } from './filtering.js';
import { createTicketExportActivities } from './tickets.js';

interface PagedCheckpoint {
  cursor?: string;
  chunkIndex: number;
  count: number;
  truncated: EntityManifest['truncated'];
  /** Optional: heartbeats of attempts started before quarantine existed lack it. */
  rejected?: RejectedConversation[];
  restarts: number;
  /** What the input's filters left out so far (absent in attempts started before filters existed). */
  leftOut?: LeftOutCounts;
  /** Conversations Intercom lists (total_count of the first page read): the progress's total. */
  listed?: number;
  /** Records left out as erased on request so far. */
  erased?: number;
}

/**
 * `rejected`: items of this page set aside instead of written; `leftOut`: items the filters left out.
 * Both are recorded with the page's chunk.
 */
type Page<T> = {
  items: T[];
  next?: string;
  rejected?: RejectedConversation[];
  leftOut?: LeftOutCounts;
  /** The list's total_count, for progress (the conversations' export). */
  listed?: number;
  /** Items of this page left out as erased on request (the erasure list). */
  erased?: number;
};

/** How many times the delta re-reads its search when a pass still brings new conversations. */
const MAX_DELTA_PASSES = 5;
/** Intercom closes an idle companies scroll after a minute; wait a little longer for one left open. */
const OPEN_SCROLL_WAIT_MS = 90_000;

const isNotFound = (error: unknown) => error instanceof HttpFailure && error.status === 404;
const isScrollExists = (error: unknown) =>
  error instanceof HttpFailure && error.status === 400 && /scroll_exists/.test(error.message);

/** Runs `fetchDetails` over items with a small concurrency, keeping their order. */
async function mapInOrder<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}

const resumeCheckpointFromScratch = (): PagedCheckpoint => ({
  chunkIndex: 0,
  count: 0,
  truncated: [],
  rejected: [],
  restarts: 0,
});

function resumeCheckpoint(): PagedCheckpoint {
  const details = Context.current().info.heartbeatDetails as PagedCheckpoint | undefined;
  return details ? structuredClone(details) : resumeCheckpointFromScratch();
}

/** How many schema issues a rejection's reason quotes; the blob keeps them all. */
const ISSUES_IN_REASON = 3;
/**
 * Beyond this many rejections in one export the cause is the schema or the API version, not a few bad
 * records: the export stops instead of setting the workspace aside piece by piece. It also keeps the
 * list, which travels in heartbeats and the manifest, far below Temporal's 2 MB payload limit.
 */
export const MAX_REJECTED_CONVERSATIONS = 200;

function stopWhenTooManyRejected(account: number, rejected: readonly RejectedConversation[]): void {
  if (rejected.length <= MAX_REJECTED_CONVERSATIONS) return;
  throw Object.assign(
    new Error(
      `Intercom served more than ${MAX_REJECTED_CONVERSATIONS} conversations that cannot be exported ` +
        `(the latest: ${rejected.at(-1)?.reason}): this looks like an API or schema change rather than a few ` +
        `bad records. Check the Intercom-Version and the schemas against the payloads kept under ` +
        `${blobLayout.rejectedConversationsDir(account)}, then run the export again.`,
    ),
    { name: 'InvalidData' },
  );
}

/**
 * Sets one conversation aside: its payload and every schema issue go to the blob store (none for an
 * oversized answer, which was never read whole), and the entry says why, for the manifest and report.
 */
async function quarantineConversation(
  store: BlobStore,
  account: number,
  conversationId: string,
  error: ResponseShapeError | ResponseTooLargeError,
): Promise<RejectedConversation> {
  let rejected: RejectedConversation;
  if (error instanceof ResponseTooLargeError) {
    const size = `${error.sizeKnown ? '' : 'more than '}${error.bytes} bytes`;
    rejected = { conversationId, reason: `response too large (${size}, cap ${error.capBytes})` };
  } else {
    const issues = error.issues.map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment))),
      message: issue.message,
    }));
    const shown = error.issues
      .slice(0, ISSUES_IN_REASON)
      .map((issue) => `${describeIssuePath(issue.path)}: ${issue.message}`)
      .join('; ');
    const more = issues.length > ISSUES_IN_REASON ? ` (and ${issues.length - ISSUES_IN_REASON} more)` : '';
    const reason = `unexpected shape: ${shown}${more}`;
    const blobKey = blobLayout.rejectedConversation(account, conversationId);
    await putJson(store, blobKey, {
      conversationId,
      endpoint: error.endpoint,
      reason,
      issues,
      rejectedAt: new Date().toISOString(),
      payload: error.payload ?? null,
    });
    rejected = { conversationId, reason, blobKey };
  }
  Context.current().log.warn('conversation quarantined instead of exported', { ...rejected });
  return rejected;
}

interface FetchedConversations {
  conversations: Conversation[];
  rejected: RejectedConversation[];
}

/**
 * Full conversations in list order. One deleted after it was listed answers 404: it is left out (it
 * shows up in the deleted list) instead of failing the export for good. One whose answer is unusable
 * (not matching the schema, or over the client's size cap) is quarantined, so that a single bad
 * conversation neither stops the migration nor disappears unnoticed. Any other failure fails the
 * export as before.
 */
async function fetchConversations(
  intercom: IntercomClient,
  store: BlobStore,
  account: number,
  ids: string[],
): Promise<FetchedConversations> {
  type Outcome = { conversation: Conversation } | { rejected: RejectedConversation } | undefined;
  const outcomes = await mapInOrder(ids, 4, async (id): Promise<Outcome> => {
    try {
      return { conversation: await intercom.getConversation(id) };
    } catch (error) {
      if (error instanceof ResponseShapeError || error instanceof ResponseTooLargeError) {
        return { rejected: await quarantineConversation(store, account, id, error) };
      }
      if (!isNotFound(error)) throw error;
      Context.current().log.warn('conversation deleted since it was listed; skipped', { conversationId: id });
      return undefined;
    }
  });
  const fetched: FetchedConversations = { conversations: [], rejected: [] };
  for (const outcome of outcomes) {
    if (outcome && 'conversation' in outcome) fetched.conversations.push(outcome.conversation);
    else if (outcome) fetched.rejected.push(outcome.rejected);
  }
  return fetched;
}

/** The first page of conversations a listing asks for; each next one is twice as long, up to pageSize. */
export const FIRST_CONVERSATION_PAGE = 10;

/**
 * Page sizes for the conversations' listing, one chunk a page: the import follows the export chunk by
 * chunk once a chunk's attachments are rehosted, so a first chunk of pageSize (150) conversations
 * would keep Chatwoot idle while all of them are fetched and their attachments downloaded (~40 s on
 * the bench's realistic profile at 100 conversations). Small first pages let the import start within
 * a second or two; doubling reaches pageSize after a few pages, so a large export lists as before
 * plus about four requests. The cursor names a record, not a page (Intercom's pagination guide), so
 * sizes may change between pages; a resumed attempt simply starts small again.
 */
export function growingPageSize(pageSize: number): (pageIndex: number) => number {
  return (pageIndex) => Math.min(pageSize, FIRST_CONVERSATION_PAGE * 2 ** Math.min(pageIndex, 20));
}

export function hasAttachments(conversation: Conversation): boolean {
  return planMessages(conversation, { activityParts: 'note', timestampLine: false }).some(
    (m) => m.attachments.length > 0,
  );
}

/**
 * Contact pages with each contact's notes, and companies and tags beyond the first 10 (contactExtras.ts).
 * Under `contacts: referenced` only the contacts a kept conversation or a ticket names are kept; the
 * others cost no extras requests.
 */
async function* contactPagesWithExtras(
  intercom: IntercomClient,
  cursor: string | undefined,
  perPage: number,
  filters: MigrationFilters | undefined,
  erased: ErasureFilter,
): AsyncGenerator<Page<Contact>> {
  const referenced =
    filters?.contacts === 'referenced'
      ? await referencedContactIds(intercom, filters, perPage, (progress) =>
          Context.current().heartbeat({ listingReferences: progress.listed }),
        )
      : new Set<string>();
  for await (const page of intercom.contactPages(cursor, perPage)) {
    const kept = page.items.filter((contact) => contactVerdict(filters, contact.id, referenced).kept);
    const leftOut = emptyLeftOutCounts();
    leftOut.contacts.unreferenced = page.items.length - kept.length;
    // Before the extras: an erased person's notes, tags and companies are not even asked for.
    const live = kept.filter((contact) => !erased.erasedContact(contact));
    const items = await withContactExtras(intercom, live);
    yield { items, next: page.next, leftOut, erased: kept.length - live.length };
  }
}

/** The manifest's `leftOut`: the conversations' reasons on their manifest, the contacts' on theirs. */
function manifestLeftOut(
  entity: string,
  leftOut: LeftOutCounts | undefined,
): Pick<EntityManifest, 'leftOut'> {
  if (!leftOut) return {};
  if (entity === 'conversations') return { leftOut: { conversations: leftOut.conversations } };
  if (entity === 'contacts') return { leftOut: { contacts: leftOut.contacts } };
  return {};
}

function leftOutTotal(entity: string, leftOut: LeftOutCounts | undefined): number | undefined {
  if (!leftOut) return undefined;
  if (entity === 'conversations') return Object.values(leftOut.conversations).reduce((a, b) => a + b, 0);
  if (entity === 'contacts') return leftOut.contacts.unreferenced;
  return undefined;
}

export const exportQueue = taskQueues.intercom;

export function createExportActivities(deps: ActivityDeps) {
  /**
   * Streams pages into one chunk each. The checkpoint (heartbeated after every chunk) is the cursor
   * of the next page, so a crash re-reads at most the page in progress and rewrites its chunk under
   * the same key: nothing lost, nothing doubled.
   */
  async function exportPaged<T>(
    input: MigrationInput,
    entity: ExportEntityName,
    /** Pages from the checkpoint's cursor on; the checkpoint is kept current as chunks are written. */
    pages: (checkpoint: Readonly<PagedCheckpoint>) => AsyncGenerator<Page<T>>,
    onChunk?: (records: T[], ref: ChunkRef, checkpoint: PagedCheckpoint) => Promise<void>,
  ): Promise<EntityExportResult> {
    const store = deps.store(input);
    const dir = blobLayout.entityDir(input.account, entity);
    let checkpoint = resumeCheckpoint();
    let chunks: ChunkRef[] = [];
    if (checkpoint.chunkIndex > 0) {
      // The partial manifest is written before each heartbeat, so it lists at least the checkpoint's
      // chunks; if it does not (the store was cleared), starting over is the only safe way on.
      const partial = await getJson<EntityManifest>(store, blobLayout.manifestIn(dir));
      if (partial && partial.chunks.length >= checkpoint.chunkIndex) {
        chunks = partial.chunks.slice(0, checkpoint.chunkIndex);
      } else {
        Context.current().log.warn('the partial manifest of a resumed export is missing: starting over', {
          entity,
        });
        checkpoint = resumeCheckpointFromScratch();
      }
    }
    const finishedBefore = checkpoint.chunkIndex > 0 && checkpoint.cursor === undefined;
    if (!finishedBefore) {
      for await (const page of pages(checkpoint)) {
        const ref = await writeChunk(store, blobLayout.chunk(dir, checkpoint.chunkIndex + 1), page.items);
        if (onChunk) await onChunk(page.items, ref, checkpoint);
        chunks.push(ref);
        checkpoint.chunkIndex++;
        checkpoint.count += page.items.length;
        // With the page's chunk and under the same heartbeat: a page read again after a crash before
        // that heartbeat starts from a checkpoint without its rejections, so none is recorded twice.
        if (page.rejected?.length) checkpoint.rejected = [...(checkpoint.rejected ?? []), ...page.rejected];
        if (page.leftOut)
          checkpoint.leftOut = addLeftOutCounts(checkpoint.leftOut ?? emptyLeftOutCounts(), page.leftOut);
        if (page.erased) checkpoint.erased = (checkpoint.erased ?? 0) + page.erased;
        checkpoint.cursor = page.next;
        if (page.listed !== undefined) checkpoint.listed ??= page.listed;
        await writeManifest(store, dir, manifestOf(entity, checkpoint, chunks, false));
        // A copy: the worker may serialise details after this returns, and the checkpoint moves on.
        Context.current().heartbeat(structuredClone(checkpoint));
        if (!page.next) break;
      }
    }
    const manifest = manifestOf(entity, checkpoint, chunks, true);
    const manifestKey = await writeManifest(store, dir, manifest);
    return {
      entity,
      count: manifest.count,
      chunks: chunks.length,
      manifestKey,
      truncated: manifest.truncated?.length,
      rejected: manifest.rejected?.length,
      restarts: checkpoint.restarts || undefined,
      leftOut: leftOutTotal(entity, checkpoint.leftOut),
    };
  }

  function manifestOf(
    entity: string,
    checkpoint: PagedCheckpoint,
    chunks: ChunkRef[],
    complete: boolean,
  ): EntityManifest {
    return {
      entity,
      count: chunks.reduce((sum, c) => sum + c.count, 0),
      chunks,
      complete,
      exportedAt: new Date().toISOString(),
      truncated: entity === 'conversations' ? checkpoint.truncated : undefined,
      rejected: entity === 'conversations' ? (checkpoint.rejected ?? []) : undefined,
      restarts: checkpoint.restarts || undefined,
      ...manifestLeftOut(entity, checkpoint.leftOut),
      ...(checkpoint.erased ? { erased: checkpoint.erased } : {}),
      ...(entity === 'conversations' && checkpoint.listed !== undefined ? { listed: checkpoint.listed } : {}),
    };
  }

  /** Page-numbered lists checkpoint the next page number as their cursor. */
  async function* numbered<T>(
    pages: AsyncGenerator<{ items: T[]; nextPage?: number }>,
  ): AsyncGenerator<Page<T>> {
    for await (const page of pages)
      yield { items: page.items, next: page.nextPage === undefined ? undefined : String(page.nextPage) };
  }

  /** One-shot lists (tags, teams, admins, attribute definitions) as a single chunk. */
  async function* once<T>(load: () => Promise<T[]>): AsyncGenerator<Page<T>> {
    yield { items: await load() };
  }

  async function exportEntity(
    { input }: { input: MigrationInput },
    entity: ExportEntityName,
  ): Promise<EntityExportResult> {
    const intercom = deps.intercom(input);
    const perPage = input.export.pageSize;
    switch (entity) {
      case 'contacts': {
        // People erased on request stay out of a re-run's full export too (activities/erasure/).
        const erased = await erasureFilter(deps.store(input), input.account);
        return exportPaged(input, entity, ({ cursor }) =>
          contactPagesWithExtras(intercom, cursor, perPage, input.filters, erased),
        );
      }
      case 'companies':
        return exportCompanies(input);
      case 'tags':
        return exportPaged(input, entity, () => once(() => intercom.tags()));
      case 'teams':
        return exportPaged(input, entity, () => once(() => intercom.teams()));
      case 'admins':
        return exportPaged(input, entity, () => once(() => intercom.admins()));
      case 'macros':
        return exportPaged(input, entity, ({ cursor }) => intercom.macroPages(cursor));
      case 'dataAttributes':
        return exportPaged(input, entity, () =>
          once(async () => {
            const models = ['contact', 'company', 'conversation'] as const;
            // Archived definitions too: contacts may still hold their values, and the export is the archive.
            const lists = await Promise.all(
              models.map((model) => intercom.dataAttributes(model, { includeArchived: true })),
            );
            return lists.flat();
          }),
        );
      case 'collections':
        return exportPaged(input, entity, ({ cursor }) =>
          numbered(intercom.collectionPages(cursor ? Number(cursor) : 1)),
        );
      case 'articles':
        return exportPaged(input, entity, ({ cursor }) =>
          numbered(intercom.articlePages(cursor ? Number(cursor) : 1)),
        );
      case 'conversations':
        return exportConversations({ input });
      case 'tickets':
        return createTicketExportActivities(deps).exportTickets({ input });
      case 'ticketTypes':
      case 'ticketStates': {
        const results = await createTicketExportActivities(deps).exportTicketTypes({ input });
        return results.find((result) => result.entity === entity) as EntityExportResult;
      }
    }
  }

  /**
   * Companies come through Intercom's scroll: one scroll per app, expiring after a minute idle, a
   * 500 meaning start over. A restart re-reads from the beginning, so ids already written are skipped.
   * A scroll left open by a crashed attempt blocks a new one ("scroll_exists") until it expires, so
   * the retry waits for that rather than failing the export.
   */
  async function exportCompanies(input: MigrationInput): Promise<EntityExportResult> {
    const store = deps.store(input);
    const dir = blobLayout.entityDir(input.account, 'companies');
    const intercom = deps.intercom(input);
    const checkpoint: PagedCheckpoint = { chunkIndex: 0, count: 0, truncated: undefined, restarts: 0 };
    const seen = new Set<string>();
    const chunks: ChunkRef[] = [];
    const waitUntil = Date.now() + OPEN_SCROLL_WAIT_MS;
    for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        for await (const page of intercom.companyScroll()) {
          if (page.restarted) checkpoint.restarts++;
          const fresh = page.items.filter((company) => !seen.has(company.id));
          for (const company of fresh) seen.add(company.id);
          if (fresh.length === 0) continue;
          checkpoint.chunkIndex++;
          chunks.push(await writeChunk(store, blobLayout.chunk(dir, checkpoint.chunkIndex), fresh));
          Context.current().heartbeat({ companies: seen.size });
        }
        break;
      } catch (error) {
        if (!isScrollExists(error)) throw error;
        if (Date.now() + delayMs > waitUntil) {
          // Retryable: Temporal tries again later, by when the other scroll has expired or finished.
          throw new Error(
            'another companies scroll is still open in this Intercom workspace (a crashed attempt, or another export): it expires after a minute idle',
          );
        }
        Context.current().heartbeat({ companies: seen.size, waitingForOpenScroll: true });
        await sleep(delayMs);
      }
    }
    const manifest = manifestOf('companies', checkpoint, chunks, true);
    const manifestKey = await writeManifest(store, dir, manifest);
    return {
      entity: 'companies',
      count: manifest.count,
      chunks: chunks.length,
      manifestKey,
      restarts: checkpoint.restarts,
    };
  }

  /**
   * Conversations: the list carries no parts, so every conversation is fetched whole. Each written
   * chunk is in the partial manifest at once, where the rehosting child finds it within seconds,
   * while its signed links are fresh.
   */
  async function exportConversations({ input }: ExportArgs): Promise<EntityExportResult> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const limit = input.import.limit;
    const erased = await erasureFilter(store, input.account);
    return exportPaged<Conversation>(
      input,
      'conversations',
      async function* (checkpoint) {
        const perPage = growingPageSize(input.export.pageSize);
        for await (const page of intercom.conversationPages(checkpoint.cursor, perPage)) {
          // The limit counts what earlier attempts wrote too (checkpoint.count), so a resumed
          // rehearsal stops at the same place. Rejected conversations do not count towards it.
          const full: Conversation[] = [];
          const rejected: RejectedConversation[] = [];
          const wanted = () =>
            limit > 0 ? limit - checkpoint.count - full.length : Number.POSITIVE_INFINITY;
          // Judged on the list item, so a left-out conversation is never fetched whole.
          const leftOut = emptyLeftOutCounts();
          const listed: string[] = [];
          let erasedInPage = 0;
          for (const item of page.items) {
            const verdict = conversationVerdict(input.filters, item);
            if (!verdict.kept) leftOut.conversations[verdict.reason]++;
            // An erased person's conversation (by id, contact or opening author) is not even fetched.
            else if (erased.erasedConversation(item)) erasedInPage++;
            else listed.push(item.id);
          }
          while (listed.length > 0 && wanted() > 0) {
            const fetched = await fetchConversations(
              intercom,
              store,
              input.account,
              listed.splice(0, Math.min(listed.length, wanted())),
            );
            // A part written by an erased person shows only in the whole conversation.
            const kept = fetched.conversations.filter(
              (conversation) => !erased.erasedConversation(conversation),
            );
            erasedInPage += fetched.conversations.length - kept.length;
            full.push(...kept);
            rejected.push(...fetched.rejected);
            stopWhenTooManyRejected(input.account, [...(checkpoint.rejected ?? []), ...rejected]);
          }
          const reachedLimit = limit > 0 && wanted() <= 0;
          yield {
            items: full,
            next: reachedLimit ? undefined : page.next,
            rejected,
            leftOut,
            listed: page.total,
            erased: erasedInPage,
          };
          if (reachedLimit) return;
        }
      },
      async (conversations, ref, checkpoint) => {
        for (const conversation of conversations) {
          const returned = conversation.conversation_parts?.conversation_parts.length ?? 0;
          const total = conversation.statistics?.count_conversation_parts ?? returned;
          if (total > returned) {
            checkpoint.truncated?.push({
              conversationId: conversation.id,
              returnedParts: returned,
              totalParts: total,
            });
          }
        }
        // The rehosting child lists the manifest for chunks with attachments (findChunksToRehost).
        ref.attachments = conversations.some(hasAttachments);
      },
    );
  }

  /**
   * The parallel run's delta: conversations updated since the last high-water mark (the window
   * overlaps, because Intercom's search cursor can skip or repeat items updated while paging),
   * deduplicated by id, plus the contacts they refer to and the deletions since. The cursor is a
   * position in a live ordering, so a conversation updated while paging shifts the rest and one can be
   * skipped: the search is read again until a pass brings nothing new. Conversations updated after
   * `until` are left to the next run, whose window starts before `until`.
   */
  async function exportDelta(args: DeltaExportArgs): Promise<DeltaExportResult> {
    const { input } = args;
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const convDir = blobLayout.deltaPart(input.account, args.runKey, 'conversations');
    const contactDir = blobLayout.deltaPart(input.account, args.runKey, 'contacts');
    // People erased on request (activities/erasure/) stay out: their contacts and conversations.
    const erased = await erasureFilter(store, input.account);
    const seen = new Set<string>();
    const contactIds = new Set<string>();
    const chunks: ChunkRef[] = [];
    const rejected: RejectedConversation[] = [];
    // The same filters as the full export: the search is narrowed by state where they name states, and
    // every listed conversation is judged again (the verdict decides). A conversation left out once is
    // imported by a later delta only when it then passes (updated since the date, now in a kept state).
    const narrowing = intercomSearchQuery(
      input.filters && {
        ...input.filters,
        conversations: { ...input.filters.conversations, updatedSince: undefined },
      },
    );
    let leftOut = 0;
    for (let pass = 1; pass <= MAX_DELTA_PASSES; pass++) {
      let newInPass = 0;
      for await (const page of intercom.searchConversationsUpdatedSince(
        args.since,
        undefined,
        input.export.pageSize,
        narrowing?.value,
      )) {
        const fresh = page.items.filter((c) => !seen.has(c.id) && c.updated_at <= args.until);
        for (const c of fresh) seen.add(c.id);
        if (fresh.length === 0) continue;
        newInPass += fresh.length;
        const kept = fresh.filter((c) => conversationVerdict(input.filters, c).kept);
        leftOut += fresh.length - kept.length;
        if (kept.length === 0) continue;
        const fetched = await fetchConversations(
          intercom,
          store,
          input.account,
          kept.map((c) => c.id),
        );
        rejected.push(...fetched.rejected);
        stopWhenTooManyRejected(input.account, rejected);
        const full = fetched.conversations.filter((c) => !erased.erasedConversation(c));
        for (const c of full) {
          for (const contact of c.contacts?.contacts ?? []) contactIds.add(contact.id);
        }
        if (full.length > 0)
          chunks.push(await writeChunk(store, blobLayout.chunk(convDir, chunks.length + 1), full));
        Context.current().heartbeat({ pass, conversations: seen.size });
      }
      if (newInPass === 0) break;
    }
    const contactChunks: ChunkRef[] = [];
    const ids = [...contactIds];
    const written = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const contacts = await mapInOrder(
        ids.slice(i, i + 100),
        4,
        async (id): Promise<Contact | undefined> => {
          try {
            // A contact merged since (410 contact_merged) stands for the one it became: that one is
            // exported, and the import puts the conversation on it.
            const { contact, mergedInto } = await intercom.resolveContact(id);
            // No marker naming an erased person's contact (it holds their external id).
            if (mergedInto !== undefined && !erased.erasedContact(contact))
              await recordIntercomMerge(store, input.account, id, contact);
            return contact;
          } catch (error) {
            // Deleted since: its conversations are imported with a placeholder contact.
            if (isNotFound(error)) return undefined;
            throw error;
          }
        },
      );
      const unique = contacts.filter((contact): contact is Contact => {
        if (contact === undefined || written.has(contact.id) || erased.erasedContact(contact)) return false;
        written.add(contact.id);
        return true;
      });
      const found = await withContactExtras(intercom, unique);
      contactChunks.push(
        await writeChunk(store, blobLayout.chunk(contactDir, contactChunks.length + 1), found),
      );
      Context.current().heartbeat({ contacts: i + found.length });
    }
    const deleted = await intercom.deletedConversationIdsSince(args.since);
    const now = new Date().toISOString();
    const count = chunks.reduce((sum, chunk) => sum + chunk.count, 0);
    const manifestKey = await writeManifest(store, convDir, {
      entity: 'conversations',
      count,
      chunks,
      complete: true,
      exportedAt: now,
      rejected,
    });
    const contactsManifestKey = await writeManifest(store, contactDir, {
      entity: 'contacts',
      count: contactChunks.reduce((sum, chunk) => sum + chunk.count, 0),
      chunks: contactChunks,
      complete: true,
      exportedAt: now,
    });
    if (deleted.length)
      await writeChunk(
        store,
        blobLayout.deltaDeleted(input.account, args.runKey),
        deleted.map((id) => ({ id })),
      );
    return {
      count,
      manifestKey,
      contactsManifestKey,
      deletedCount: deleted.length,
      highWater: args.until,
      rejected: rejected.length,
      ...(leftOut > 0 ? { leftOut } : {}),
    };
  }

  return { exportEntity, exportConversations, exportDelta };
}

export type ExportActivities = OnQueue<typeof exportQueue, ReturnType<typeof createExportActivities>>;

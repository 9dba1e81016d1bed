/**
 * The archive inbox's index: which Chatwoot conversations already stand for an Intercom conversation
 * or ticket, read by paging the archive inbox once instead of one POST /conversations/filter per
 * conversation (Chatwoot answers a filter with an unindexed scan of the account's conversations and
 * three counts: app/services/conversations/filter_service.rb).
 *
 * One request per 25 conversations: GET /conversations?inbox_id=&status=all&assignee_type=all
 * &sort_by=created_at_asc&page=N (ConversationFinder, app/finders/conversation_finder.rb: 25 a page,
 * `meta.all_count` counted before the page; SORT_OPTIONS' created_at_asc, so that a conversation
 * created or written to while the pages are read never moves another one across a page boundary).
 * Each item is the conversation partial (api/v1/conversations/partials/_conversation.json.jbuilder),
 * which carries custom_attributes, labels, status, snoozed_until and meta.assignee/team.
 *
 * Shape (ArchiveIndex):
 *   inboxId          the archive inbox paged
 *   startedAt        ms since the epoch when the first page was asked for: every conversation created
 *                    before it is in the index (when `complete`), none created after it need be
 *   complete         the pages held at least the `meta.all_count` of the first page; false when a
 *                    conversation deleted meanwhile moved one across a page boundary, and then an
 *                    absence proves nothing
 *   conversations    Intercom conversation id (custom_attributes.intercom_conversation_id) -> the
 *                    Chatwoot conversations holding it, oldest first (more than one: a duplicate)
 *   tickets          Intercom ticket id (custom_attributes.intercom_ticket_id) -> likewise
 *   pages            pages read (one GET each)
 * Each entry is an ArchivedConversation: the Chatwoot client's Conversation cut to what the import and
 * the verification read (id, status, snoozed_until, labels, created_at, the intercom_* custom and
 * additional attributes, meta.assignee.id and meta.team.id): about 300 bytes, 30 MB for 100,000.
 *
 * For the import (a re-run finding what an earlier run created): `findInArchive(deps, input, ...)`
 * builds the index once per run and worker (deps.runCache, one index per run) and answers the
 * entries for one Intercom id: [] when the index proves there is none, undefined when it cannot tell
 * (incomplete, or the caller's marker may be newer than the paging), where the caller looks it up
 * with the filter as before. The state in an entry is as of the paging, not of the call.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { FULL_WALK_READ_AHEAD } from '../../clients/chatwoot/pages.js';
import type { Conversation } from '../../clients/chatwoot/schemas.js';
import type { MigrationInput } from '../../config.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import type { MigrationMapping } from '../setup/chatwootWrites.js';

export type ArchivedConversation = Conversation;

export interface ArchiveIndex {
  inboxId: number;
  startedAt: number;
  complete: boolean;
  conversations: Map<string, ArchivedConversation[]>;
  tickets: Map<string, ArchivedConversation[]>;
  /** Pages read (each one GET). */
  pages: number;
}

/**
 * A create whose marker was written this long before the paging started may still have been in
 * flight when the pages were read (the client's retries of one POST, the activity's own timeout):
 * the index cannot tell whether it created a conversation.
 */
export const IN_FLIGHT_MARGIN_MS = 10 * 60_000;

const intercomKeys = (attributes: Record<string, unknown> | null | undefined) =>
  attributes
    ? Object.fromEntries(Object.entries(attributes).filter(([key]) => key.startsWith('intercom_')))
    : attributes;

const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/** Only what the import and the verification read: the index stays small for 100,000 conversations. */
export function archivedConversation(conversation: Conversation): ArchivedConversation {
  const assignee = conversation.meta?.assignee?.id;
  const team = conversation.meta?.team?.id;
  return {
    id: conversation.id,
    inbox_id: conversation.inbox_id,
    status: conversation.status,
    snoozed_until: conversation.snoozed_until,
    labels: conversation.labels,
    created_at: conversation.created_at,
    custom_attributes: intercomKeys(conversation.custom_attributes),
    additional_attributes: intercomKeys(conversation.additional_attributes),
    meta: {
      ...(assignee !== undefined ? { assignee: { id: assignee } } : {}),
      ...(team !== undefined ? { team: { id: team } } : {}),
    },
  };
}

/**
 * Builds the index from the listed conversations (pure). A conversation listed twice (on two pages)
 * counts once; `expectedCount` is the first page's meta.all_count.
 */
export function buildArchiveIndex(
  listed: Iterable<Conversation>,
  options: { inboxId: number; startedAt: number; expectedCount: number | undefined; pages: number },
): ArchiveIndex {
  const index: ArchiveIndex = {
    inboxId: options.inboxId,
    startedAt: options.startedAt,
    complete: false,
    conversations: new Map(),
    tickets: new Map(),
    pages: options.pages,
  };
  const seen = new Set<number>();
  const add = (map: Map<string, ArchivedConversation[]>, key: string, entry: ArchivedConversation) => {
    const entries = map.get(key);
    if (entries) entries.push(entry);
    else map.set(key, [entry]);
  };
  for (const conversation of listed) {
    if (seen.has(conversation.id)) continue;
    seen.add(conversation.id);
    const conversationId = idOf(conversation.custom_attributes?.intercom_conversation_id);
    const ticketId = idOf(conversation.custom_attributes?.intercom_ticket_id);
    if (conversationId === undefined && ticketId === undefined) continue;
    const entry = archivedConversation(conversation);
    if (conversationId !== undefined) add(index.conversations, conversationId, entry);
    if (ticketId !== undefined) add(index.tickets, ticketId, entry);
  }
  const byAge = (a: ArchivedConversation, b: ArchivedConversation) => a.id - b.id;
  for (const entries of [...index.conversations.values(), ...index.tickets.values()]) entries.sort(byAge);
  index.complete = options.expectedCount !== undefined && seen.size >= options.expectedCount;
  return index;
}

/** Pages the archive inbox once; `onPage` (a heartbeat) is called after each page. */
export async function pageArchiveIndex(
  chatwoot: ChatwootClient,
  inboxId: number,
  onPage: (pages: number) => void | Promise<void> = () => {},
): Promise<ArchiveIndex> {
  const startedAt = Date.now();
  // Cut as each page comes: the whole listing of a large inbox is never held at full size.
  const listed: ArchivedConversation[] = [];
  let expectedCount: number | undefined;
  let pages = 0;
  for await (const page of chatwoot.listConversationPages({
    inboxId,
    status: 'all',
    sortBy: 'created_at_asc',
    readAhead: FULL_WALK_READ_AHEAD,
  })) {
    if (pages === 0) expectedCount = page.total;
    pages = page.page;
    for (const conversation of page.items) listed.push(archivedConversation(conversation));
    await onPage(pages);
  }
  // An empty inbox answers one empty page, which the loop never sees: nothing was expected.
  return buildArchiveIndex(listed, {
    inboxId,
    startedAt,
    expectedCount: pages === 0 ? 0 : expectedCount,
    pages,
  });
}

/** The archive inbox of the run's mapping, paged once per run and worker. */
export function archiveIndexFor(deps: ActivityDeps, input: MigrationInput): Promise<ArchiveIndex> {
  const cache = deps.runCache(input);
  return cache.cached(cache.archiveIndex, 'archive', async () => {
    const mappingKey = blobLayout.mapping(input.account);
    const mapping = (await cache.cached(cache.json, mappingKey, () =>
      getJson<MigrationMapping>(deps.store(input), mappingKey),
    )) as MigrationMapping | undefined;
    const inboxId = mapping?.inboxId;
    if (inboxId === undefined)
      throw new Error('the mapping has no archive inbox yet: run the mapping phase first');
    return pageArchiveIndex(deps.chatwoot(input), inboxId);
  });
}

/**
 * The Chatwoot conversations holding an Intercom conversation (or ticket) by the run's index:
 * [] when the index proves there is none, undefined when it cannot tell. `markerWrittenAt` (ms) is
 * when the caller's durable marker said a create may have started: one written within
 * IN_FLIGHT_MARGIN_MS before the paging, or after it, may have created a conversation the index
 * does not hold.
 */
export async function findInArchive(
  deps: ActivityDeps,
  input: MigrationInput,
  key: { conversationId: string } | { ticketId: string },
  markerWrittenAt?: number,
): Promise<ArchivedConversation[] | undefined> {
  const index = await archiveIndexFor(deps, input);
  const entries =
    'conversationId' in key ? index.conversations.get(key.conversationId) : index.tickets.get(key.ticketId);
  if (entries && entries.length > 0) return entries;
  if (!index.complete) return undefined;
  if (markerWrittenAt !== undefined && markerWrittenAt > index.startedAt - IN_FLIGHT_MARGIN_MS)
    return undefined;
  return [];
}

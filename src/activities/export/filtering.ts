/**
 * The input's filters applied by the export (src/mapping/filters.ts decides; this reads what it needs).
 *
 * Conversations are judged on their list item (updated_at, state and tags come with GET
 * /conversations), before the conversation is fetched whole: a left-out conversation costs no
 * GET /conversations/{id}, which is all but 1/150 of the export's Intercom requests. The full export
 * keeps listing with GET /conversations rather than the search, on purpose: the list pages with a
 * keyset cursor, while the search's cursor is an offset into a live ordering that skips a
 * conversation whenever another is updated while paging (sandbox/intercom/search.ts), and the
 * listing requests the search would save are under 1% of the export's. The delta sync, which already
 * reads the search again until a pass brings nothing new, narrows its search by state.
 *
 * Contacts under `referenced`: before GET /contacts is paged, the conversations (list items, judged
 * by the verdict) and the tickets are listed once for the contact ids they name; only those contacts
 * are written. The export's contacts run beside its conversations, so this reads the lists itself.
 */
import type { IntercomClient } from '../../clients/intercom/client.js';
import type { ConversationListItem } from '../../clients/intercom/schemas.js';
import { conversationVerdict, type LeftOutCounts, type MigrationFilters } from '../../mapping/filters.js';

/** The manifest's record of what the filters left out (conversations' and contacts' manifests). */
export type ManifestLeftOut = Partial<LeftOutCounts>;

const CONTACT_AUTHOR_TYPES = new Set(['user', 'lead', 'contact']);

/** Every contact a conversation names: its contacts, and its opening message's author if a contact. */
export function contactIdsOf(conversation: Pick<ConversationListItem, 'contacts' | 'source'>): string[] {
  const ids = (conversation.contacts?.contacts ?? []).map((ref) => ref.id);
  const author = conversation.source?.author;
  if (author?.id && CONTACT_AUTHOR_TYPES.has(String(author.type ?? ''))) ids.push(String(author.id));
  return ids;
}

/**
 * The contacts a `referenced` export keeps: those named by a conversation the filters keep or by a
 * ticket (tickets are not filtered). Heartbeats through `beat` while listing.
 */
export async function referencedContactIds(
  intercom: IntercomClient,
  filters: MigrationFilters,
  perPage: number,
  beat: (progress: { listed: number }) => void,
): Promise<Set<string>> {
  const referenced = new Set<string>();
  let listed = 0;
  for await (const page of intercom.conversationPages(undefined, perPage)) {
    for (const item of page.items) {
      if (!conversationVerdict(filters, item).kept) continue;
      for (const id of contactIdsOf(item)) referenced.add(id);
    }
    listed += page.items.length;
    beat({ listed });
  }
  // The ticket search can repeat an item under concurrent updates; a Set does not mind.
  for await (const page of intercom.ticketPages(undefined, perPage)) {
    for (const ticket of page.items) {
      for (const ref of ticket.contacts?.contacts ?? []) referenced.add(String(ref.id));
    }
    listed += page.items.length;
    beat({ listed });
  }
  return referenced;
}

/**
 * What one fetched conversation or ticket adds to the plan's counts: messages, attachments and their
 * bytes, long ones. Pure. Written from Intercom's objects by the import's rules as the README states
 * them (an opening message or comment without content is nothing; a part without content is an
 * activity line unless activity parts are skipped; an open/close/snooze/assignment part with a reply
 * is the reply and its line; a cut conversation gets a note), not by calling the import's planner
 * (mapping/messages.ts planMessages), so the plan is an independent count the real run is checked by.
 */
import type { Conversation, PartAttachment } from '../clients/intercom/schemas.js';
import type { Ticket } from '../clients/intercom/ticketSchemas.js';

export type ActivityPartsMode = 'activity' | 'note' | 'skip';

/** Intercom returns at most this many parts of a conversation. */
export const INTERCOM_PARTS_CAP = 500;
/** Chatwoot's message content limit (Message validates content length 150,000). */
const MESSAGE_CHARS = 150_000;

const STATE_CHANGES = new Set(['open', 'close', 'assignment', 'snoozed', 'unsnoozed', 'assign_and_reopen']);

/** Text a body shows: tags dropped, entities and spaces collapsed; an image counts as content. */
function visibleLength(body: string | null | undefined): number {
  if (!body) return 0;
  if (/<img\b/i.test(body)) return Math.max(1, body.length);
  const text = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;|&#160;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length;
}

export interface AttachmentTally {
  count: number;
  /** Bytes from the attachments' `filesize`. */
  bytes: number;
  /** Links without a `filesize`: their size is asked of the link itself. */
  withoutSize: string[];
}

export function addAttachments(
  tally: AttachmentTally,
  list: readonly PartAttachment[] | null | undefined,
): void {
  for (const attachment of list ?? []) {
    tally.count++;
    if (typeof attachment.filesize === 'number' && attachment.filesize >= 0)
      tally.bytes += attachment.filesize;
    else tally.withoutSize.push(attachment.url);
  }
}

function pieces(length: number): number {
  return Math.max(1, Math.ceil(length / MESSAGE_CHARS));
}

function itemMessages(
  partType: string,
  opening: boolean,
  body: string | null | undefined,
  attachments: number,
  mode: ActivityPartsMode,
): number {
  const length = visibleLength(body);
  const hasContent = length > 0 || attachments > 0;
  const type = partType.trim().toLowerCase();
  if (!hasContent) {
    if (opening || type === 'comment') return 0;
    return mode === 'skip' ? 0 : 1;
  }
  const own = pieces(length);
  if (!opening && STATE_CHANGES.has(type) && mode !== 'skip') return own + 1;
  return own;
}

export interface ThreadFacts {
  messages: number;
  /** Parts Intercom counts for the conversation (statistics), or the parts it returned. */
  parts: number;
  /** Cut at Intercom's cap: the import adds a note about it. */
  truncated: boolean;
}

export function conversationFacts(
  conversation: Conversation,
  mode: ActivityPartsMode,
  attachments: AttachmentTally,
): ThreadFacts {
  const source = conversation.source;
  addAttachments(attachments, source.attachments);
  let messages = itemMessages('source', true, source.body, source.attachments.length, mode);
  const returned = conversation.conversation_parts?.conversation_parts ?? [];
  const seen = new Set<string>();
  for (const part of returned) {
    if (seen.has(part.id)) continue;
    seen.add(part.id);
    addAttachments(attachments, part.attachments);
    messages += itemMessages(part.part_type, false, part.body, part.attachments.length, mode);
  }
  const total = conversation.statistics?.count_conversation_parts ?? returned.length;
  const truncated = total > returned.length;
  if (truncated) messages++;
  return { messages, parts: Math.max(total, returned.length), truncated };
}

export function ticketFacts(
  ticket: Ticket,
  mode: ActivityPartsMode,
  attachments: AttachmentTally,
): ThreadFacts {
  const parts = ticket.ticket_parts?.ticket_parts ?? [];
  // The ticket's own attributes open it (a message of their own), then its parts.
  let messages = 1;
  for (const part of parts) {
    addAttachments(attachments, part.attachments);
    messages += itemMessages(part.part_type, false, part.body, part.attachments?.length ?? 0, mode);
  }
  const total = ticket.ticket_parts?.total_count ?? parts.length;
  return { messages, parts: Math.max(total, parts.length), truncated: total > parts.length };
}

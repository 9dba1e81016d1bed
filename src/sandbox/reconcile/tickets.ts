/**
 * The independent check of tickets, by its own rules (README "Tickets"; nothing from src/mapping):
 *
 * - Every ticket of every category is exactly one Chatwoot conversation whose custom attribute
 *   `intercom_ticket_id` is the ticket's id.
 * - Its contact: the ticket's first contact, merged by e-mail like conversations' contacts; a ticket
 *   without a contact is on the one contact that holds all of them, which has no e-mail.
 * - Messages, by source id: a private opening note `source:ticket-<id>`; every part with content (a
 *   body showing text, or attachments), and every state change or attribute update, under the part's
 *   id; any other part without content too, unless activity parts are skipped. Customer comments
 *   without content leave nothing. Back-office and Tracker tickets hold no public message: every
 *   message of theirs that is not an activity line is private.
 * - Each listed attachment of a part is on its message.
 * - Labels: `from_intercom` and one beginning "ticket-" (the ticket type's).
 * - Status: resolved when the ticket is closed or its state is resolved.
 * - Each conversation a ticket links to (when it is in Chatwoot) has a private note
 *   `ticket-link:<ticket id>`.
 *
 * A missing ticket, message, attachment or link note each counts one in `missing`.
 */
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import type { DumpAccount, DumpConversation } from '../chatwoot/index.js';

export interface TicketTally {
  expected: number;
  found: number;
  missing: number;
  duplicates: number;
}

const VISIBLE_TEXT = /[\p{L}\p{N}]/u;

function showsText(html: string | null | undefined): boolean {
  if (!html) return false;
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ');
  return VISIBLE_TEXT.test(text);
}

function category(ticket: Ticket): string {
  return (ticket.category ?? ticket.ticket_type?.category ?? '').toLowerCase();
}

export function reconcileTickets(
  tickets: readonly Ticket[],
  account: DumpAccount,
  options: {
    activityParts: 'activity' | 'note' | 'skip';
    contactIdentifier: (intercomContactId: string, externalId?: string | null) => string;
  },
  problems: string[],
): TicketTally {
  const tally: TicketTally = { expected: 0, found: 0, missing: 0, duplicates: 0 };
  const byTicketId = new Map<string, DumpConversation[]>();
  const byConversationId = new Map<string, DumpConversation>();
  for (const conversation of account.conversations) {
    const ticketId = conversation.custom_attributes.intercom_ticket_id;
    if (typeof ticketId === 'string')
      byTicketId.set(ticketId, [...(byTicketId.get(ticketId) ?? []), conversation]);
    const conversationId = conversation.custom_attributes.intercom_conversation_id;
    if (typeof conversationId === 'string') byConversationId.set(conversationId, conversation);
  }
  const contacts = new Map(account.contacts.map((contact) => [contact.id, contact]));
  const withoutContact = new Set<number>();

  for (const ticket of tickets) {
    tally.expected++;
    const matches = byTicketId.get(ticket.id) ?? [];
    if (matches.length === 0) {
      problems.push(`ticket ${ticket.id} missing`);
      tally.missing++;
      continue;
    }
    tally.found++;
    tally.duplicates += matches.length - 1;
    const target = matches[0] as DumpConversation;
    const internal = category(ticket) !== 'customer';

    const reference = ticket.contacts?.contacts?.[0];
    const holder = contacts.get(target.contact_id);
    if (reference) {
      const expected = options.contactIdentifier(reference.id, reference.external_id);
      if (holder?.identifier !== expected) {
        problems.push(
          `ticket ${ticket.id} is on contact ${holder?.identifier ?? target.contact_id}, expected ${expected}`,
        );
      }
    } else {
      withoutContact.add(target.contact_id);
      if (holder?.email)
        problems.push(`ticket ${ticket.id} without a contact is on a contact with an e-mail`);
    }

    const messagesBySource = new Map<string, DumpConversation['messages']>();
    for (const message of target.messages) {
      if (!message.source_id) continue;
      messagesBySource.set(message.source_id, [...(messagesBySource.get(message.source_id) ?? []), message]);
    }
    const expectMessage = (sourceId: string, attachments: number, mustBePrivate: boolean) => {
      const found = messagesBySource.get(sourceId) ?? [];
      if (found.length === 0) {
        problems.push(`ticket ${ticket.id}: message ${sourceId} missing`);
        tally.missing += 1 + attachments;
        return;
      }
      tally.duplicates += found.length - 1;
      const first = found[0] as DumpConversation['messages'][number];
      if (mustBePrivate && !first.private && first.message_type !== 'activity') {
        problems.push(`ticket ${ticket.id}: message ${sourceId} is public`);
      }
      // Attachments past 15 go to `<id>:a2`...; a ticket part has far fewer.
      const onMessage = first.attachments.length;
      if (onMessage < attachments) {
        problems.push(
          `ticket ${ticket.id}: message ${sourceId} has ${onMessage} of ${attachments} attachments`,
        );
        tally.missing += attachments - onMessage;
      }
    };
    expectMessage(`source:ticket-${ticket.id}`, 0, true);
    const seen = new Set<string>();
    for (const part of ticket.ticket_parts?.ticket_parts ?? []) {
      if (seen.has(part.id)) continue;
      seen.add(part.id);
      const attachments = part.attachments?.length ?? 0;
      const event =
        Boolean(part.ticket_state || part.previous_ticket_state) ||
        Boolean((part as { updated_attribute_data?: unknown }).updated_attribute_data);
      const content = showsText(part.body) || attachments > 0 || event;
      const comment = part.part_type === 'comment';
      if (!content && (comment || options.activityParts === 'skip')) continue;
      // Customer comments are public; notes, state changes and everything of internal tickets are not.
      expectMessage(part.id, attachments, internal || !comment);
    }
    if (internal) {
      for (const message of target.messages) {
        if (message.message_type !== 'activity' && !message.private && message.source_id) {
          problems.push(`ticket ${ticket.id} (internal) has a public message ${message.source_id}`);
        }
      }
    }

    if (
      !target.labels.includes('from_intercom') ||
      !target.labels.some((label) => label.startsWith('ticket-'))
    ) {
      problems.push(`ticket ${ticket.id} lacks its labels (has ${target.labels.join(', ') || 'none'})`);
    }
    const resolved = ticket.open === false || ticket.ticket_state?.category === 'resolved';
    if (resolved && target.status !== 'resolved') {
      problems.push(`ticket ${ticket.id} is ${target.status}, expected resolved`);
    }

    for (const linked of ticket.linked_objects?.data ?? []) {
      if (linked.type !== 'conversation') continue;
      const conversation = byConversationId.get(String(linked.id));
      if (!conversation) continue;
      const note = conversation.messages.find((m) => m.source_id === `ticket-link:${ticket.id}`);
      if (!note) {
        problems.push(`conversation ${linked.id} lacks the note linking it to ticket ${ticket.id}`);
        tally.missing++;
      } else if (!note.private) {
        problems.push(`conversation ${linked.id}: the note linking it to ticket ${ticket.id} is public`);
      }
    }
  }
  if (withoutContact.size > 1) {
    problems.push(`tickets without a contact are on ${withoutContact.size} contacts, expected one`);
  }
  return tally;
}

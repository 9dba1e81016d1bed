/**
 * The tickets' part of the verification (through Chatwoot's API, against the export): every exported
 * ticket must be one conversation, found by `intercom_ticket_id` (or, for a customer ticket Intercom
 * also served as a conversation, the conversation of its id), holding every planned message once by
 * source id. Counts go to `tickets`, missing messages to `missing`, duplicates to `duplicates`; the
 * report lists the tickets concerned. Tickets set aside at export stay in the expected count.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import type { Conversation } from '../../clients/chatwoot/schemas.js';
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import type { MigrationInput } from '../../config.js';
import type { AttributeAdjustment } from '../../mapping/attributes.js';
import { isoUtc } from '../../mapping/text.js';
import {
  planTicketMessages,
  ticketAdditionalAttributes,
  ticketAttributeAdjustments,
  ticketCustomAttributes,
  ticketOpeningSourceId,
} from '../../mapping/tickets.js';
import type { ReconciliationCounts } from '../../reconciliationLine.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { forEachConcurrently } from '../concurrently.js';
import type { ActivityDeps } from '../deps.js';
import type { ArchiveIndex } from '../import/archiveIndex.js';
import { type EntityManifest, recordsOf } from '../manifests.js';
import { attributeHashesAsText, type ValuesAsText } from './valuesAsText.js';

export interface TicketReport {
  missingTickets: string[];
  duplicateTickets: string[];
  ticketsWithMissingMessages: { ticketId: string; missingSourceIds: string[] }[];
  /** Set aside at export (unreadable or oversized answer); `ticket:<id>` with the reason. */
  rejectedTickets: { conversationId: string; reason: string }[];
  /** Messages of ticket conversations: planned, and found by source id. */
  ticketMessages: { expected: number; found: number };
  /**
   * Ticket attribute values changed to fit Chatwoot's limits (cut, or a big integer as a string),
   * never the values; each is whole in the ticket's opening note. Absent in older reports.
   */
  attributeAdjustments?: (AttributeAdjustment & { ticketId: string })[];
  /** Numbers Chatwoot holds as text: created with a form for its first message's files (./valuesAsText.ts). */
  valuesAsText?: (Omit<ValuesAsText, 'conversationId'> & { ticketId: string })[];
}

export function emptyTicketReport(): TicketReport {
  return {
    missingTickets: [],
    duplicateTickets: [],
    ticketsWithMissingMessages: [],
    rejectedTickets: [],
    ticketMessages: { expected: 0, found: 0 },
    attributeAdjustments: [],
    valuesAsText: [],
  };
}

/**
 * From the archive inbox's index when it has the ticket, or proves it absent (complete); otherwise
 * (no index, or paging that may have missed one) by the filters, account-wide.
 */
async function findTicketConversation(
  chatwoot: ChatwootClient,
  ticket: Ticket,
  archive: ArchiveIndex | undefined,
): Promise<Conversation[]> {
  const sameAsTicket = (candidates: Conversation[]) =>
    candidates
      .filter((c) => c.custom_attributes?.intercom_created_at === isoUtc(ticket.created_at))
      .slice(0, 1);
  const listed = archive?.tickets.get(ticket.id);
  if (listed?.length) return listed;
  const same = sameAsTicket(archive?.conversations.get(ticket.id) ?? []);
  if (same.length > 0 || archive?.complete) return same;
  const matches = await chatwoot.filterConversationsByCustomAttribute('intercom_ticket_id', ticket.id);
  if (matches.length > 0) return matches;
  return sameAsTicket(
    await chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', ticket.id),
  );
}

/**
 * Adds the tickets to `counts` (tickets, duplicates, rejected) and fills `report`; answers what is
 * missing (tickets, and messages of tickets found) for the caller to add to its own `missing`. No ticket export (a migration from before tickets):
 * nothing to count, and `counts.tickets` stays 0/0.
 */
export async function verifyTickets(
  deps: ActivityDeps,
  input: MigrationInput,
  counts: ReconciliationCounts,
  report: TicketReport,
  /** The archive inbox paged by the caller (ticket conversations are created there too). */
  archive?: ArchiveIndex,
): Promise<{ missing: number }> {
  const store = deps.store(input);
  const chatwoot = deps.chatwoot(input);
  const manifest = await getJson<EntityManifest>(store, blobLayout.entityManifest(input.account, 'tickets'));
  counts.tickets ??= { expected: 0, found: 0 };
  const tickets = counts.tickets;
  if (!manifest) return { missing: 0 };
  await forEachConcurrently(recordsOf<Ticket>(store, manifest), 4, async (ticket) => {
    tickets.expected++;
    for (const adjustment of ticketAttributeAdjustments(ticket)) {
      report.attributeAdjustments ??= [];
      report.attributeAdjustments.push({ ticketId: ticket.id, ...adjustment });
    }
    const planned = planTicketMessages(ticket, {
      activityParts: input.import.activityParts,
      timestampLine: input.import.timestampLine,
    });
    report.ticketMessages.expected += planned.length;
    const matches = await findTicketConversation(chatwoot, ticket, archive);
    if (matches.length === 0) {
      report.missingTickets.push(ticket.id);
      return;
    }
    tickets.found++;
    if (matches.length > 1) {
      counts.duplicates += matches.length - 1;
      report.duplicateTickets.push(ticket.id);
    }
    const held = matches[0] as Conversation;
    // A ticket that joined the conversation of its id has that conversation's attributes, reported there.
    if (held.custom_attributes?.intercom_conversation_id === undefined) {
      const sent = {
        custom_attributes: ticketCustomAttributes(ticket),
        additional_attributes: ticketAdditionalAttributes(ticket),
      };
      for (const hash of attributeHashesAsText(sent, held)) {
        report.valuesAsText?.push({ ticketId: ticket.id, ...hash });
      }
    }
    const seen = new Map<string, number>();
    for await (const page of chatwoot.allMessages(held.id)) {
      for (const message of page) {
        if (message.source_id) seen.set(message.source_id, (seen.get(message.source_id) ?? 0) + 1);
      }
    }
    const missing = planned.filter((m) => !seen.has(m.sourceId)).map((m) => m.sourceId);
    report.ticketMessages.found += planned.length - missing.length;
    for (const m of planned) counts.duplicates += Math.max(0, (seen.get(m.sourceId) ?? 1) - 1);
    if (missing.length)
      report.ticketsWithMissingMessages.push({ ticketId: ticket.id, missingSourceIds: missing });
  });
  // Set aside at export: expected, and counted as rejected rather than missing, like conversations.
  for (const rejected of manifest.rejected ?? []) {
    tickets.expected++;
    counts.rejected = (counts.rejected ?? 0) + 1;
    report.rejectedTickets.push({ conversationId: rejected.conversationId, reason: rejected.reason });
  }
  report.missingTickets.sort();
  // Tickets are read four at a time: sorted, so a report does not depend on which answered first.
  report.attributeAdjustments?.sort(
    (a, b) =>
      compareText(a.ticketId, b.ticketId) ||
      compareText(a.attribute, b.attribute) ||
      compareText(a.key, b.key),
  );
  report.valuesAsText?.sort(
    (a, b) => compareText(a.ticketId, b.ticketId) || compareText(a.attribute, b.attribute),
  );
  return {
    missing: report.missingTickets.length + report.ticketMessages.expected - report.ticketMessages.found,
  };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Where the report sends the operator for a changed ticket attribute: the value is whole in the opening note. */
function ticketAttributeLine(a: AttributeAdjustment & { ticketId: string }): string {
  const where = `whole in the ticket's opening note \`${ticketOpeningSourceId(a.ticketId)}\``;
  return a.change === 'truncated'
    ? `ticket ${a.ticketId}: ${a.attribute}.${a.key}, ${a.originalLength} characters cut to 1,500; ${where}`
    : `ticket ${a.ticketId}: ${a.attribute}.${a.key}, an integer of ${a.originalLength} digits above ` +
        `9,999,999,999, stored as a string; ${where}`;
}

/** The tickets' section of report.md. */
export function ticketReportMarkdown(report: TicketReport | undefined): string[] {
  if (!report) return [];
  const lines: string[] = [];
  const { expected, found } = report.ticketMessages;
  lines.push(`## Tickets`, '', `Ticket messages: ${found} of ${expected} found.`, '');
  const list = (title: string, items: string[]) =>
    items.length
      ? [`### ${title} (${items.length})`, '', ...items.slice(0, 200).map((i) => `- ${i}`), '']
      : [];
  lines.push(
    ...list('Missing tickets (Intercom ids)', report.missingTickets),
    ...list('Duplicated tickets', report.duplicateTickets),
    ...list(
      'Tickets with missing messages',
      report.ticketsWithMissingMessages.map((t) => `${t.ticketId}: ${t.missingSourceIds.join(', ')}`),
    ),
    ...list(
      'Tickets set aside at export (fetch GET /tickets/{id} from Intercom by hand)',
      report.rejectedTickets.map((r) => `${r.conversationId}: ${r.reason}`),
    ),
    ...list(
      'Ticket attributes changed to fit Chatwoot',
      (report.attributeAdjustments ?? []).map(ticketAttributeLine),
    ),
    ...list(
      'Ticket numbers stored as text (created with a form for the first message’s files)',
      (report.valuesAsText ?? []).map(
        (t) => `ticket ${t.ticketId}: ${t.paths.map((p) => `${t.attribute}.${p}`).join(', ')}`,
      ),
    ),
  );
  return lines;
}

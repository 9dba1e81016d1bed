/**
 * An independent check of a migration rehearsal: compares the Chatwoot sandbox's state with the
 * Intercom sandbox's workspace directly (not through the migration's own bookkeeping, and not
 * through its mapping code: what Chatwoot must hold is derived by this check's own rules, in
 * ./reconcile/rules.ts, so that a mapping mistake shows here instead of being repeated).
 *
 * Everything Intercom's API can deliver must be in Chatwoot exactly once: contacts (after merging
 * e-mails that differ only by case) by their identifier and with their e-mail as Chatwoot keeps it,
 * conversations by their Intercom id and on their contact, messages by their source id (public or
 * private, incoming or outgoing, with content, time line and original time, long bodies in pieces
 * within Chatwoot's limit), and the attachments on them, byte for byte where the size is known;
 * contact notes, labels and companies (./reconcile/contactNotes.ts), a conversation of a contact
 * Intercom merged away on the contact it became.
 * Every mismatch is listed in `problems`.
 */

import type { Note } from '../clients/intercom/contactSchemas.js';
import type { Company, Contact, Conversation, Tag } from '../clients/intercom/schemas.js';
import type { Ticket } from '../clients/intercom/ticketSchemas.js';
import { emptyReconciliationCounts, type ReconciliationCounts } from '../reconciliationLine.js';
import { CHATWOOT_LIMITS, type DumpContact, type SandboxDump } from './chatwoot/index.js';
import { reconcileContactExtras, survivorOf } from './reconcile/contactNotes.js';
import { type ChatwootLimits, checkConversationMessages } from './reconcile/messages.js';
import { type ActivityParts, chatwootEmail, chatwootIdentifier, expectedItems } from './reconcile/rules.js';
import { reconcileTickets } from './reconcile/tickets.js';

export interface SandboxReconciliation extends ReconciliationCounts {
  /** Listed in rejectedConversationIds and not in Chatwoot: counted in conversations.expected, not in missing. */
  rejected: number;
  problems: string[];
}

export interface SandboxReconcileOptions {
  account: number;
  /** Parts without content (assignments, closes...): private activity notes, or left out. */
  activityParts: ActivityParts;
  /** Each message starts with a visible "— <time> UTC · <author>" line. */
  timestampLine: boolean;
  /** Intercom returns at most this many parts per conversation, the most recent ones; older ones cannot be migrated. */
  partsCap: number;
  /** Conversations deleted in Intercom, not expected in Chatwoot. */
  deletedConversationIds?: readonly string[];
  /**
   * Conversations the export quarantined (its manifest's `rejected`): still expected, but their
   * absence is counted as rejected instead of missing, and their messages are not looked for.
   */
  rejectedConversationIds?: readonly string[];
}

/** The Intercom side: the sandbox's dataset fits; `attachments` (path -> size) lets inline images be checked by size. */
export interface SandboxWorkspace {
  contacts: readonly Contact[];
  conversations: readonly Conversation[];
  attachments?: Readonly<Record<string, { size: number }>>;
  /** Tickets of every category (./reconcile/tickets.ts); none when absent. */
  tickets?: readonly Ticket[];
  /** Notes on contacts (./reconcile/contactNotes.ts), with the tags and companies contacts name. */
  notes?: readonly Note[];
  tags?: readonly Tag[];
  companies?: readonly Company[];
  /** Contacts Intercom merged away: their id -> the contact they became (410 contact_merged). */
  contactMerges?: Readonly<Record<string, string>>;
}

/** Chatwoot's limits as the sandbox enforces them. */
const LIMITS: ChatwootLimits = {
  messageContent: CHATWOOT_LIMITS.messageContentChars,
  attachmentsPerMessage: CHATWOOT_LIMITS.attachmentsPerMessage,
};

export function capParts(conversation: Conversation, partsCap: number): Conversation {
  const parts = conversation.conversation_parts?.conversation_parts ?? [];
  if (parts.length <= partsCap) return conversation;
  return {
    ...conversation,
    conversation_parts: {
      ...conversation.conversation_parts,
      conversation_parts: parts.slice(parts.length - partsCap),
    },
  };
}

/** Canonical contacts: one per e-mail (earliest created, then smallest id), plus every contact without one. */
export function canonicalContacts(contacts: readonly Contact[]): Contact[] {
  const byEmail = new Map<string, Contact>();
  const result: Contact[] = [];
  for (const contact of contacts) {
    const email = chatwootEmail(contact.email);
    if (!email) {
      result.push(contact);
      continue;
    }
    const current = byEmail.get(email);
    if (
      !current ||
      contact.created_at < current.created_at ||
      (contact.created_at === current.created_at && contact.id < current.id)
    ) {
      byEmail.set(email, contact);
    }
  }
  return [...result, ...byEmail.values()];
}

/** Intercom contact id -> the Intercom contact id whose Chatwoot contact stands for it. */
function canonicalIdByContactId(contacts: readonly Contact[]): Map<string, string> {
  const canonicalByEmail = new Map<string, string>();
  for (const contact of canonicalContacts(contacts)) {
    const email = chatwootEmail(contact.email);
    if (email) canonicalByEmail.set(email, contact.id);
  }
  const result = new Map<string, string>();
  for (const contact of contacts) {
    const email = chatwootEmail(contact.email);
    result.set(contact.id, (email && canonicalByEmail.get(email)) || contact.id);
  }
  return result;
}

export function reconcileSandboxes(
  workspace: SandboxWorkspace,
  dump: SandboxDump,
  options: SandboxReconcileOptions,
): SandboxReconciliation {
  const account = dump.accounts.find((a) => a.id === options.account);
  if (!account) throw new Error(`the Chatwoot sandbox has no account ${options.account}`);
  const problems: string[] = [];
  const result: SandboxReconciliation = { ...emptyReconciliationCounts(), problems };

  // Contacts: one per canonical Intercom contact, found by identifier, with the e-mail Chatwoot keeps.
  const contactsByIdentifier = new Map<string, DumpContact[]>();
  for (const contact of account.contacts) {
    if (!contact.identifier) continue;
    contactsByIdentifier.set(contact.identifier, [
      ...(contactsByIdentifier.get(contact.identifier) ?? []),
      contact,
    ]);
  }
  for (const contact of canonicalContacts(workspace.contacts)) {
    result.contacts.expected++;
    const found = contactsByIdentifier.get(chatwootIdentifier(contact)) ?? [];
    if (found.length === 0) {
      problems.push(`contact ${contact.id} missing`);
      continue;
    }
    result.contacts.found++;
    result.duplicates += found.length - 1;
    const email = chatwootEmail(contact.email) ?? null;
    if (found[0].email !== email) {
      problems.push(
        `contact ${contact.id} has e-mail ${JSON.stringify(found[0].email)} in Chatwoot, expected ${JSON.stringify(email)}`,
      );
    }
  }
  // Contacts are unique per e-mail in Chatwoot too; two with one e-mail would be a duplicate.
  const emails = new Map<string, number>();
  for (const contact of account.contacts)
    if (contact.email) emails.set(contact.email, (emails.get(contact.email) ?? 0) + 1);
  for (const [email, count] of emails) if (count > 1) problems.push(`e-mail ${email} on ${count} contacts`);

  const canonicalId = canonicalIdByContactId(workspace.contacts);
  const intercomContacts = new Map(workspace.contacts.map((contact) => [contact.id, contact]));
  // A reference to a contact Intercom no longer lists (a lead merged into a user) names the user's external id.
  const contactsByIdentifierInIntercom = new Map(
    workspace.contacts.map((contact) => [chatwootIdentifier(contact), contact.id]),
  );
  const contactById = new Map(account.contacts.map((contact) => [contact.id, contact]));
  const conversationsByIntercomId = new Map<string, typeof account.conversations>();
  for (const conversation of account.conversations) {
    const id = conversation.custom_attributes.intercom_conversation_id;
    if (typeof id !== 'string') continue;
    conversationsByIntercomId.set(id, [...(conversationsByIntercomId.get(id) ?? []), conversation]);
  }
  const sizeOf = (path: string) => workspace.attachments?.[path]?.size;
  const deleted = new Set(options.deletedConversationIds ?? []);
  const rejected = new Set(options.rejectedConversationIds ?? []);
  const ticketLinkNotes = new Map<string, Set<string>>();
  for (const ticket of workspace.tickets ?? []) {
    for (const linked of ticket.linked_objects?.data ?? []) {
      if (linked.type !== 'conversation') continue;
      const notes = ticketLinkNotes.get(String(linked.id)) ?? new Set<string>();
      notes.add(`ticket-link:${ticket.id}`);
      ticketLinkNotes.set(String(linked.id), notes);
    }
  }
  for (const source of workspace.conversations) {
    if (deleted.has(source.id)) continue;
    const matches = conversationsByIntercomId.get(source.id) ?? [];
    result.conversations.expected++;
    if (rejected.has(source.id)) {
      if (matches.length > 0) result.conversations.found++;
      else result.rejected++;
      result.duplicates += Math.max(0, matches.length - 1);
      continue;
    }
    const items = expectedItems(capParts(source, options.partsCap), options, sizeOf);
    if (matches.length === 0) {
      problems.push(`conversation ${source.id} missing`);
      // Nothing to compare with: the least each item needs.
      const lacking = checkConversationMessages(source.id, items, { messages: [] }, options, LIMITS, []);
      result.messages.expected += lacking.messagesExpected;
      result.attachments.expected += lacking.attachmentsExpected;
      continue;
    }
    result.conversations.found++;
    result.duplicates += matches.length - 1;
    const target = matches[0];

    // The conversation's contact: its first Intercom contact (else the opening's author), merged by e-mail.
    const reference = source.contacts?.contacts?.[0];
    const referencedId = reference?.id ?? source.source.author.id ?? `conversation-${source.id}`;
    const intercomContactId = intercomContacts.has(referencedId)
      ? referencedId
      : (survivorOf(workspace.contactMerges, referencedId) ??
        contactsByIdentifierInIntercom.get(
          chatwootIdentifier({ id: referencedId, external_id: reference?.external_id }),
        ) ??
        referencedId);
    const canonical = canonicalId.get(intercomContactId) ?? intercomContactId;
    const expectedIdentifier = chatwootIdentifier(
      intercomContacts.get(canonical) ?? { id: canonical, external_id: reference?.external_id },
    );
    const holder = contactById.get(target.contact_id);
    if (holder?.identifier !== expectedIdentifier) {
      problems.push(
        `conversation ${source.id} is on contact ${holder?.identifier ?? target.contact_id}, expected ${expectedIdentifier}`,
      );
    }

    // The notes linking it to its tickets are checked with the tickets (./reconcile/tickets.ts).
    const linkNotes = ticketLinkNotes.get(source.id);
    const ownMessages = linkNotes
      ? { messages: target.messages.filter((m) => !linkNotes.has(m.source_id ?? '')) }
      : target;
    const tally = checkConversationMessages(source.id, items, ownMessages, options, LIMITS, problems);
    result.messages.expected += tally.messagesExpected;
    result.messages.found += tally.messagesFound;
    result.attachments.expected += tally.attachmentsExpected;
    result.attachments.found += tally.attachmentsFound;
    result.duplicates += tally.duplicates;
  }
  result.missing =
    result.contacts.expected -
    result.contacts.found +
    (result.conversations.expected - result.conversations.found - result.rejected) +
    (result.messages.expected - result.messages.found) +
    (result.attachments.expected - result.attachments.found);
  const contactRecords = new Map(workspace.contacts.map((contact) => [contact.id, contact]));
  const tickets = reconcileTickets(
    workspace.tickets ?? [],
    account,
    {
      activityParts: options.activityParts,
      contactIdentifier: (id, externalId) => {
        const canonical = canonicalId.get(id) ?? id;
        return chatwootIdentifier(
          contactRecords.get(canonical) ?? { id: canonical, external_id: externalId },
        );
      },
    },
    problems,
  );
  result.tickets = { expected: tickets.expected, found: tickets.found };
  const notes = reconcileContactExtras(
    workspace,
    (id) => {
      const canonical = canonicalId.get(id) ?? id;
      return (
        contactsByIdentifier.get(chatwootIdentifier(intercomContacts.get(canonical) ?? { id: canonical })) ??
        []
      );
    },
    problems,
  );
  result.notes = { expected: notes.expected, found: notes.found };
  result.duplicates += notes.duplicates;
  result.missing += notes.expected - notes.found;
  result.duplicates += tickets.duplicates;
  result.missing += tickets.missing;
  return result;
}

/**
 * An independent check of a migration rehearsal: compares the Chatwoot sandbox's state with the
 * Intercom sandbox's workspace directly (not through the migration's own bookkeeping). Everything
 * Intercom's API can deliver must be in Chatwoot exactly once: contacts (after merging e-mails that
 * differ only by case), conversations by their Intercom id, messages by their source id, and the
 * attachments on them, byte for byte where the size is known.
 */
import type { Contact, Conversation } from '../clients/intercom/schemas.js';
import {
  contactIdentifier,
  normalizeEmail,
  type PlanMessagesOptions,
  planMessages,
} from '../mapping/index.js';
import type { SandboxDump } from './chatwoot/state.js';
import { ATTACHMENT_PLACEHOLDER_PATTERN } from './intercom/generator.js';

export interface SandboxReconciliation {
  contacts: { expected: number; found: number };
  conversations: { expected: number; found: number };
  messages: { expected: number; found: number };
  attachments: { expected: number; found: number };
  duplicates: number;
  missing: number;
  /** Listed in rejectedConversationIds and not in Chatwoot: counted in conversations.expected, not in missing. */
  rejected: number;
  problems: string[];
}

export interface SandboxReconcileOptions
  extends Pick<PlanMessagesOptions, 'activityParts' | 'timestampLine'> {
  account: number;
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

export function reconciliationLine(
  r: Pick<
    SandboxReconciliation,
    'contacts' | 'conversations' | 'messages' | 'attachments' | 'duplicates' | 'missing'
  > &
    Partial<Pick<SandboxReconciliation, 'rejected'>>,
): string {
  const pair = (p: { expected: number; found: number }) => `${p.found}/${p.expected}`;
  return (
    `reconciled: contacts ${pair(r.contacts)}, conversations ${pair(r.conversations)}, ` +
    `messages ${pair(r.messages)}, attachments ${pair(r.attachments)}, duplicates ${r.duplicates}, missing ${r.missing}` +
    (r.rejected ? `, rejected ${r.rejected}` : '')
  );
}

/**
 * The sandbox keeps placeholders where Intercom has signed links; give them a URL shape so that the
 * plan counts inline images exactly as it does for the exported conversation.
 */
function withPlaceholderLinks(conversation: Conversation): Conversation {
  const text = JSON.stringify(conversation).replace(
    ATTACHMENT_PLACEHOLDER_PATTERN,
    (_match, path: string) => `https://intercom-sandbox.invalid/attachments/${path}`,
  );
  return JSON.parse(text) as Conversation;
}

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
    const email = normalizeEmail(contact.email);
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

export function reconcileSandboxes(
  workspace: { contacts: readonly Contact[]; conversations: readonly Conversation[] },
  dump: SandboxDump,
  options: SandboxReconcileOptions,
): SandboxReconciliation {
  const account = dump.accounts.find((a) => a.id === options.account);
  if (!account) throw new Error(`the Chatwoot sandbox has no account ${options.account}`);
  const problems: string[] = [];
  const result: SandboxReconciliation = {
    contacts: { expected: 0, found: 0 },
    conversations: { expected: 0, found: 0 },
    messages: { expected: 0, found: 0 },
    attachments: { expected: 0, found: 0 },
    duplicates: 0,
    missing: 0,
    rejected: 0,
    problems,
  };

  const contactsByIdentifier = new Map<string, number>();
  for (const contact of account.contacts) {
    if (contact.identifier)
      contactsByIdentifier.set(contact.identifier, (contactsByIdentifier.get(contact.identifier) ?? 0) + 1);
  }
  for (const contact of canonicalContacts(workspace.contacts)) {
    result.contacts.expected++;
    const count = contactsByIdentifier.get(contactIdentifier(contact.id)) ?? 0;
    if (count > 0) result.contacts.found++;
    else problems.push(`contact ${contact.id} missing`);
    if (count > 1) result.duplicates += count - 1;
  }
  // Contacts are unique per e-mail in Chatwoot too; two with one e-mail would be a duplicate.
  const emails = new Map<string, number>();
  for (const contact of account.contacts)
    if (contact.email) emails.set(contact.email, (emails.get(contact.email) ?? 0) + 1);
  for (const [email, count] of emails) if (count > 1) problems.push(`e-mail ${email} on ${count} contacts`);

  const conversationsByIntercomId = new Map<string, typeof account.conversations>();
  for (const conversation of account.conversations) {
    const id = conversation.custom_attributes.intercom_conversation_id;
    if (typeof id !== 'string') continue;
    conversationsByIntercomId.set(id, [...(conversationsByIntercomId.get(id) ?? []), conversation]);
  }
  const deleted = new Set(options.deletedConversationIds ?? []);
  const rejected = new Set(options.rejectedConversationIds ?? []);
  for (const source of workspace.conversations) {
    if (deleted.has(source.id)) continue;
    if (rejected.has(source.id)) {
      const matches = conversationsByIntercomId.get(source.id) ?? [];
      result.conversations.expected++;
      if (matches.length > 0) result.conversations.found++;
      else result.rejected++;
      result.duplicates += Math.max(0, matches.length - 1);
      continue;
    }
    const conversation = withPlaceholderLinks(capParts(source, options.partsCap));
    const planned = planMessages(conversation, options);
    const expectedAttachments = planned.reduce((sum, m) => sum + m.attachments.length, 0);
    result.conversations.expected++;
    result.messages.expected += planned.length;
    result.attachments.expected += expectedAttachments;
    const matches = conversationsByIntercomId.get(conversation.id) ?? [];
    if (matches.length === 0) {
      problems.push(`conversation ${conversation.id} missing`);
      continue;
    }
    result.conversations.found++;
    result.duplicates += matches.length - 1;
    const bySourceId = new Map<string, (typeof matches)[number]['messages']>();
    for (const message of matches[0].messages) {
      if (!message.source_id) continue;
      bySourceId.set(message.source_id, [...(bySourceId.get(message.source_id) ?? []), message]);
    }
    for (const plannedMessage of planned) {
      const found = bySourceId.get(plannedMessage.sourceId) ?? [];
      if (found.length === 0) {
        problems.push(`conversation ${conversation.id}: message ${plannedMessage.sourceId} missing`);
        continue;
      }
      result.messages.found++;
      result.duplicates += found.length - 1;
      const uploaded = found[0].attachments;
      let matched = 0;
      for (const attachment of plannedMessage.attachments) {
        const same = uploaded.find((u) => attachment.size == null || u.size === attachment.size);
        if (same) matched++;
      }
      result.attachments.found += Math.min(matched, uploaded.length);
      if (matched < plannedMessage.attachments.length) {
        problems.push(
          `conversation ${conversation.id}: message ${plannedMessage.sourceId} lacks attachments`,
        );
      }
    }
    const expectedIds = new Set(planned.map((m) => m.sourceId));
    for (const sourceId of bySourceId.keys()) {
      if (!expectedIds.has(sourceId))
        problems.push(`conversation ${conversation.id}: unexpected message ${sourceId}`);
    }
  }
  result.missing =
    result.contacts.expected -
    result.contacts.found +
    (result.conversations.expected - result.conversations.found - result.rejected) +
    (result.messages.expected - result.messages.found) +
    (result.attachments.expected - result.attachments.found);
  return result;
}

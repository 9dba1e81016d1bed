/**
 * The fewest Chatwoot requests a migration of a workspace needs, counted from the workspace by the
 * independent reconciliation's rules (src/sandbox/reconcile*), never by the import's own planner: a
 * check must not reuse the code it checks.
 *
 * Import, by what Chatwoot 4.10's API allows:
 * - one create per contact (canonical contacts: one per e-mail after case folding, plus every contact a
 *   conversation names that Intercom no longer lists); companies ride in the create
 *   (additional_attributes), so they cost nothing;
 * - one create per conversation, carrying its first message (app/builders/conversation_builder.rb
 *   and the controller's create take `message` with its attachments) and its team (ConversationBuilder
 *   takes `team_id`), then one request per further message, pieces of a long body included (the
 *   reconcile's expectedItems and Chatwoot's 150,000-character limit decide how many messages there
 *   are). Also where the first message has attachments: they make the create multipart/form-data,
 *   whose every value reaches the jsonb attributes as a string (Rack's form params; the controller
 *   does not cast them), which the import accepts for numbers. A form has no null and no empty list
 *   or hash, so a conversation whose Intercom custom attributes hold one sends such a message on its
 *   own: counted in `notes` (and in the excess), not here;
 * - labels, assignee and final status through POST /bulk_actions
 *   (app/controllers/api/v1/accounts/bulk_actions_controller.rb, app/jobs/bulk_actions_job.rb: one
 *   request applies `labels: {add}` and `fields: {status, assignee_id, team_id}` to any number of
 *   `ids`), so one request per distinct final status, each also adding the label every conversation
 *   has (from_intercom), one per distinct other label and one per distinct mapped agent. Open counts
 *   as a status: a conversation created open notifies every inbox member
 *   (NotificationListener#conversation_created returns only for a pending one), so it is created
 *   pending and opened afterwards; and the create's `status` would not hold a resolved or snoozed one
 *   either, since an incoming message reopens it (app/models/message.rb, reopen_conversation).
 *   A conversation snoozed until a time costs its own POST /toggle_status: the job applies only
 *   `fields` (`available_params`), so the `snoozed_until` the controller permits is never used; its
 *   from_intercom then rides one more bulk request. Contacts' labels likewise through the Contact
 *   bulk action (`labels: {add}`, Contacts::BulkActionService#assign_labels,
 *   app/services/contacts/bulk_action_service.rb);
 * - one request per contact note (POST /contacts/:id/notes has no batched form);
 * - tickets: one create (with its first message) and one request per further message, and one
 *   ticket-link note per linked conversation, counted on the Chatwoot state of a run that the
 *   independent check found complete (tickets are a handful per workspace).
 * No look-up is in the minimum: on a first run nothing exists to look up.
 *
 * Verification: the archive inbox's conversations paged once (25 a page: Chatwoot's
 * conversation_finder.rb; the tickets' conversations are in the same inbox) and each conversation's
 * and ticket's messages by `after` (100 a page: app/finders/message_finder.rb, messages_after).
 * Contacts are not re-read in the minimum, which makes it a lower bound.
 */
import type { Contact, Conversation } from '../../src/clients/intercom/schemas.js';
import { CHATWOOT_LIMITS, type SandboxDump } from '../../src/sandbox/chatwoot/index.js';
import type { IntercomDataset } from '../../src/sandbox/intercom/dataset.js';
import { reconcileContactExtras, survivorOf } from '../../src/sandbox/reconcile/contactNotes.js';
import { checkConversationMessages } from '../../src/sandbox/reconcile/messages.js';
import { type ActivityParts, chatwootEmail, expectedItems } from '../../src/sandbox/reconcile/rules.js';
import { canonicalContacts, capParts } from '../../src/sandbox/reconcile.js';

const BASE = '/api/v1/accounts/:account_id';
export const ROUTES = {
  contactCreate: `POST ${BASE}/contacts`,
  contactNote: `POST ${BASE}/contacts/:contact_id/notes`,
  conversationCreate: `POST ${BASE}/conversations`,
  messageCreate: `POST ${BASE}/conversations/:id/messages`,
  toggleStatus: `POST ${BASE}/conversations/:id/toggle_status`,
  bulkActions: `POST ${BASE}/bulk_actions`,
  conversationList: `GET ${BASE}/conversations`,
  messageList: `GET ${BASE}/conversations/:id/messages`,
} as const;

/** Conversations a page of GET /conversations holds (Chatwoot's conversation_finder.rb, 25). */
const CONVERSATIONS_PER_PAGE = 25;
/** Messages GET /conversations/:id/messages?after= returns (message_finder.rb, limit(100)). */
const MESSAGES_PER_PAGE = 100;

export interface Minimum {
  /** The import's minimum, per route (contacts included). */
  importByRoute: Record<string, number>;
  import: number;
  verifyByRoute: Record<string, number>;
  verify: number;
  conversations: number;
  contacts: number;
  messages: number;
  /** Where the count rests on something other than the workspace (said in the report). */
  notes: string[];
}

/** Letters and digits, lower-cased: two tags that become one label count once. */
const labelKey = (name: string) => name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

function tagNames(list: unknown): string[] {
  const tags = (list as { tags?: Array<{ name?: string }> } | null | undefined)?.tags;
  return Array.isArray(tags) ? tags.map((t) => t.name ?? '').filter(Boolean) : [];
}

export function minimumRequests(
  dataset: IntercomDataset,
  dump: SandboxDump,
  options: { account: number; activityParts: ActivityParts; timestampLine: boolean; reconciled: boolean },
): Minimum {
  const account = dump.accounts.find((a) => a.id === options.account);
  if (!account) throw new Error(`no Chatwoot account ${options.account} in the sandbox`);
  const notes: string[] = [];
  const deleted = new Set(dataset.deletedConversations.map((d) => d.id));
  const intercomContacts = new Map(dataset.contacts.map((c) => [c.id, c]));
  const canonical = canonicalContacts(dataset.contacts);
  const canonicalByEmail = new Map<string, string>();
  for (const c of canonical) {
    const email = chatwootEmail(c.email);
    if (email) canonicalByEmail.set(email, c.id);
  }
  const canonicalOf = (contact: Contact) => {
    const email = chatwootEmail(contact.email);
    return (email && canonicalByEmail.get(email)) || contact.id;
  };
  const canonicalIds = new Set(canonical.map((c) => c.id));
  const placeholders = new Set<string>();
  const chatwootUserEmails = new Set(account.users.map((u) => u.email.trim().toLowerCase()));
  const agentByAdmin = new Map(
    dataset.admins.map((a) => [String(a.id), chatwootUserEmails.has((a.email ?? '').trim().toLowerCase())]),
  );

  const labels = new Set<string>();
  const agents = new Set<string>();
  const statuses = new Set<string>();
  let snoozedUntilATime = 0;
  let firstOnItsOwn = 0;
  let conversations = 0;
  let messages = 0;
  let conversationRequests = 0;
  let messagePages = 0;
  for (const source of dataset.conversations as Conversation[]) {
    if (deleted.has(source.id)) continue;
    conversations++;
    const items = expectedItems(capParts(source, 500), options);
    const tally = checkConversationMessages(
      source.id,
      items,
      { messages: [] },
      options,
      {
        messageContent: CHATWOOT_LIMITS.messageContentChars,
        attachmentsPerMessage: CHATWOOT_LIMITS.attachmentsPerMessage,
      },
      [],
    );
    const count = tally.messagesExpected;
    messages += count;
    conversationRequests += Math.max(1, count);
    if ((items[0]?.attachments.length ?? 0) > 0 && formCannotCarry(source)) firstOnItsOwn++;
    messagePages += Math.max(1, Math.ceil(count / MESSAGES_PER_PAGE));
    // The conversation's contact, as the reconcile finds it.
    const referenced =
      source.contacts?.contacts?.[0]?.id ?? source.source.author.id ?? `conversation-${source.id}`;
    const known =
      intercomContacts.get(referenced) ??
      intercomContacts.get(survivorOf(dataset.contactMerges, referenced) ?? '');
    const holder = known ? canonicalOf(known) : referenced;
    if (!canonicalIds.has(holder)) placeholders.add(holder);
    for (const name of tagNames(source.tags)) labels.add(labelKey(name));
    const admin = source.admin_assignee_id ? String(source.admin_assignee_id) : undefined;
    if (admin && agentByAdmin.get(admin)) agents.add(admin);
    const state = (source.state ?? (source.open === false ? 'closed' : 'open')).toLowerCase();
    if (state === 'snoozed' && typeof source.snoozed_until === 'number') snoozedUntilATime++;
    else statuses.add(state);
  }

  // Contacts' labels, through the Contact bulk action: one per distinct label.
  const tagById = new Map(dataset.tags.map((t) => [String(t.id), t.name]));
  const contactLabels = new Set<string>();
  for (const contact of canonical) {
    const data = (contact.tags as { data?: Array<{ id?: unknown }> } | null | undefined)?.data ?? [];
    for (const tag of data) {
      const name = tagById.get(String(tag.id));
      if (name) contactLabels.add(labelKey(name));
    }
  }
  const contactNotes = reconcileContactExtras(dataset, () => [], []).expected;

  // Tickets: from the Chatwoot state the independent check found complete.
  let ticketRequests = 0;
  let ticketMessagePages = 0;
  let linkNotes = 0;
  for (const conversation of account.conversations) {
    const own = conversation.messages.filter((m) => m.source_id);
    if (typeof conversation.custom_attributes.intercom_ticket_id === 'string') {
      ticketRequests += Math.max(1, own.length);
      ticketMessagePages += Math.max(1, Math.ceil(conversation.messages.length / MESSAGES_PER_PAGE));
      for (const label of conversation.labels ?? []) {
        if (label !== 'from_intercom') labels.add(labelKey(label));
      }
      statuses.add(conversation.status === 'resolved' ? 'closed' : conversation.status);
    } else {
      linkNotes += own.filter((m) => m.source_id?.startsWith('ticket-link:')).length;
    }
  }
  if ((dataset.tickets?.length ?? 0) > 0) {
    notes.push(
      `tickets (${dataset.tickets?.length}) counted on the Chatwoot state${options.reconciled ? ', which the independent check found complete' : ' of a run the independent check did NOT find complete'}`,
    );
  }
  if (
    dataset.tickets?.some((t) => !(t as { contacts?: { contacts?: unknown[] } }).contacts?.contacts?.length)
  )
    placeholders.add('(the contact of tickets without one)');

  const contacts = canonical.length + placeholders.size;
  const importByRoute: Record<string, number> = {
    [ROUTES.contactCreate]: contacts,
    [ROUTES.contactNote]: contactNotes,
    [ROUTES.conversationCreate]: conversations + ticketCount(account),
    [ROUTES.messageCreate]:
      conversationRequests - conversations + ticketRequests - ticketCount(account) + linkNotes,
    [ROUTES.toggleStatus]: snoozedUntilATime,
    [ROUTES.bulkActions]:
      statuses.size + (snoozedUntilATime > 0 ? 1 : 0) + labels.size + agents.size + contactLabels.size,
  };
  if (firstOnItsOwn > 0) {
    notes.push(
      `${firstOnItsOwn} first messages with attachments are sent on their own, not counted in this minimum (a multipart create cannot carry a null or an empty list among Intercom's custom attributes)`,
    );
  }
  const verifyByRoute: Record<string, number> = {
    [ROUTES.conversationList]: Math.max(
      1,
      Math.ceil((conversations + ticketCount(account)) / CONVERSATIONS_PER_PAGE),
    ),
    [ROUTES.messageList]: messagePages + ticketMessagePages,
  };
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    importByRoute,
    import: sum(importByRoute),
    verifyByRoute,
    verify: sum(verifyByRoute),
    conversations,
    contacts,
    messages,
    notes,
  };
}

/**
 * Whether a form could not carry the migrated conversation's attributes, so that its first message
 * goes on its own when it has files: Rack has no null, drops an empty list or hash and nests a key
 * with brackets. Only Intercom's own custom attributes (kept whole in additional_attributes) can hold
 * such values; numbers and booleans go as their text.
 */
function formCannotCarry(source: Conversation): boolean {
  const uncarried = (value: unknown): boolean =>
    value === null ||
    (Array.isArray(value)
      ? value.length === 0 || value.some((item) => typeof item === 'object' || uncarried(item))
      : typeof value === 'object' &&
        (Object.keys(value).length === 0 ||
          Object.entries(value).some(([key, item]) => /[[\]]/.test(key) || uncarried(item))));
  const custom = source.custom_attributes ?? {};
  return Object.keys(custom).length > 0 && uncarried(custom);
}

function ticketCount(account: SandboxDump['accounts'][number]): number {
  return account.conversations.filter((c) => typeof c.custom_attributes.intercom_ticket_id === 'string')
    .length;
}

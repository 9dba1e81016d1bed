/**
 * Chatwoot requests: snapshots of the sandbox's counters, the difference per route, the busiest
 * second from arrival times, and the minimum the workspace needs.
 */
import type { MigrationInput } from '../../src/config.js';
import { contactPayload, planMessages } from '../../src/mapping/index.js';
import { canonicalContacts, capParts } from '../../src/sandbox/reconcile.js';
import type { Scenario } from '../../src/sandbox/scenario.js';

export interface RequestSnapshot {
  t: number;
  requests: number;
  throttled: number;
  byRoute: Record<string, number>;
}

export function cloneStats(scenario: Scenario): RequestSnapshot {
  const { stats } = scenario.chatwoot;
  return {
    t: Date.now(),
    requests: stats.requests,
    throttled: stats.throttled,
    byRoute: { ...stats.byRoute },
  };
}

export function diffRoutes(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, count] of Object.entries(after)) {
    const delta = count - (before[route] ?? 0);
    if (delta > 0) out[route] = delta;
  }
  return out;
}

/** The busiest second: the most requests that arrived at Chatwoot within any 1,000 ms of the import. */
export function busiestSecond(arrivals: number[], from: number, to: number): number {
  const importArrivals = arrivals.filter((t) => t >= from && t <= to);
  let peakOneSecond = 0;
  for (let i = 0, j = 0; j < importArrivals.length; j++) {
    while (importArrivals[j] - importArrivals[i] >= 1000) i++;
    peakOneSecond = Math.max(peakOneSecond, j - i + 1);
  }
  return peakOneSecond;
}

const ROUTE = {
  contactFilter: 'POST /api/v1/accounts/:account_id/contacts/filter',
  contactCreate: 'POST /api/v1/accounts/:account_id/contacts',
  conversationFilter: 'POST /api/v1/accounts/:account_id/conversations/filter',
  conversationCreate: 'POST /api/v1/accounts/:account_id/conversations',
  messageCreate: 'POST /api/v1/accounts/:account_id/conversations/:id/messages',
  labels: 'POST /api/v1/accounts/:account_id/conversations/:id/labels',
  assignments: 'POST /api/v1/accounts/:account_id/conversations/:id/assignments',
  toggle: 'POST /api/v1/accounts/:account_id/conversations/:id/toggle_status',
};

/**
 * What the import cannot do with less, from the workspace itself: per canonical contact a look-up
 * and a create; per conversation a look-up, a create, its messages, the labels, the team and agent
 * assignments that map to something, and the status.
 */
export function minimumImportRequests(
  scenario: Scenario,
  mapping: { agents: Record<string, number>; teams: Record<string, number> },
  input: MigrationInput,
): {
  byRoute: Record<string, number>;
  messages: number;
  attachments: number;
  conversations: number;
  phoneConflicts: number;
} {
  const dataset = scenario.intercom.dataset;
  const deleted = new Set(dataset.deletedConversations.map((d) => d.id));
  const contacts = canonicalContacts(dataset.contacts);
  const canonicalIds = new Set(contacts.map((c) => c.id));
  const mergedInto = new Map<string, string>();
  const byEmail = new Map(contacts.filter((c) => c.email).map((c) => [c.email?.trim().toLowerCase(), c.id]));
  for (const contact of dataset.contacts) {
    const owner = byEmail.get(contact.email?.trim().toLowerCase());
    if (owner && owner !== contact.id) mergedInto.set(contact.id, owner);
  }
  const placeholders = new Set<string>();
  const byRoute: Record<string, number> = {
    [ROUTE.contactFilter]: contacts.length,
    [ROUTE.contactCreate]: contacts.length,
    [ROUTE.conversationFilter]: 0,
    [ROUTE.conversationCreate]: 0,
    [ROUTE.messageCreate]: 0,
    [ROUTE.labels]: 0,
    [ROUTE.assignments]: 0,
    [ROUTE.toggle]: 0,
  };
  let messages = 0;
  let attachments = 0;
  let conversations = 0;
  for (const source of dataset.conversations) {
    if (deleted.has(source.id)) continue;
    const conversation = capParts(source, 500);
    const planned = planMessages(conversation, {
      activityParts: input.import.activityParts,
      timestampLine: input.import.timestampLine,
    });
    conversations++;
    messages += planned.length;
    attachments += planned.reduce((sum, m) => sum + m.attachments.length, 0);
    const contactId = conversation.contacts?.contacts[0]?.id ?? conversation.source.author.id ?? '';
    const canonical = mergedInto.get(contactId) ?? contactId;
    if (!canonicalIds.has(canonical)) placeholders.add(canonical);
    byRoute[ROUTE.conversationFilter]++;
    byRoute[ROUTE.conversationCreate]++;
    byRoute[ROUTE.messageCreate] += planned.length;
    byRoute[ROUTE.labels]++;
    if (conversation.team_assignee_id && mapping.teams[conversation.team_assignee_id] !== undefined)
      byRoute[ROUTE.assignments]++;
    if (conversation.admin_assignee_id && mapping.agents[conversation.admin_assignee_id] !== undefined)
      byRoute[ROUTE.assignments]++;
    byRoute[ROUTE.toggle]++;
  }
  byRoute[ROUTE.contactFilter] += placeholders.size;
  byRoute[ROUTE.contactCreate] += placeholders.size;
  // Not in the minimum, since nothing forces them: a contact whose phone number another already holds
  // is refused (422) and created again without it.
  const phones = new Set<string>();
  let phoneConflicts = 0;
  for (const contact of contacts) {
    const phone = contactPayload(contact).phone_number;
    if (!phone) continue;
    if (phones.has(phone)) phoneConflicts++;
    phones.add(phone);
  }
  return { byRoute, messages, attachments, conversations, phoneConflicts };
}

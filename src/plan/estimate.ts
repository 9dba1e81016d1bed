/**
 * The plan's estimate: what a migration of the surveyed workspace will cost, from counts alone. Pure
 * (no I/O, no clock), so the workflow-side report and the tests share one formula.
 *
 * It follows the per-route rules the import follows on a first run (nothing in Chatwoot yet), written
 * here from those rules, not by calling the import's planner (activities/import/*):
 * - contacts: one create each (contacts sharing an e-mail in another case become one), one request
 *   per contact note, one labels request for a contact with tags, one update for one with companies;
 *   a conversation's contact that Intercom no longer lists costs a look-up and a create;
 * - conversations: the create carries the first message (ConversationsController#create builds it in
 *   the same transaction), then one request per further message, one for the labels (every migrated
 *   conversation carries `from_intercom`), one for the assignee when the admin is a Chatwoot agent,
 *   one for the final status; the team rides in the create;
 * - tickets: a look-up (for a ticket converted from a conversation), its contact, a create, every
 *   message, the labels, team, assignee and status, and for each linked conversation a read and a
 *   note, plus one look-up of a ticket's linked conversations and the list of links; and per run one
 *   question each about contacts and tickets of earlier imports (activities/import/runStartProbes.ts);
 * - verification: the archive inbox paged 25 a conversation page, each conversation's messages 100 a
 *   page, contacts paged 15 a page (or looked up one by one when that is fewer), contacts' notes read;
 * - setup and preflight: a handful of reads and one create per label, team, canned response,
 *   help-center category and article, attribute definition.
 * Intercom: the export's pages and one GET per conversation and ticket, plus the contact extras the
 * contact objects say exist (notes, more than 10 companies or tags).
 */

// The share of its budget the Chatwoot client paces at: the estimate follows the pacer's own constant.
import { budgetShareAt, TYPICAL_ANSWER_MS } from '../clients/sendWindow.js';

/** GET /contacts/search and POST /conversations/filter, once a run, before the first creates. */
const RUN_START_QUESTIONS = 2;

/** Chatwoot's defaults when the workers set no budget: Rack::Attack allows 3,000 a minute per IP. */
export const CHATWOOT_DEFAULT_REQUESTS_PER_SECOND = 50;
/** Intercom's documented default: 10,000 calls a minute per app, counted in 10-second windows. */
export const INTERCOM_DEFAULT_PER_10S = 1666;

const CONVERSATIONS_PER_PAGE = 25;
/** Conversations per bulk batch (workflows/importWorkflow.ts BULK_BATCH). */
export const BULK_BATCH = 100;
/**
 * Seconds with the Chatwoot budget not in use: the workflows' and children's starts, the preflight,
 * the mapping's wait for Intercom's lists, the ends of the contacts' and the import's bulk batches.
 * Measured at 2-3 s on the bench (BENCHMARKS.md); a worker started just before the migration adds
 * its budget share's join hold (budgetShare.ts), about 6 s, not counted.
 */
const STARTUP_SECONDS = 3;
const CONTACTS_PER_PAGE = 15;
/** What the blob store keeps per conversation besides its chunk line: marker, sync record. */
const BLOB_BYTES_PER_CONVERSATION = 420;
/** Per contact: the alias/extras records of the few that have them are counted by their own. */
const BLOB_BYTES_PER_CONTACT_WITH_EXTRAS = 110;
/** Per attachment: the index entry beside the file. */
const BLOB_BYTES_PER_ATTACHMENT_INDEX = 260;
/** Manifests, mapping and report files: a fixed amount per migration. */
const BLOB_FIXED_BYTES = 24_000;

/** Aggregates of one kind of conversation (conversations or tickets); ids and counts only. */
export interface ThreadCounts {
  count: number;
  /** Messages the import posts, by the rules above (activity lines and notes included). */
  messages: number;
  /** Threads with no message at all (the create then carries none). */
  withoutMessages: number;
  /** Sum over threads of max(1, ceil(messages / 100)): the verification's message pages. */
  messagePages: number;
  /** Intercom admin id -> threads assigned to that admin (matched against Chatwoot agents later). */
  assignees: Record<string, number>;
  withTeam: number;
  /** Minutes the flood guard adds at the configured messages a minute, summed over threads. */
  floodGuardMinutes: number;
  /**
   * Conversations only: the labels and final status sent in batches through POST /bulk_actions
   * (activities/import/bulkActions.ts, patch import-bulk-labels-status): one request per distinct
   * (status, labels) in each batch of BULK_BATCH, then the batch read back from the archive inbox.
   * Conversations snoozed until a time keep their own status request. Absent: per conversation.
   */
  finalState?: { batches: number; groupRequests: number; ownStatus: number; lastBatch: number };
  /** Linked conversations (tickets only). */
  links?: number;
  /** Tickets with at least one link (the list-of-links note). */
  withLinks?: number;
}

export interface PlanCounts {
  contacts: {
    listed: number;
    /** Listed contacts whose e-mail another listed contact has in another case (merged, no create). */
    mergedByEmail: number;
    withNotes: number;
    notes: number;
    withTags: number;
    withCompanies: number;
    /** Conversation contacts Intercom no longer lists (a placeholder is made). */
    placeholders: number;
  };
  conversations: ThreadCounts;
  tickets: ThreadCounts;
  setup: {
    labels: number;
    teams: number;
    macros: number;
    contactAttributes: number;
    collections: number;
    articles: number;
    ticketTypes: number;
  };
  intercom: {
    /** Every request the export sends, page by page (the survey counted the pages it read). */
    exportRequests: number;
    /** Of those, what must be read before the import starts (contacts and the small lists). */
    beforeImport: number;
  };
  blob: {
    conversationBytes: number;
    contactBytes: number;
    ticketBytes: number;
    otherBytes: number;
    attachments: number;
    attachmentBytes: number;
  };
}

export interface PlanSettings {
  /** CHATWOOT_REQUESTS_PER_SECOND of the workers; undefined: none set. */
  chatwootRequestsPerSecond?: number;
  /** Intercom's rate limit per 10-second window (X-RateLimit-Limit), when known. */
  intercomPer10s?: number;
  /** INTERCOM_REQUESTS_PER_SECOND of the workers, when set (the client paces under it). */
  intercomRequestsPerSecond?: number;
  /** Admin ids whose e-mail is a Chatwoot agent's. */
  matchedAdmins: readonly string[];
  /** Agent tokens the preflight checks (one profile read each). */
  agentTokens: number;
  /** import.windowSize: conversations at once, over which the flood guard's waits spread. */
  windowSize: number;
  /**
   * Chatwoot's answer time measured by the plan's own reads (ms), when it made any: the pacer holds a
   * request's place until 1,000 ms after its answer (sendWindow.ts), so slower answers leave more
   * of the budget unused. Undefined: TYPICAL_ANSWER_MS is assumed.
   */
  chatwootAnswerMs?: number;
}

export interface PlanEstimate {
  chatwoot: {
    byStep: {
      preflight: number;
      setup: number;
      contacts: number;
      conversations: number;
      tickets: number;
      verify: number;
    };
    requests: number;
    /** The budget used for the time, and where it came from. */
    budgetPerSecond: number;
    budgetSource: 'CHATWOOT_REQUESTS_PER_SECOND' | 'Chatwoot default (Rack::Attack 3,000/min)';
    /** The answer time the time assumes (ms), and whether the plan measured it. */
    answerMs: number;
    answerMeasured: boolean;
    seconds: number;
  };
  intercom: {
    requests: number;
    perSecond: number;
    rateSource: 'X-RateLimit-Limit' | 'INTERCOM_REQUESTS_PER_SECOND' | 'Intercom default (10,000/min)';
    seconds: number;
  };
  /** Until verification ends: the Chatwoot side after what the import waits for, or Intercom's, whichever is longer. */
  wallSeconds: number;
  /** What decides the wall time. */
  boundBy: 'chatwoot budget' | 'intercom rate' | 'flood guard';
  blobBytes: number;
}

const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};

/** Threads assigned to an admin who is a Chatwoot agent: one assignment request each. */
function matchedAssignments(assignees: Record<string, number>, matched: ReadonlySet<string>): number {
  return sum(Object.entries(assignees).map(([admin, count]) => (matched.has(admin) ? count : 0)));
}

export function chatwootRequests(
  counts: PlanCounts,
  settings: PlanSettings,
): PlanEstimate['chatwoot']['byStep'] {
  const matched = new Set(settings.matchedAdmins);
  const { contacts, conversations, tickets, setup } = counts;
  // Profile + membership, the inbox list, automation rules and webhooks, one profile per agent token.
  const preflight = 4 + settings.agentTokens;
  // Inbox: list, create, members (list + add); attributes: two lists and the definitions; agents;
  // labels: list and creates; teams: list, create, members list and add; canned responses: list and
  // creates; help center: portals, categories, articles, profile; agent bot: list and create; tickets.
  const setupRequests =
    4 +
    2 +
    6 +
    setup.contactAttributes +
    1 +
    1 +
    setup.labels +
    1 +
    3 * setup.teams +
    1 +
    setup.macros +
    (setup.collections + setup.articles > 0 ? 5 + setup.collections + setup.articles : 0) +
    2 +
    (setup.ticketTypes > 0 ? 3 + setup.ticketTypes : 0);
  const contactRequests =
    contacts.listed -
    contacts.mergedByEmail +
    contacts.notes +
    contacts.withTags +
    contacts.withCompanies +
    2 * contacts.placeholders;
  const bulk = conversations.finalState;
  // A batch is read back newest first while the window's conversations are created above it.
  const readBackPages = (size: number) => Math.ceil((size + settings.windowSize) / CONVERSATIONS_PER_PAGE);
  const finalState = bulk
    ? bulk.groupRequests +
      bulk.ownStatus +
      Math.max(0, bulk.batches - 1) * readBackPages(BULK_BATCH) +
      (bulk.batches > 0 ? readBackPages(bulk.lastBatch) : 0)
    : 2 * conversations.count; // labels and final status, each conversation
  const conversationRequests =
    conversations.count + // create, with the first message
    (conversations.messages - (conversations.count - conversations.withoutMessages)) +
    matchedAssignments(conversations.assignees, matched) +
    finalState;
  const links = tickets.links ?? 0;
  const ticketRequests =
    RUN_START_QUESTIONS +
    tickets.count * 4 + // a look-up, the contact, the create, the labels
    tickets.messages +
    2 * links +
    2 * (tickets.withLinks ?? 0) +
    tickets.withTeam +
    matchedAssignments(tickets.assignees, matched) +
    tickets.count; // status
  const threads = conversations.count + tickets.count;
  const canonical = contacts.listed - contacts.mergedByEmail + contacts.placeholders;
  const verify =
    Math.max(1, Math.ceil(threads / CONVERSATIONS_PER_PAGE)) +
    conversations.messagePages +
    tickets.messagePages +
    Math.min(Math.ceil(canonical / CONTACTS_PER_PAGE), canonical) +
    contacts.withNotes;
  return {
    preflight,
    setup: setupRequests,
    contacts: contactRequests,
    conversations: conversationRequests,
    tickets: ticketRequests,
    verify,
  };
}

export function estimatePlan(counts: PlanCounts, settings: PlanSettings): PlanEstimate {
  const byStep = chatwootRequests(counts, settings);
  const requests = sum(Object.values(byStep));
  const budgetPerSecond = settings.chatwootRequestsPerSecond ?? CHATWOOT_DEFAULT_REQUESTS_PER_SECOND;
  const answerMs = settings.chatwootAnswerMs ?? TYPICAL_ANSWER_MS;
  const chatwootSeconds = requests / (budgetPerSecond * budgetShareAt(answerMs));

  const fromHeader = settings.intercomPer10s ? settings.intercomPer10s / 10 : undefined;
  const candidates: { perSecond: number; source: PlanEstimate['intercom']['rateSource'] }[] = [];
  if (fromHeader) candidates.push({ perSecond: fromHeader, source: 'X-RateLimit-Limit' });
  if (settings.intercomRequestsPerSecond)
    candidates.push({
      perSecond: settings.intercomRequestsPerSecond,
      source: 'INTERCOM_REQUESTS_PER_SECOND',
    });
  if (candidates.length === 0)
    candidates.push({ perSecond: INTERCOM_DEFAULT_PER_10S / 10, source: 'Intercom default (10,000/min)' });
  const rate = candidates.reduce((low, c) => (c.perSecond < low.perSecond ? c : low));
  // The preflight's one Intercom request (GET /me) comes before the export.
  const intercomRequests = counts.intercom.exportRequests + 1;
  const intercomSeconds = intercomRequests / rate.perSecond;

  // The import follows the export, but only after the contacts and the small lists are read.
  const lead = (counts.intercom.beforeImport + 1) / rate.perSecond;
  const chatwootPath = STARTUP_SECONDS + lead + chatwootSeconds;
  // The flood guard holds a long conversation for minutes; a window of them waits side by side.
  const floodSeconds =
    ((counts.conversations.floodGuardMinutes + counts.tickets.floodGuardMinutes) * 60) /
    Math.max(1, settings.windowSize);
  const candidatesWall: { seconds: number; bound: PlanEstimate['boundBy'] }[] = [
    { seconds: chatwootPath, bound: 'chatwoot budget' },
    { seconds: intercomSeconds, bound: 'intercom rate' },
    { seconds: floodSeconds, bound: 'flood guard' },
  ];
  const wall = candidatesWall.reduce((high, c) => (c.seconds > high.seconds ? c : high));

  const { blob } = counts;
  const withExtras = counts.contacts.withNotes + counts.contacts.withTags + counts.contacts.withCompanies;
  const blobBytes =
    blob.conversationBytes +
    blob.contactBytes +
    blob.ticketBytes +
    blob.otherBytes +
    blob.attachmentBytes +
    blob.attachments * BLOB_BYTES_PER_ATTACHMENT_INDEX +
    (counts.conversations.count + counts.tickets.count) * BLOB_BYTES_PER_CONVERSATION +
    withExtras * BLOB_BYTES_PER_CONTACT_WITH_EXTRAS +
    BLOB_FIXED_BYTES;

  return {
    chatwoot: {
      byStep,
      requests,
      budgetPerSecond,
      budgetSource:
        settings.chatwootRequestsPerSecond === undefined
          ? 'Chatwoot default (Rack::Attack 3,000/min)'
          : 'CHATWOOT_REQUESTS_PER_SECOND',
      answerMs: Math.round(answerMs),
      answerMeasured: settings.chatwootAnswerMs !== undefined,
      seconds: chatwootSeconds,
    },
    intercom: {
      requests: intercomRequests,
      perSecond: rate.perSecond,
      rateSource: rate.source,
      seconds: intercomSeconds,
    },
    wallSeconds: wall.seconds,
    boundBy: wall.bound,
    blobBytes,
  };
}

/** "1 h 05 min", "4 min 10 s", "12 s": for the report. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The messages a thread of `messages` adds to the flood guard's wait, in minutes. */
export function floodGuardMinutes(messages: number, perMinute: number): number {
  return Math.max(0, Math.ceil(messages / Math.max(1, perMinute)) - 1);
}

/**
 * The bulk batches of the conversations in import order: each batch of BULK_BATCH sends one request
 * per distinct (status, labels) it holds (per 100 ids, as many as a batch holds at most).
 */
export class BulkBatchCount {
  private groups = new Set<string>();
  private size = 0;
  private readonly total = { batches: 0, groupRequests: 0, ownStatus: 0, lastBatch: 0 };

  /** `key`: the status and sorted labels; undefined for one snoozed until a time (its own request). */
  add(key: string | undefined): void {
    if (key === undefined) this.total.ownStatus++;
    else this.groups.add(key);
    this.size++;
    if (this.size === BULK_BATCH) this.close();
  }

  private close(): void {
    if (this.size === 0) return;
    this.total.batches++;
    this.total.groupRequests += this.groups.size;
    this.total.lastBatch = this.size;
    this.groups = new Set();
    this.size = 0;
  }

  result(): NonNullable<ThreadCounts['finalState']> {
    this.close();
    return { ...this.total };
  }
}

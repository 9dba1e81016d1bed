/**
 * The plan's Intercom side (intercom-reads queue): reads the workspace the way the export will, and
 * counts. It writes nothing anywhere; it returns counts and Intercom ids only (they land in the
 * plan workflow's history, where no personal data belongs: tag names, e-mails and texts stay here).
 *
 * Every conversation the filters keep (src/mapping/filters.ts) is fetched whole, as the export does:
 * parts, attachments and their sizes are not in the list. So the plan costs about the export's
 * conversation requests; it says so in the report. An attempt that dies starts over (a plan keeps no
 * checkpoint: it writes nothing to resume from).
 *
 * Attachment sizes come from each attachment's `filesize` (Intercom's part_attachment carries it);
 * for one without, the link itself is asked through the download guard (safeFetch: the same hosts,
 * schemes and limits as the rehosting), its Content-Length read from the answer's headers and the
 * download cut there, the equivalent of a HEAD the guard does not offer.
 */
import { Context } from '@temporalio/activity';
import { openAttachment, type SafeFetchPolicy } from '../../clients/attachments/safeFetch.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import { listHasAny, listIsCut, listRef } from '../../clients/intercom/contactSchemas.js';
import type { Conversation } from '../../clients/intercom/schemas.js';
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import {
  contactVerdict,
  conversationVerdict,
  emptyLeftOutCounts,
  type LeftOutCounts,
} from '../../mapping/filters.js';
import { conversationLabels } from '../../mapping/labels.js';
import {
  BulkBatchCount,
  floodGuardMinutes,
  type PlanCounts,
  type ThreadCounts,
} from '../../plan/estimate.js';
import {
  type AttachmentTally,
  conversationFacts,
  INTERCOM_PARTS_CAP,
  ticketFacts,
} from '../../plan/threads.js';
import type { ActivityDeps } from '../deps.js';
import { contactIdsOf } from '../export/filtering.js';
import { mapLimited } from '../mapLimited.js';
import type { OnQueue } from '../queues.js';

/** Fetched at once, as the export does (export/intercomReads.ts fetchConversations). */
const FETCH_CONCURRENCY = 4;
/** The export reads the ticket search again until a pass brings nothing new: two passes when stable. */
const TICKET_SEARCH_PASSES = 2;
/** Contact notes and companies are listed 50 a page (IntercomClient). */
const CONTACT_LIST_PAGE = 50;
/** Links whose size is asked at most (beyond: counted as of unknown size). */
const MAX_SIZE_LOOKUPS = 2000;
/** Conversations over Intercom's part cap listed by id in the report at most. */
const MAX_LISTED_LONG = 200;

export interface LongConversation {
  conversationId: string;
  parts: number;
}

/** Counts and ids only: this is the plan workflow's history. */
export interface IntercomSurvey {
  counts: PlanCounts;
  parts: { conversations: number; tickets: number };
  /** Conversations whose parts Intercom counts beyond its 500-part cap (the import adds a note). */
  overPartsCap: { count: number; listed: LongConversation[] };
  attachments: {
    count: number;
    bytes: number;
    /** How many sizes came from `filesize`, from the link's Content-Length, or stay unknown. */
    sizedByFilesize: number;
    sizedByLink: number;
    unknownSize: number;
  };
  leftOut: LeftOutCounts;
  /** Conversations Intercom would not serve (gone since listed, or unusable: the export sets those aside). */
  unreadable: number;
  companies: number;
  tags: number;
  teams: number;
  admins: number;
  /** Requests this survey sent to Intercom (about the export's own). */
  surveyRequests: number;
  /** X-RateLimit-Limit as Intercom sent it (per 10 s). */
  rateLimitPer10s?: number;
}

/** Every count at zero: where the survey starts, and what the report assumes without a survey. */
export function emptyPlanCounts(): PlanCounts {
  return {
    contacts: {
      listed: 0,
      mergedByEmail: 0,
      withNotes: 0,
      notes: 0,
      withTags: 0,
      withCompanies: 0,
      placeholders: 0,
    },
    conversations: emptyThreads(),
    tickets: { ...emptyThreads(), links: 0, withLinks: 0 },
    setup: {
      labels: 0,
      teams: 0,
      macros: 0,
      contactAttributes: 0,
      collections: 0,
      articles: 0,
      ticketTypes: 0,
    },
    intercom: { exportRequests: 0, beforeImport: 0 },
    blob: {
      conversationBytes: 0,
      contactBytes: 0,
      ticketBytes: 0,
      otherBytes: 0,
      attachments: 0,
      attachmentBytes: 0,
    },
  };
}

function emptyThreads(): ThreadCounts {
  return {
    count: 0,
    messages: 0,
    withoutMessages: 0,
    messagePages: 0,
    assignees: {},
    withTeam: 0,
    floodGuardMinutes: 0,
  };
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8') + 1;

const isUnserved = (error: unknown) =>
  (error instanceof HttpFailure && error.status === 404) ||
  (error instanceof Error && (error.name === 'ResponseShapeError' || error.name === 'ResponseTooLargeError'));

function addThread(
  threads: ThreadCounts,
  facts: { messages: number },
  assignee: string | null | undefined,
  team: string | null | undefined,
  perMinute: number,
): void {
  threads.count++;
  threads.messages += facts.messages;
  if (facts.messages === 0) threads.withoutMessages++;
  threads.messagePages += Math.max(1, Math.ceil(facts.messages / 100));
  threads.floodGuardMinutes += floodGuardMinutes(facts.messages, perMinute);
  const admin = assignee && assignee !== '0' ? String(assignee) : undefined;
  if (admin) threads.assignees[admin] = (threads.assignees[admin] ?? 0) + 1;
  if (team && team !== '0') threads.withTeam++;
}

/**
 * What a conversation's bulk request groups it by: Chatwoot's status for Intercom's state and its
 * labels; undefined for one snoozed until a time, which keeps its own status request.
 */
function bulkKey(conversation: Conversation): string | undefined {
  const state = (conversation.state ?? (conversation.open === false ? 'closed' : 'open')).toLowerCase();
  if (state === 'snoozed' && typeof conversation.snoozed_until === 'number') return undefined;
  const status = state === 'closed' ? 'resolved' : state === 'snoozed' ? 'snoozed' : 'open';
  const labels = conversationLabels((conversation.tags?.tags ?? []).map((tag) => tag.name));
  return JSON.stringify([status, labels]);
}

export const planSurveyQueue = taskQueues.intercom;

export function createPlanSurveyActivities(deps: ActivityDeps) {
  async function surveyIntercom({ input }: { input: MigrationInput }): Promise<IntercomSurvey> {
    const intercom = deps.intercom(input);
    const context = Context.current();
    const beat = (what: Record<string, number>) => context.heartbeat(what);
    const mode = input.import.activityParts;
    const perMinute = input.import.messagesPerMinute;
    const perPage = input.export.pageSize;
    const filters = input.filters;
    let requests = 0;
    let beforeImport = 0;
    /** Counts one request per page of a generator. */
    async function* counted<T>(pages: AsyncGenerator<T>, before = false): AsyncGenerator<T> {
      for await (const page of pages) {
        requests++;
        if (before) beforeImport++;
        yield page;
      }
    }
    const once = async <T>(load: () => Promise<T>, before = true): Promise<T> => {
      requests++;
      if (before) beforeImport++;
      return load();
    };

    const counts = emptyPlanCounts();
    const survey: Omit<IntercomSurvey, 'counts' | 'surveyRequests'> = {
      parts: { conversations: 0, tickets: 0 },
      overPartsCap: { count: 0, listed: [] },
      attachments: { count: 0, bytes: 0, sizedByFilesize: 0, sizedByLink: 0, unknownSize: 0 },
      leftOut: emptyLeftOutCounts(),
      unreadable: 0,
      companies: 0,
      tags: 0,
      teams: 0,
      admins: 0,
    };

    // The small lists the export reads whole, and the mapping step turns into labels, teams, etc.
    const tags = await once(() => intercom.tags());
    survey.tags = tags.length;
    counts.setup.labels = new Set(tags.map((tag) => tag.name)).size + 1;
    const teams = await once(() => intercom.teams());
    survey.teams = counts.setup.teams = teams.length;
    const admins = await once(() => intercom.admins());
    survey.admins = admins.length;
    counts.blob.otherBytes += jsonBytes(tags) + jsonBytes(teams) + jsonBytes(admins);
    for await (const page of counted(intercom.macroPages(undefined), true)) {
      counts.setup.macros += page.items.length;
      counts.blob.otherBytes += jsonBytes(page.items);
    }
    for (const model of ['contact', 'company', 'conversation'] as const) {
      const list = await once(() => intercom.dataAttributes(model, { includeArchived: true }));
      counts.blob.otherBytes += jsonBytes(list);
      if (model === 'contact')
        counts.setup.contactAttributes = list.filter(
          (a) => a.custom !== false && !a.archived && a.name,
        ).length;
    }
    for await (const page of counted(intercom.collectionPages(1), true)) {
      counts.setup.collections += page.items.length;
      counts.blob.otherBytes += jsonBytes(page.items);
    }
    for await (const page of counted(intercom.articlePages(1), true)) {
      counts.setup.articles += page.items.length;
      counts.blob.otherBytes += jsonBytes(page.items);
    }
    const ticketTypes = await once(() => intercom.ticketTypes());
    const ticketStates = await once(() => intercom.ticketStates());
    counts.setup.ticketTypes = ticketTypes.length;
    counts.blob.otherBytes += jsonBytes(ticketTypes) + jsonBytes(ticketStates);
    for await (const page of counted(intercom.companyScroll(), true)) {
      survey.companies += page.items.length;
      counts.blob.otherBytes += jsonBytes(page.items);
    }
    beat({ lists: 1 });

    const attachmentTally: AttachmentTally = { count: 0, bytes: 0, withoutSize: [] };
    const referenced = new Set<string>();
    const primaryContacts = new Set<string>();
    const limit = input.import.limit;

    const bulk = new BulkBatchCount();
    // Conversations: listed, judged on the list item (as the export does), the kept ones fetched whole.
    let listPages = 0;
    for await (const page of counted(intercom.conversationPages(undefined, perPage))) {
      listPages++;
      const wanted: string[] = [];
      for (const item of page.items) {
        const verdict = conversationVerdict(filters, item);
        if (!verdict.kept) {
          survey.leftOut.conversations[verdict.reason]++;
          continue;
        }
        if (limit > 0 && counts.conversations.count + wanted.length >= limit) break;
        wanted.push(item.id);
        for (const id of contactIdsOf(item)) referenced.add(id);
      }
      const fetched = await mapLimited(wanted, FETCH_CONCURRENCY, async (id) => {
        requests++;
        try {
          return await intercom.getConversation(id);
        } catch (error) {
          if (isUnserved(error)) return undefined;
          throw error;
        }
      });
      for (const conversation of fetched) {
        if (!conversation) {
          survey.unreadable++;
          continue;
        }
        surveyConversation(conversation);
      }
      beat({ conversations: counts.conversations.count });
      if (limit > 0 && counts.conversations.count >= limit) break;
    }

    function surveyConversation(conversation: Conversation): void {
      bulk.add(bulkKey(conversation));
      const facts = conversationFacts(conversation, mode, attachmentTally);
      addThread(
        counts.conversations,
        facts,
        conversation.admin_assignee_id,
        conversation.team_assignee_id,
        perMinute,
      );
      survey.parts.conversations += facts.parts;
      if (facts.parts > INTERCOM_PARTS_CAP || facts.truncated) {
        survey.overPartsCap.count++;
        if (survey.overPartsCap.listed.length < MAX_LISTED_LONG)
          survey.overPartsCap.listed.push({ conversationId: conversation.id, parts: facts.parts });
      }
      counts.blob.conversationBytes += jsonBytes(conversation);
      const primary = conversation.contacts?.contacts[0]?.id ?? conversation.source.author.id;
      if (primary) primaryContacts.add(primary);
    }

    counts.conversations.finalState = bulk.result();

    // Tickets: the search (read twice by the export when nothing moves), each ticket fetched whole.
    const ticketIds = new Set<string>();
    for await (const page of counted(intercom.ticketPages(undefined, perPage))) {
      for (const item of page.items) ticketIds.add(item.id);
    }
    for (const id of ticketIds) {
      requests++;
      let ticket: Ticket;
      try {
        ticket = await intercom.getTicket(id);
      } catch (error) {
        if (isUnserved(error)) continue;
        throw error;
      }
      const facts = ticketFacts(ticket, mode, attachmentTally);
      addThread(counts.tickets, facts, ticket.admin_assignee_id, ticket.team_assignee_id, perMinute);
      survey.parts.tickets += facts.parts;
      const links = (ticket.linked_objects?.data ?? []).filter((link) => link.type === 'conversation').length;
      counts.tickets.links = (counts.tickets.links ?? 0) + links;
      if (links > 0) counts.tickets.withLinks = (counts.tickets.withLinks ?? 0) + 1;
      counts.blob.ticketBytes += jsonBytes(ticket);
      for (const ref of ticket.contacts?.contacts ?? []) referenced.add(String(ref.id));
    }
    // The search pages once more, as the export's second pass does (counted, not read).
    const ticketSearchPages = Math.max(1, Math.ceil(ticketIds.size / perPage));
    requests += (TICKET_SEARCH_PASSES - 1) * ticketSearchPages;
    beat({ tickets: counts.tickets.count });

    // Contacts, with what their objects say about notes, companies and tags.
    if (filters?.contacts === 'referenced') {
      // The export lists conversations and tickets first to know which contacts are referenced.
      requests += listPages + ticketSearchPages;
      beforeImport += listPages + ticketSearchPages;
    }
    const emails = new Set<string>();
    const listedContacts = new Set<string>();
    for await (const page of counted(intercom.contactPages(undefined, perPage), true)) {
      for (const contact of page.items) {
        listedContacts.add(contact.id);
        if (!contactVerdict(filters, contact.id, referenced).kept) {
          survey.leftOut.contacts.unreferenced++;
          continue;
        }
        counts.contacts.listed++;
        const email = contact.email?.trim().toLowerCase();
        if (email) {
          if (emails.has(email)) counts.contacts.mergedByEmail++;
          else emails.add(email);
        }
        const record = contact as Record<string, unknown>;
        const notes = listRef(record.notes);
        if (listHasAny(notes)) {
          const total = notes.total_count ?? notes.data?.length ?? 1;
          counts.contacts.withNotes++;
          counts.contacts.notes += total;
          const pages = Math.max(1, Math.ceil(total / CONTACT_LIST_PAGE));
          requests += pages;
          beforeImport += pages;
        }
        const companies = listRef(record.companies);
        if ((companies.data?.length ?? 0) > 0 || (companies.total_count ?? 0) > 0)
          counts.contacts.withCompanies++;
        if (listIsCut(companies)) {
          const pages = Math.max(1, Math.ceil((companies.total_count ?? 0) / CONTACT_LIST_PAGE));
          requests += pages;
          beforeImport += pages;
        }
        const contactTags = listRef(record.tags);
        if ((contactTags.data?.length ?? 0) > 0 || (contactTags.total_count ?? 0) > 0)
          counts.contacts.withTags++;
        if (listIsCut(contactTags)) {
          requests++;
          beforeImport++;
        }
        counts.blob.contactBytes += jsonBytes(contact);
      }
      beat({ contacts: listedContacts.size });
    }
    for (const id of primaryContacts) if (!listedContacts.has(id)) counts.contacts.placeholders++;

    await sizeAttachments(input, attachmentTally, survey.attachments, beat);
    counts.blob.attachments = survey.attachments.count;
    counts.blob.attachmentBytes = survey.attachments.bytes;
    counts.intercom = { exportRequests: requests, beforeImport };
    return {
      ...survey,
      counts,
      surveyRequests: requests - (TICKET_SEARCH_PASSES - 1) * ticketSearchPages,
      rateLimitPer10s: intercom.rateLimitPer10s,
    };
  }

  return { surveyIntercom };
}

/** Sizes from `filesize`; links without one are asked for their Content-Length (see the header). */
async function sizeAttachments(
  input: MigrationInput,
  tally: AttachmentTally,
  out: IntercomSurvey['attachments'],
  beat: (what: Record<string, number>) => void,
): Promise<void> {
  out.count = tally.count;
  out.bytes = tally.bytes;
  out.sizedByFilesize = tally.count - tally.withoutSize.length;
  const policy: SafeFetchPolicy = { ...input.attachments };
  const asked = tally.withoutSize.slice(0, MAX_SIZE_LOOKUPS);
  out.unknownSize = tally.withoutSize.length - asked.length;
  await mapLimited(asked, FETCH_CONCURRENCY, async (url) => {
    try {
      const opened = await openAttachment(url, policy);
      opened.stream.destroy();
      if (opened.contentLength === undefined) out.unknownSize++;
      else {
        out.bytes += opened.contentLength;
        out.sizedByLink++;
      }
    } catch {
      // Expired, refused or unreachable: the rehosting would not copy it either.
      out.unknownSize++;
    }
    beat({ attachmentSizes: out.sizedByLink + out.unknownSize });
  });
}

export type PlanSurveyActivities = OnQueue<
  typeof planSurveyQueue,
  ReturnType<typeof createPlanSurveyActivities>
>;

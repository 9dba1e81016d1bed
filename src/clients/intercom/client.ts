/**
 * Typed client of the Intercom REST API 2.16, read side plus the two writes the rollout needs (tags).
 * Lists are async generators that yield one page at a time with the cursor of the next one, so an
 * activity can checkpoint (heartbeat) between pages and resume from the cursor.
 * Rate limits: every answer's X-RateLimit-Remaining / -Reset is watched and the client pauses until
 * the window resets when it runs low; 429s wait for Retry-After or X-RateLimit-Reset.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import {
  bodyExcerpt,
  type ClientTuning,
  DEFAULT_RETRY_SETTINGS,
  type FailedResponse,
  HttpCore,
  headerValue,
  msUntilUnixSeconds,
  paginationStalled,
  parseRetryAfter,
  type RequestPacer,
  type RequestStats,
  route,
} from '../httpCore.js';
import { HttpFailure, isRetryableStatus } from '../httpFailure.js';
import { ContactMergedFailure, contactMergedFailure } from './contactMerged.js';
import { ContactCompanyList, ContactTagList, type Note, NoteList } from './contactSchemas.js';
import { type IntercomErasureCalls, intercomErasureCalls } from './erasure.js';
import {
  type Admin,
  AdminList,
  type Article,
  ArticleList,
  type Collection,
  CollectionList,
  type Company,
  CompanyScroll,
  Contact,
  ContactList,
  Conversation,
  ConversationList,
  type ConversationListItem,
  type CursorPages,
  type DataAttribute,
  DataAttributeList,
  DeletedConversation,
  IntercomErrorBody,
  IntercomId,
  type Macro,
  MacroList,
  Tag,
  TagList,
  type Team,
  TeamList,
} from './schemas.js';
import {
  Ticket,
  TicketList,
  type TicketListItem,
  type TicketState,
  TicketStateList,
  type TicketType,
  TicketTypeList,
} from './ticketSchemas.js';

export interface IntercomClientOptions extends ClientTuning {
  /** Regional host (see intercomBaseUrl in config.ts) or the sandbox. */
  baseUrl: string;
  token: string;
  apiVersion?: string;
  /** Pause until X-RateLimit-Reset once X-RateLimit-Remaining drops to this or below (default 5). */
  lowRemainingThreshold?: number;
  /** How many times companyScroll starts over after its scroll expired or broke (default 3). */
  maxScrollRestarts?: number;
  /**
   * Largest answer read, in bytes (default DEFAULT_MAX_RESPONSE_BYTES): a bigger one fails at once with
   * a non-retryable ResponseTooLargeError instead of being held in memory whole.
   */
  maxResponseBytes?: number;
}

/** 32 MiB: far above any real page or conversation (500 parts of HTML), well below a worker's memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface CursorPage<T> {
  items: T[];
  /** The starting_after cursor of the next page; absent on the last page. */
  next?: string;
  /** The list's total_count, where it gives one (progress only: nothing relies on it). */
  total?: number;
}

export interface NumberedPage<T> {
  items: T[];
  page: number;
  /** The next page number; absent on the last page. */
  nextPage?: number;
}

export interface ScrollPage {
  items: Company[];
  /** True on the first page after the scroll had to start over: earlier companies come again. */
  restarted: boolean;
}

/** GET /me: the admin who owns the token, with the workspace. */
export const Me = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  name: z.string().nullish(),
  email: z.string().nullish(),
  app: z
    .looseObject({
      id_code: z.string().nullish(),
      name: z.string().nullish(),
      region: z.string().nullish(),
      timezone: z.string().nullish(),
    })
    .nullish(),
});
export type Me = z.infer<typeof Me>;

const DeletedContact = z.looseObject({ id: z.string(), deleted: z.boolean().optional() });

const DeletedConversationList = z.looseObject({
  type: z.string().optional(),
  conversations: z.array(DeletedConversation),
  total_count: z.number().optional(),
  pages: z
    .looseObject({
      page: z.number().optional(),
      per_page: z.number().optional(),
      total_pages: z.number().optional(),
      next: z.string().nullish(),
    })
    .nullish(),
});
export type DeletedConversationItem = z.infer<typeof DeletedConversation>;

/**
 * GET /conversations/attributes (the 2.16 way to list conversation attributes: /data_attributes only
 * takes model=contact|company). Options are objects there; they are reduced to their labels so that
 * every model comes back as the same DataAttribute shape.
 */
const ConversationAttributeList = z.looseObject({
  type: z.string().nullish(),
  // The description requires none of these: a missing name or type is '' (an attribute without a
  // name defines nothing and setup skips it), an option without a label is left out.
  data: z
    .array(
      z.looseObject({
        id: IntercomId.nullish(),
        name: z
          .string()
          .nullish()
          .transform((name) => name ?? ''),
        description: z.string().nullish(),
        data_type: z
          .string()
          .nullish()
          .transform((type) => type ?? ''),
        archived: z.boolean().nullish(),
        options: z
          .array(
            z.looseObject({
              id: z.string().nullish(),
              label: z.string().nullish(),
              archived: z.boolean().nullish(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish()
    .transform((list) => list ?? []),
});

const DEFAULT_PAGE_SIZE = 150;
/** /conversations/deleted allows at most 60 a page. */
const DELETED_PAGE_SIZE = 60;
/** A contact's notes and companies: 50 a page, as the description's examples show. */
const CONTACT_LIST_PAGE_SIZE = 50;
/** Help-center lists are page-numbered; 50 keeps the answers small. */
const HELP_CENTER_PAGE_SIZE = 50;

export class IntercomClient {
  private readonly core: HttpCore;
  private readonly maxScrollRestarts: number;
  private rateLimitSeen: number | undefined;

  constructor(options: IntercomClientOptions) {
    const lowRemaining = options.lowRemainingThreshold ?? 5;
    const maxServerWaitMs = options.maxServerWaitMs ?? DEFAULT_RETRY_SETTINGS.maxServerWaitMs;
    this.maxScrollRestarts = options.maxScrollRestarts ?? 3;
    this.core = new HttpCore({
      ...options,
      service: 'intercom',
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        'intercom-version': options.apiVersion ?? '2.16',
        'user-agent': 'intercom-to-chatwoot',
      },
      classify: classifyIntercomFailure,
      observe: (headers, pacer, nowMs) => {
        const limit = Number(headerValue(headers, 'x-ratelimit-limit'));
        if (Number.isFinite(limit) && limit > 0) this.rateLimitSeen = limit;
        pauseWhenWindowRunsLow(headers, pacer, nowMs, lowRemaining, maxServerWaitMs);
      },
    });
  }

  /** The last X-RateLimit-Limit Intercom sent (requests per 10-second window), for the plan. */
  get rateLimitPer10s(): number | undefined {
    return this.rateLimitSeen;
  }

  /** Requests sent so far by this instance (benchmarks compare them with the minimum). */
  get stats(): RequestStats {
    return this.core.stats;
  }

  /** Finding one person's contacts and conversations, and deleting conversations (erasure.ts). */
  get erasure(): IntercomErasureCalls {
    return intercomErasureCalls(this.core);
  }

  me(): Promise<Me> {
    return this.core.request({ method: 'GET', route: route('/me') }, Me);
  }

  async *contactPages(
    startingAfter?: string,
    perPage = DEFAULT_PAGE_SIZE,
  ): AsyncGenerator<CursorPage<Contact>> {
    yield* this.cursorPages('GET /contacts', startingAfter, async (cursor) => {
      const page = await this.core.request(
        { method: 'GET', route: route('/contacts'), query: { per_page: perPage, starting_after: cursor } },
        ContactList,
      );
      return { items: page.data, pages: page.pages };
    });
  }

  /** GET /conversations: the list carries no parts; fetch each one with getConversation. */
  /**
   * `perPage` may differ from page to page (a function of the page's index in this listing): the
   * cursor names the last item listed, not a page number (the sandbox's pagination.ts keyset cursor).
   */
  async *conversationPages(
    startingAfter?: string,
    perPage: number | ((pageIndex: number) => number) = DEFAULT_PAGE_SIZE,
  ): AsyncGenerator<CursorPage<ConversationListItem>> {
    let pageIndex = 0;
    yield* this.cursorPages('GET /conversations', startingAfter, async (cursor) => {
      const size = typeof perPage === 'number' ? perPage : perPage(pageIndex++);
      const page = await this.core.request(
        {
          method: 'GET',
          route: route('/conversations'),
          query: { per_page: size, starting_after: cursor },
        },
        ConversationList,
      );
      return { items: page.conversations, pages: page.pages, total: page.total_count };
    });
  }

  /**
   * The whole conversation: `source` (the opening message) and up to 500 parts. A body that does not
   * match the schema throws ResponseShapeError carrying the body as `payload`, and one over
   * maxResponseBytes throws ResponseTooLargeError, so a caller can set that one conversation aside.
   */
  getConversation(id: string): Promise<Conversation> {
    return this.core.request({ method: 'GET', route: route('/conversations/{id}', { id }) }, Conversation);
  }

  /**
   * Conversations with updated_at > sinceUnix. The 2.16 conversation search takes no sort (only the
   * contact search does), and its cursor can skip or repeat under concurrent updates: callers overlap
   * their windows and dedupe by id. `alsoMatching`: more filters ANDed with the date (the input's
   * filters narrowing the search, mapping/filters.ts intercomSearchQuery).
   */
  async *searchConversationsUpdatedSince(
    sinceUnix: number,
    startingAfter?: string,
    perPage = DEFAULT_PAGE_SIZE,
    alsoMatching: Record<string, unknown>[] = [],
  ): AsyncGenerator<CursorPage<ConversationListItem>> {
    const since = { field: 'updated_at', operator: '>', value: sinceUnix };
    const query = alsoMatching.length > 0 ? { operator: 'AND', value: [since, ...alsoMatching] } : since;
    yield* this.cursorPages('POST /conversations/search', startingAfter, async (cursor) => {
      const pagination: { per_page: number; starting_after?: string } = { per_page: perPage };
      if (cursor !== undefined) pagination.starting_after = cursor;
      const page = await this.core.request(
        {
          method: 'POST',
          route: route('/conversations/search'),
          json: { query, pagination },
          replaySafe: true,
        },
        ConversationList,
      );
      return { items: page.conversations, pages: page.pages };
    });
  }

  /**
   * Every ticket (Customer, Back-office and Tracker), through POST /tickets/search: the API lists
   * tickets no other way. `created_at > 0` matches them all (">" is "greater or equal" in the API's
   * operator table). Like the conversation search, its cursor is a position in a live ordering: the
   * caller reads it again until a pass brings no new id.
   */
  async *ticketPages(
    startingAfter?: string,
    perPage = DEFAULT_PAGE_SIZE,
  ): AsyncGenerator<CursorPage<TicketListItem>> {
    yield* this.cursorPages('POST /tickets/search', startingAfter, async (cursor) => {
      const pagination: { per_page: number; starting_after?: string } = { per_page: perPage };
      if (cursor !== undefined) pagination.starting_after = cursor;
      const page = await this.core.request(
        {
          method: 'POST',
          route: route('/tickets/search'),
          json: { query: { field: 'created_at', operator: '>', value: 0 }, pagination },
          replaySafe: true,
        },
        TicketList,
      );
      return { items: page.tickets, pages: page.pages };
    });
  }

  /** The whole ticket with its parts (at most 500) and signed attachment links. */
  getTicket(id: string): Promise<Ticket> {
    return this.core.request({ method: 'GET', route: route('/tickets/{id}', { id }) }, Ticket);
  }

  /** Ticket types with their attributes (archived ones too: old tickets keep them). */
  async ticketTypes(): Promise<TicketType[]> {
    return (await this.core.request({ method: 'GET', route: route('/ticket_types') }, TicketTypeList)).data;
  }

  async ticketStates(): Promise<TicketState[]> {
    return (await this.core.request({ method: 'GET', route: route('/ticket_states') }, TicketStateList)).data;
  }

  /**
   * All companies through the scroll API (one scroll per workspace, expires after a minute idle). A
   * broken or expired scroll cannot be resumed, so it starts over from the beginning and says so with
   * `restarted: true`; the caller dedupes by id.
   */
  async *companyScroll(): AsyncGenerator<ScrollPage> {
    let scrollParam: string | undefined;
    let restarts = 0;
    let restarted = false;
    for (;;) {
      let page: z.infer<typeof CompanyScroll>;
      try {
        page = await this.core.request(
          {
            method: 'GET',
            route: route('/companies/scroll'),
            query: { scroll_param: scrollParam },
            // Resending a scroll_param the server may have advanced would skip a page unnoticed.
            replaySafe: scrollParam === undefined,
          },
          CompanyScroll,
        );
      } catch (error) {
        const scrollBroke =
          scrollParam !== undefined &&
          error instanceof HttpFailure &&
          error.retryable &&
          error.status !== 429;
        if (!scrollBroke || restarts >= this.maxScrollRestarts) throw error;
        restarts++;
        scrollParam = undefined;
        restarted = true;
        continue;
      }
      if (page.data.length === 0) return;
      yield { items: page.data, restarted };
      restarted = false;
      if (!page.scroll_param) return;
      scrollParam = page.scroll_param;
    }
  }

  async tags(): Promise<Tag[]> {
    return (await this.core.request({ method: 'GET', route: route('/tags') }, TagList)).data;
  }

  async teams(): Promise<Team[]> {
    return (await this.core.request({ method: 'GET', route: route('/teams') }, TeamList)).teams;
  }

  async admins(): Promise<Admin[]> {
    return (await this.core.request({ method: 'GET', route: route('/admins') }, AdminList)).admins;
  }

  async *macroPages(startingAfter?: string, perPage = DEFAULT_PAGE_SIZE): AsyncGenerator<CursorPage<Macro>> {
    yield* this.cursorPages('GET /macros', startingAfter, async (cursor) => {
      const page = await this.core.request(
        { method: 'GET', route: route('/macros'), query: { per_page: perPage, starting_after: cursor } },
        MacroList,
      );
      return { items: page.data, pages: page.pages };
    });
  }

  /** Attribute definitions of one model; conversation attributes come from /conversations/attributes. */
  async dataAttributes(
    model: 'contact' | 'company' | 'conversation',
    options: { includeArchived?: boolean } = {},
  ): Promise<DataAttribute[]> {
    const includeArchived = options.includeArchived ?? false;
    if (model !== 'conversation') {
      const list = await this.core.request(
        {
          method: 'GET',
          route: route('/data_attributes'),
          query: { model, include_archived: includeArchived },
        },
        DataAttributeList,
      );
      return list.data;
    }
    const list = await this.core.request(
      {
        method: 'GET',
        route: route('/conversations/attributes'),
        query: { include_archived: includeArchived },
      },
      ConversationAttributeList,
    );
    return list.data.map((attribute) => ({
      ...attribute,
      type: 'data_attribute' as const,
      model: 'conversation',
      full_name: `custom_attributes.${attribute.name}`,
      label: attribute.name,
      custom: true,
      options:
        attribute.options
          ?.map((option) => option.label)
          .filter((label): label is string => typeof label === 'string') ?? null,
    }));
  }

  async *collectionPages(
    startPage = 1,
    perPage = HELP_CENTER_PAGE_SIZE,
  ): AsyncGenerator<NumberedPage<Collection>> {
    yield* this.numberedPages(
      startPage,
      async (page) => {
        const list = await this.core.request(
          { method: 'GET', route: route('/help_center/collections'), query: { page, per_page: perPage } },
          CollectionList,
        );
        return { items: list.data, pages: list.pages };
      },
      'GET /help_center/collections',
    );
  }

  async *articlePages(startPage = 1, perPage = HELP_CENTER_PAGE_SIZE): AsyncGenerator<NumberedPage<Article>> {
    yield* this.numberedPages(
      startPage,
      async (page) => {
        const list = await this.core.request(
          { method: 'GET', route: route('/articles'), query: { page, per_page: perPage } },
          ArticleList,
        );
        return { items: list.data, pages: list.pages };
      },
      'GET /articles',
    );
  }

  /** GET /conversations/deleted, oldest deletions first (order=asc), so a saved page number stays valid. */
  async *deletedConversationIds(
    startPage = 1,
    perPage = DELETED_PAGE_SIZE,
  ): AsyncGenerator<NumberedPage<DeletedConversationItem>> {
    yield* this.numberedPages(
      startPage,
      async (page) => {
        const list = await this.core.request(
          {
            method: 'GET',
            route: route('/conversations/deleted'),
            query: { page, per_page: perPage, order: 'asc' },
          },
          DeletedConversationList,
        );
        return { items: list.conversations, pages: list.pages ?? undefined };
      },
      'GET /conversations/deleted',
    );
  }

  /** Ids of conversations deleted at or after `sinceUnix` (deletions without a time are kept). */
  async deletedConversationIdsSince(sinceUnix: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of this.deletedConversationIds()) {
      for (const item of page.items) {
        if (item.deleted_at == null || item.deleted_at >= sinceUnix) ids.push(item.id);
      }
    }
    return ids;
  }

  /**
   * One contact; the delta sync fetches the contacts its conversations refer to. A merged contact
   * throws ContactMergedFailure (410) naming the contact it became: see resolveContact.
   */
  getContact(id: string): Promise<Contact> {
    return this.core.request({ method: 'GET', route: route('/contacts/{id}', { id }) }, Contact);
  }

  /**
   * The contact an id stands for now: itself, or the contact it was merged into (410 contact_merged,
   * whose Link header names the final target), fetched in its place. `mergedInto` is set in that case.
   */
  async resolveContact(id: string): Promise<{ contact: Contact; mergedInto?: string }> {
    try {
      return { contact: await this.getContact(id) };
    } catch (error) {
      if (!(error instanceof ContactMergedFailure) || error.canonicalId === id) throw error;
      return { contact: await this.getContact(error.canonicalId), mergedInto: error.canonicalId };
    }
  }

  /** GET /contacts/{id}/notes, every page (the contact object shows at most 10 references). */
  async contactNotes(contactId: string, perPage = CONTACT_LIST_PAGE_SIZE): Promise<Note[]> {
    const notes: Note[] = [];
    for await (const page of this.numberedPages(
      1,
      async (page) => {
        const list = await this.core.request(
          {
            method: 'GET',
            route: route('/contacts/{id}/notes', { id: contactId }),
            query: { page, per_page: perPage },
          },
          NoteList,
        );
        return { items: list.data, pages: list.pages ?? undefined };
      },
      'GET /contacts/{id}/notes',
    ))
      notes.push(...page.items);
    return notes;
  }

  /** GET /contacts/{id}/companies, every page: the companies a contact is attached to, in Intercom's order. */
  async contactCompanies(contactId: string, perPage = CONTACT_LIST_PAGE_SIZE): Promise<Company[]> {
    const companies: Company[] = [];
    for await (const page of this.numberedPages(
      1,
      async (page) => {
        const list = await this.core.request(
          {
            method: 'GET',
            route: route('/contacts/{id}/companies', { id: contactId }),
            query: { page, per_page: perPage },
          },
          ContactCompanyList,
        );
        const pages = list.pages;
        return {
          items: list.data ?? list.companies ?? [],
          pages: pages && {
            page: pages.page ?? undefined,
            total_pages: pages.total_pages ?? undefined,
            next: pages.next,
          },
        };
      },
      'GET /contacts/{id}/companies',
    ))
      companies.push(...page.items);
    return companies;
  }

  /** GET /contacts/{id}/tags: every tag of a contact, with its name (one answer, not paged). */
  async contactTags(contactId: string): Promise<Tag[]> {
    const list = await this.core.request(
      { method: 'GET', route: route('/contacts/{id}/tags', { id: contactId }) },
      ContactTagList,
    );
    return list.data;
  }

  /** Deletes a contact and its data in Intercom: only ever called after an explicit retention decision. */
  async deleteContact(id: string): Promise<void> {
    await this.core.request(
      { method: 'DELETE', route: route('/contacts/{id}', { id }), replaySafe: true },
      DeletedContact,
    );
  }

  /** Tags a conversation on behalf of an admin; tagging twice is harmless. */
  tagConversation(conversationId: string, tagId: string, adminId: string): Promise<Tag> {
    return this.core.request(
      {
        method: 'POST',
        route: route('/conversations/{id}/tags', { id: conversationId }),
        json: { id: tagId, admin_id: adminId },
        replaySafe: true,
      },
      Tag,
    );
  }

  /** POST /tags with a name creates the tag, or returns the existing one of that name. */
  createTag(name: string): Promise<Tag> {
    return this.core.request(
      { method: 'POST', route: route('/tags'), json: { name }, replaySafe: true },
      Tag,
    );
  }

  private async *cursorPages<T>(
    label: string,
    startingAfter: string | undefined,
    fetchPage: (
      cursor: string | undefined,
    ) => Promise<{ items: T[]; pages?: CursorPagesData | null; total?: number | null }>,
  ): AsyncGenerator<CursorPage<T>> {
    let cursor = startingAfter;
    for (;;) {
      const { items, pages, total } = await fetchPage(cursor);
      const next = nextCursor(pages);
      if (next !== undefined && next === cursor) throw paginationStalled('intercom', label, next);
      const counted = typeof total === 'number' ? { total } : {};
      yield next === undefined ? { items, ...counted } : { items, next, ...counted };
      if (next === undefined) return;
      cursor = next;
    }
  }

  /**
   * Page-numbered lists. The description documents no `page` parameter for /articles and
   * /help_center/collections, so a server may ignore it and serve the first page again and again:
   * a page that says it is another page, a next page that does not advance, or the very items of the
   * page before stop the list with an error instead of looping (as cursorPages does for cursors).
   */
  private async *numberedPages<T extends { id: string }>(
    startPage: number,
    fetchPage: (page: number) => Promise<{ items: T[]; pages?: PageInfo | null }>,
    label = 'a page-numbered list',
  ): AsyncGenerator<NumberedPage<T>> {
    let page: number | undefined = startPage;
    let previousIds: string | undefined;
    while (page !== undefined) {
      const { items, pages } = await fetchPage(page);
      if (typeof pages?.page === 'number' && pages.page !== page) {
        throw pageNotFollowed(label, `served page ${pages.page} when asked for page ${page}`);
      }
      const ids = items.length > 0 ? JSON.stringify(items.map((item) => item.id)) : undefined;
      if (ids !== undefined && ids === previousIds) {
        throw pageNotFollowed(label, `served page ${page} with the same items as page ${page - 1}`);
      }
      previousIds = ids;
      const nextPage: number | undefined = items.length === 0 ? undefined : nextPageNumber(pages, page);
      const cursor =
        typeof pages?.next === 'object' && pages.next
          ? (pages.next as { starting_after?: unknown })
          : undefined;
      const counted = typeof pages?.total_pages === 'number';
      if (
        nextPage === undefined &&
        !counted &&
        items.length > 0 &&
        typeof cursor?.starting_after === 'string'
      ) {
        // The description's cursor_pages would page these lists by starting_after; stopping here would
        // lose the rest without a word.
        throw pageNotFollowed(label, `answered page ${page} with a starting_after cursor and no page count`);
      }
      if (nextPage !== undefined && nextPage <= page) {
        throw pageNotFollowed(label, `gave page ${nextPage} as the page after page ${page}`);
      }
      yield nextPage === undefined ? { items, page } : { items, page, nextPage };
      page = nextPage;
    }
  }
}

type CursorPagesData = z.infer<typeof CursorPages>;

interface PageInfo {
  page?: number;
  total_pages?: number;
  next?: unknown;
}

/** pages.next is `{ starting_after }` in 2.x; older answers give a URL carrying starting_after. */
export function nextCursor(pages: CursorPagesData | null | undefined): string | undefined {
  const next = pages?.next;
  if (next === undefined || next === null) return undefined;
  if (typeof next === 'string') return urlParam(next, 'starting_after');
  return next.starting_after ?? undefined;
}

/**
 * The page after `current`: from total_pages when given, else from a `next` link's page parameter
 * (returned as it is, even when it does not advance: numberedPages refuses that rather than stopping
 * quietly with pages left).
 */
export function nextPageNumber(pages: PageInfo | null | undefined, current: number): number | undefined {
  if (!pages) return undefined;
  const page = pages.page ?? current;
  if (typeof pages.total_pages === 'number') return page < pages.total_pages ? page + 1 : undefined;
  if (typeof pages.next === 'string') {
    const next = Number(urlParam(pages.next, 'page'));
    return Number.isInteger(next) ? next : undefined;
  }
  return undefined;
}

/** A page-numbered list that does not follow its page numbers; retrying would loop the same way. */
function pageNotFollowed(endpoint: string, what: string): HttpFailure {
  return new HttpFailure(
    `Intercom ${what} of ${endpoint}: it does not follow the page parameter (the API description documents ` +
      'none for this list), so the list stops here instead of looping. Check the region/base URL and the ' +
      'Intercom-Version (the client sends 2.16), then run the export again.',
    'intercom',
    undefined,
    false,
  );
}

function urlParam(link: string, name: string): string | undefined {
  try {
    return new URL(link, 'https://api.intercom.io').searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Proactive pacing: Intercom counts per 10-second window across every worker of the workspace. */
function pauseWhenWindowRunsLow(
  headers: IncomingHttpHeaders,
  pacer: RequestPacer,
  nowMs: number,
  lowRemaining: number,
  maxWaitMs: number,
): void {
  const remaining = Number(headerValue(headers, 'x-ratelimit-remaining'));
  if (!Number.isFinite(remaining) || remaining > lowRemaining) return;
  const untilReset = msUntilUnixSeconds(headerValue(headers, 'x-ratelimit-reset'), nowMs);
  if (untilReset === undefined || untilReset === 0) return;
  pacer.holdUntil(nowMs + Math.min(untilReset, maxWaitMs));
}

function intercomErrorDetail(bodyText: string): string {
  try {
    const parsed = IntercomErrorBody.safeParse(JSON.parse(bodyText));
    if (parsed.success) {
      return parsed.data.errors
        .map((error) => (error.message ? `${error.code}: ${error.message}` : error.code))
        .join('; ');
    }
  } catch {
    // Not JSON: quote the text instead.
  }
  return bodyExcerpt(bodyText);
}

export function classifyIntercomFailure(response: FailedResponse): HttpFailure {
  const { status, endpoint, headers } = response;
  const merged = contactMergedFailure(status, endpoint, headers, response.bodyText);
  if (merged) return merged;
  const detail = intercomErrorDetail(response.bodyText);
  const said = detail ? ` (Intercom said: ${detail})` : '';
  const fail = (message: string) => new HttpFailure(message, 'intercom', status, false);
  switch (status) {
    case 400:
      return fail(
        `Intercom rejected the request ${endpoint} (400)${said}: check the Intercom-Version (the client sends 2.16) and the parameters`,
      );
    case 401:
      return fail(
        `Intercom rejected the access token (401)${said}: set INTERCOM_TOKEN in the worker's environment to a valid access token of this workspace`,
      );
    case 403:
      return fail(
        `Intercom refused ${endpoint} (403)${said}: the token's app lacks a permission this migration needs; grant it read access to conversations, contacts, companies, tags, teams, admins, data attributes and the help center`,
      );
    case 404:
      return fail(
        `Intercom has no such resource (404) at ${endpoint}${said}: it may have been deleted since it was listed, or the region/base URL is wrong (us: api.intercom.io, eu: api.eu.intercom.io, au: api.au.intercom.io)`,
      );
    case 422:
      return fail(`Intercom rejected the data sent to ${endpoint} (422)${said}`);
  }
  if (!isRetryableStatus(status)) return fail(`Intercom answered HTTP ${status} to ${endpoint}${said}`);
  const nowMs = Date.now();
  const retryAfterMs =
    parseRetryAfter(headerValue(headers, 'retry-after'), nowMs) ??
    (status === 429
      ? msUntilUnixSeconds(headerValue(headers, 'x-ratelimit-reset'), nowMs) || undefined
      : undefined);
  const what =
    status === 429
      ? 'rate limit reached (429)'
      : status >= 500
        ? `server error (HTTP ${status})`
        : `temporary refusal (HTTP ${status})`;
  const when = retryAfterMs === undefined ? '' : `; retry in ${Math.ceil(retryAfterMs / 1000)} s`;
  return new HttpFailure(
    `Intercom ${what} on ${endpoint}${said}${when}`,
    'intercom',
    status,
    true,
    retryAfterMs,
  );
}

export type {
  Admin,
  Article,
  Collection,
  Company,
  Contact,
  ConversationListItem,
  DataAttribute,
  Macro,
  Team,
};

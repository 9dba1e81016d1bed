/**
 * The input's `filters`: which part of the Intercom history a migration moves. Pure and
 * deterministic (workflows, the plan and every export/verification activity call these same
 * functions, so the plan's counts, the export, the delta sync and the verification can never
 * disagree about what was left out).
 *
 * - `conversations.updatedSince`: an ISO date ("2025-01-31", midnight UTC) or date-time with a zone
 *   ("2025-01-31T08:00:00Z", "2025-01-31T09:00:00+01:00"). A conversation is kept when its
 *   `updated_at` is at or after that instant. A date-time without a zone is refused: the same text
 *   would mean different instants on different workers.
 * - `conversations.states`: a subset of Intercom's states (open, closed, snoozed); kept when the
 *   conversation's state is one of them. Left out: every state.
 * - `conversations.excludeTags`: tag names; a conversation carrying any of them is left out. Intercom
 *   tag names are case insensitive (the 2.16 description of create_or_update_tag_request: "Names are
 *   case insensitive"), so the match is too: both sides NFC-normalised, trimmed and lower-cased.
 *   "Spam" excludes a conversation tagged "spam".
 * - `contacts`: `all` (the default, the behaviour before filters existed: every contact of the
 *   workspace is exported) or `referenced` (only contacts that a kept conversation or a ticket
 *   references).
 *
 * When a conversation fails several rules, the reason is the first in the order updated-before,
 * state, excluded-tag, so that counts per reason are stable.
 */
import { z } from 'zod';

export const CONVERSATION_STATES = ['open', 'closed', 'snoozed'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

export const CONTACT_SCOPES = ['all', 'referenced'] as const;
export type ContactScope = (typeof CONTACT_SCOPES)[number];

export type ConversationLeftOutReason = 'updated-before' | 'state' | 'excluded-tag';
export const CONVERSATION_LEFT_OUT_REASONS: readonly ConversationLeftOutReason[] = [
  'updated-before',
  'state',
  'excluded-tag',
];
export type ContactLeftOutReason = 'unreferenced';

export interface MigrationFilters {
  conversations: {
    /** As the operator wrote it (ISO date or date-time with a zone). */
    updatedSince?: string;
    /** Absent: every state. */
    states?: ConversationState[];
    excludeTags: string[];
  };
  contacts: ContactScope;
}

export const NO_FILTERS: MigrationFilters = Object.freeze({
  conversations: Object.freeze({ excludeTags: [] as string[] }),
  contacts: 'all',
}) as MigrationFilters;

/** The fields of a conversation the verdict reads (a list item or a full conversation both fit). */
export interface FilterableConversation {
  /** Unix seconds. */
  updated_at: number;
  state: string;
  tags?: { tags: readonly { name?: string | null }[] } | null;
}

export type ConversationVerdict = { kept: true } | { kept: false; reason: ConversationLeftOutReason };
export type ContactVerdict = { kept: true } | { kept: false; reason: ContactLeftOutReason };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
const UPDATED_SINCE_HINT =
  'an ISO date ("2025-01-31", midnight UTC) or date-time with a zone ("2025-01-31T08:00:00Z", "2025-01-31T09:00:00+01:00")';

function validCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** The instant `updatedSince` names, in epoch milliseconds; undefined when it is not valid. */
export function updatedSinceMillis(text: string): number | undefined {
  const date = ISO_DATE.exec(text);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    return validCalendarDate(year, month, day) ? Date.UTC(year, month - 1, day) : undefined;
  }
  const dateTime = ISO_DATE_TIME.exec(text);
  if (!dateTime) return undefined;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(dateTime[i]));
  const second = Number(dateTime[6] ?? 0);
  if (!validCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = dateTime[8];
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    if (zh > 23 || zm > 59) return undefined;
    offsetMinutes = sign * (zh * 60 + zm);
  }
  const fraction = dateTime[7] ? Number(`0.${dateTime[7]}`) * 1000 : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(fraction) - offsetMinutes * 60_000;
}

/** `updatedSince` as Unix seconds, rounded up: the smallest `updated_at` that is kept. */
export function updatedSinceSeconds(filters: MigrationFilters): number | undefined {
  const text = filters.conversations.updatedSince;
  if (text === undefined) return undefined;
  const millis = updatedSinceMillis(text);
  return millis === undefined ? undefined : Math.ceil(millis / 1000);
}

/** The key two tag names are compared by (Intercom: "Names are case insensitive"). */
export function tagMatchKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

function buildFiltersSchema() {
  return z
    .object({
      conversations: z
        .object({
          updatedSince: z
            .string()
            .refine((text) => updatedSinceMillis(text) !== undefined, {
              message: `not a date: expected ${UPDATED_SINCE_HINT}`,
            })
            .optional(),
          states: z
            .array(
              z.string().refine((state) => (CONVERSATION_STATES as readonly string[]).includes(state), {
                error: (issue) =>
                  `unknown state ${JSON.stringify(issue.input)}; allowed values: ${CONVERSATION_STATES.join(', ')}`,
              }),
            )
            .min(
              1,
              `list at least one state (allowed values: ${CONVERSATION_STATES.join(', ')}), or leave it out`,
            )
            .transform((states) => [...new Set(states)] as ConversationState[])
            .optional(),
          excludeTags: z.array(z.string().trim().min(1, 'an empty tag name')).default([]),
        })
        .strict()
        .prefault({}),
      contacts: z
        .enum(CONTACT_SCOPES, { message: `allowed values: ${CONTACT_SCOPES.join(', ')}` })
        .default('all'),
    })
    .strict()
    .prefault({});
}

type FiltersSchemaType = ReturnType<typeof buildFiltersSchema>;
let filtersSchemaBuilt: FiltersSchemaType | undefined;

/** Built on first use, as the input schema is (every workflow run evaluates this module). */
export function filtersSchema(): FiltersSchemaType {
  filtersSchemaBuilt ??= buildFiltersSchema();
  return filtersSchemaBuilt;
}

/**
 * Parses the `filters` object of an input on its own (the plan, the CLI). Problems name the field
 * from the input's root ("filters.conversations.updatedSince: ...").
 */
export function parseFilters(
  raw: unknown,
): { ok: true; filters: MigrationFilters } | { ok: false; problems: string } {
  const result = filtersSchema().safeParse(raw);
  if (result.success) return { ok: true, filters: result.data as MigrationFilters };
  return {
    ok: false,
    problems: result.error.issues
      .map((issue) => `${['filters', ...issue.path].join('.')}: ${issue.message}`)
      .join('; '),
  };
}

/** Whether a conversation is migrated under the filters, and if not, why. */
export function conversationVerdict(
  filters: MigrationFilters | undefined,
  conversation: FilterableConversation,
): ConversationVerdict {
  if (!filters) return { kept: true };
  const since = updatedSinceSeconds(filters);
  if (since !== undefined && conversation.updated_at < since)
    return { kept: false, reason: 'updated-before' };
  const states = filters.conversations.states;
  if (states && !(states as readonly string[]).includes(conversation.state))
    return { kept: false, reason: 'state' };
  const excluded = filters.conversations.excludeTags;
  if (excluded.length > 0) {
    const keys = new Set(excluded.map(tagMatchKey));
    if ((conversation.tags?.tags ?? []).some((tag) => keys.has(tagMatchKey(tag.name ?? '')))) {
      return { kept: false, reason: 'excluded-tag' };
    }
  }
  return { kept: true };
}

/**
 * Whether a contact is migrated: under `referenced`, only when a kept conversation or a ticket
 * references it (`referenced` holds those contact ids).
 */
export function contactVerdict(
  filters: MigrationFilters | undefined,
  contactId: string,
  referenced: ReadonlySet<string>,
): ContactVerdict {
  if (!filters || filters.contacts === 'all') return { kept: true };
  return referenced.has(contactId) ? { kept: true } : { kept: false, reason: 'unreferenced' };
}

/** Whether any conversation filter is set (an unfiltered export keeps its old requests exactly). */
export function conversationFiltersActive(filters: MigrationFilters | undefined): boolean {
  if (!filters) return false;
  const c = filters.conversations;
  return c.updatedSince !== undefined || c.states !== undefined || c.excludeTags.length > 0;
}

/**
 * The part of the filters Intercom's POST /conversations/search can apply (updated_at and state),
 * so fewer conversations are listed; undefined when neither is set. Tags are matched client-side
 * only (search filters tags by id, and names are case insensitive). The verdict stays the authority:
 * every listed conversation is still checked with `conversationVerdict`.
 */
export function intercomSearchQuery(
  filters: MigrationFilters | undefined,
): { operator: 'AND'; value: Record<string, unknown>[] } | undefined {
  if (!filters) return undefined;
  const value: Record<string, unknown>[] = [];
  const since = updatedSinceSeconds(filters);
  // The API's operator table reads `>` on dates as "greater (or equal)"; one second earlier keeps the
  // boundary even where it is strict, and the verdict drops the extra second.
  if (since !== undefined) value.push({ field: 'updated_at', operator: '>', value: since - 1 });
  const states = filters.conversations.states;
  if (states && states.length < CONVERSATION_STATES.length) {
    value.push({ field: 'state', operator: 'IN', value: [...states] });
  }
  return value.length > 0 ? { operator: 'AND', value } : undefined;
}

/** Counts of what the filters left out, by reason; zero counts included so reports line up. */
export interface LeftOutCounts {
  conversations: Record<ConversationLeftOutReason, number>;
  contacts: Record<ContactLeftOutReason, number>;
}

export function emptyLeftOutCounts(): LeftOutCounts {
  return {
    conversations: { 'updated-before': 0, state: 0, 'excluded-tag': 0 },
    contacts: { unreferenced: 0 },
  };
}

export function addLeftOutCounts(a: LeftOutCounts, b: LeftOutCounts): LeftOutCounts {
  const sum = emptyLeftOutCounts();
  for (const reason of CONVERSATION_LEFT_OUT_REASONS) {
    sum.conversations[reason] = a.conversations[reason] + b.conversations[reason];
  }
  sum.contacts.unreferenced = a.contacts.unreferenced + b.contacts.unreferenced;
  return sum;
}

/** One line an operator reads: what the filters are, in words. */
export function describeFilters(filters: MigrationFilters | undefined): string {
  if (!filters) return 'none';
  const parts: string[] = [];
  const c = filters.conversations;
  if (c.updatedSince !== undefined) parts.push(`conversations updated since ${c.updatedSince}`);
  if (c.states) parts.push(`states ${c.states.join(', ')}`);
  if (c.excludeTags.length > 0) parts.push(`excluding tags ${c.excludeTags.join(', ')}`);
  parts.push(filters.contacts === 'referenced' ? 'only referenced contacts' : 'all contacts');
  return parts.join('; ');
}

/**
 * POST /conversations/search: Intercom's query language (nested AND/OR groups of field/operator/value
 * filters, validated as the API validates them) compiled into a predicate, and its paging.
 *
 * The paging cursor is an offset into the live ordering, so a conversation updated while a client
 * pages moves to the end: another one is skipped and the moved one comes twice. Date comparisons `>`
 * and `<` include equality, as the API's operator table says.
 */
import { z } from 'zod';
import type { Conversation } from '../../clients/intercom/schemas.js';
import { ApiError, invalid, type Reply } from './http.js';
import { decodeCursor, encodeCursor, pagesObject } from './pagination.js';
import { compareIds, countParts, type PartsSelection } from './workspaceFiles.js';

const OffsetCursor = z.tuple([
  z.literal('offset'),
  z.number().int().nonnegative(),
  z.number().int().positive(),
]);

export interface SearchSource {
  all(): Conversation[];
  wire(conversation: Conversation, parts: PartsSelection): Record<string, unknown>;
}

export function searchConversations(source: SearchSource, body: unknown): Reply {
  return searchWith(body, {
    items: source.all(),
    fields: SEARCH_FIELDS,
    model: 'conversation',
    listType: 'conversation.list',
    listKey: 'conversations',
    wire: (c) => source.wire(c, { kind: 'none' }),
  });
}

/** What one search endpoint searches: its items, fields, and how a result is listed. */
export interface SearchTarget<T extends { id: string; updated_at?: number | null }> {
  items: readonly T[];
  fields: Record<string, SearchField<T>>;
  /** Named in "x is not a searchable <model> field". */
  model: string;
  listType: string;
  listKey: string;
  wire: (item: T) => unknown;
}

/**
 * The request checks, the compiled query and the paging of every Intercom search endpoint: the
 * conversation search and the ticket search share the query language and the cursor.
 */
export function searchWith<T extends { id: string; updated_at?: number | null }>(
  body: unknown,
  target: SearchTarget<T>,
): Reply {
  const request = z
    .looseObject({
      query: z.unknown(),
      pagination: z
        .looseObject({
          per_page: z.number().int().optional(),
          starting_after: z.string().nullish(),
        })
        .nullish(),
    })
    .safeParse(body ?? {});
  if (!request.success) throw invalid('invalid search request');
  if (request.data.query === undefined || request.data.query === null) {
    throw new ApiError(400, 'parameter_not_found', 'query is required');
  }
  const matches = compileQuery(request.data.query, 0, target.fields, target.model);
  const size = request.data.pagination?.per_page ?? 20;
  if (size < 1 || size > 150) throw invalid('per_page must be an integer between 1 and 150');
  const after = request.data.pagination?.starting_after;
  const [, offset, page] = after ? decodeCursor(after, OffsetCursor, 'starting_after') : ['offset', 0, 1];
  // The cursor is a position in the live ordering, not a key: updates during paging shift it.
  const ordered = target.items
    .filter(matches)
    .sort((a, b) => (a.updated_at ?? 0) - (b.updated_at ?? 0) || compareIds(a.id, b.id));
  const items = ordered.slice(offset, offset + size);
  const more = offset + size < ordered.length;
  return {
    body: {
      type: target.listType,
      [target.listKey]: items.map((item) => target.wire(item)),
      total_count: ordered.length,
      pages: pagesObject(
        page,
        size,
        ordered.length,
        more
          ? { page: page + 1, starting_after: encodeCursor(['offset', offset + size, page + 1]) }
          : undefined,
      ),
    },
  };
}

// ---- the query compiler -------------------------------------------------------------------------

export type FieldKind = 'date' | 'integer' | 'string' | 'boolean' | 'ids' | 'text';

export interface SearchField<T = Conversation> {
  kind: FieldKind;
  get: (item: T) => unknown;
}

const idOrZero = (id: string | null | undefined) => (id ? Number(id) : 0);

/** The searchable fields this sandbox models (a subset of the API's table). */
const SEARCH_FIELDS: Record<string, SearchField<Conversation>> = {
  id: { kind: 'string', get: (c) => c.id },
  created_at: { kind: 'date', get: (c) => c.created_at },
  updated_at: { kind: 'date', get: (c) => c.updated_at },
  waiting_since: { kind: 'date', get: (c) => c.waiting_since },
  snoozed_until: { kind: 'date', get: (c) => c.snoozed_until },
  'source.type': { kind: 'string', get: (c) => c.source.type },
  'source.id': { kind: 'string', get: (c) => c.source.id },
  'source.delivered_as': { kind: 'string', get: (c) => c.source.delivered_as },
  'source.subject': { kind: 'string', get: (c) => c.source.subject },
  'source.body': { kind: 'text', get: (c) => c.source.body },
  'source.author.id': { kind: 'string', get: (c) => c.source.author.id },
  'source.author.type': { kind: 'string', get: (c) => c.source.author.type },
  'source.author.name': { kind: 'string', get: (c) => c.source.author.name },
  'source.author.email': { kind: 'string', get: (c) => c.source.author.email },
  'source.url': { kind: 'string', get: (c) => c.source.url },
  contact_ids: { kind: 'ids', get: (c) => c.contacts?.contacts.map((ref) => ref.id) ?? [] },
  tag_ids: { kind: 'ids', get: (c) => c.tags?.tags.map((tag) => tag.id) ?? [] },
  teammate_ids: {
    kind: 'ids',
    get: (c) => {
      const teammates = (c as { teammates?: { admins?: { id: string | number }[] } | null }).teammates;
      return teammates?.admins?.map((admin) => String(admin.id)) ?? [];
    },
  },
  admin_assignee_id: { kind: 'integer', get: (c) => idOrZero(c.admin_assignee_id) },
  team_assignee_id: { kind: 'integer', get: (c) => idOrZero(c.team_assignee_id) },
  open: { kind: 'boolean', get: (c) => c.open },
  read: { kind: 'boolean', get: (c) => (c as { read?: boolean }).read },
  state: { kind: 'string', get: (c) => c.state },
  priority: { kind: 'string', get: (c) => c.priority },
  'statistics.count_conversation_parts': {
    kind: 'integer',
    get: (c) => countParts(c),
  },
};

const OPERATORS: Record<FieldKind, readonly string[]> = {
  date: ['=', '<', '>'],
  integer: ['=', '!=', 'IN', 'NIN', '<', '>', '<=', '>='],
  string: ['=', '!=', 'IN', 'NIN', '~', '!~', '^', '$'],
  text: ['=', '!=', '~', '!~', '^', '$'],
  boolean: ['=', '!='],
  ids: ['=', '!=', 'IN', 'NIN'],
};

const MAX_NESTING = 2;
const MAX_GROUP_FILTERS = 15;

const Filter = z.looseObject({ field: z.string(), operator: z.string(), value: z.unknown() });
const Group = z.looseObject({ operator: z.enum(['AND', 'OR']), value: z.array(z.unknown()) });

type Predicate<T> = (item: T) => boolean;

/** Validates a search query as the API does and turns it into a predicate. */
function compileQuery<T>(
  raw: unknown,
  depth: number,
  fields: Record<string, SearchField<T>>,
  model: string,
): Predicate<T> {
  const group = Group.safeParse(raw);
  if (group.success && !('field' in group.data)) {
    if (depth >= MAX_NESTING) throw invalid(`queries allow at most ${MAX_NESTING} nested filters`);
    if (group.data.value.length === 0) throw invalid(`${group.data.operator} needs at least one filter`);
    if (group.data.value.length > MAX_GROUP_FILTERS) {
      throw invalid(`at most ${MAX_GROUP_FILTERS} filters are allowed in an ${group.data.operator} group`);
    }
    const members = group.data.value.map((member) => compileQuery(member, depth + 1, fields, model));
    return group.data.operator === 'AND'
      ? (c) => members.every((member) => member(c))
      : (c) => members.some((member) => member(c));
  }
  const filter = Filter.safeParse(raw);
  if (!filter.success) throw invalid('each filter needs field, operator and value');
  const { field: name, operator, value } = filter.data;
  const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (!field) throw invalid(`${name} is not a searchable ${model} field`);
  if (!OPERATORS[field.kind].includes(operator)) {
    throw invalid(`operator ${operator} is not supported for ${name}`);
  }
  return compileFilter(name, field, operator, value);
}

function compileFilter<T>(
  name: string,
  field: SearchField<T>,
  operator: string,
  value: unknown,
): Predicate<T> {
  const listValue = operator === 'IN' || operator === 'NIN';
  if (listValue && !Array.isArray(value)) throw invalid(`${operator} needs an array value for ${name}`);
  const values = listValue ? (value as unknown[]) : [value];
  switch (field.kind) {
    case 'date':
    case 'integer': {
      const numbers = values.map((v) => {
        const n =
          typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
        if (!Number.isFinite(n))
          throw invalid(`${name} needs ${field.kind === 'date' ? 'a unix timestamp' : 'an integer'}`);
        return n;
      });
      const target = numbers[0] as number;
      return (c) => {
        const actual = field.get(c);
        if (typeof actual !== 'number') return operator === '!=' || operator === 'NIN';
        switch (operator) {
          case '=':
            return actual === target;
          case '!=':
            return actual !== target;
          case 'IN':
            return numbers.includes(actual);
          case 'NIN':
            return !numbers.includes(actual);
          // The API's table: ">" is "Greater (or equal) than", "<" is "Lower (or equal) than".
          case '>':
          case '>=':
            return actual >= target;
          default:
            return actual <= target;
        }
      };
    }
    case 'boolean': {
      const target = value === true || value === 'true';
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
        throw invalid(`${name} needs a boolean`);
      return (c) => (operator === '=' ? field.get(c) === target : field.get(c) !== target);
    }
    case 'ids': {
      const targets = values.map((v) => String(v));
      return (c) => {
        const ids = field.get(c) as string[];
        const hit = targets.some((target) => ids.includes(target));
        return operator === '=' || operator === 'IN' ? hit : !hit;
      };
    }
    default: {
      const targets = values.map((v) => {
        if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`${name} needs a string`);
        return String(v).toLowerCase();
      });
      const target = targets[0] as string;
      const text = field.kind === 'text';
      return (c) => {
        const raw = field.get(c);
        const actual =
          typeof raw === 'string' ? (text ? raw.replace(/<[^>]*>/g, ' ') : raw).toLowerCase() : '';
        switch (operator) {
          // source.body is matched word by word: "=" finds one word of the body.
          case '=':
            return text ? actual.split(/[^\p{L}\p{N}_-]+/u).includes(target) : actual === target;
          case '!=':
            return text ? !actual.split(/[^\p{L}\p{N}_-]+/u).includes(target) : actual !== target;
          case 'IN':
            return targets.includes(actual);
          case 'NIN':
            return !targets.includes(actual);
          case '~':
            return actual.includes(target);
          case '!~':
            return !actual.includes(target);
          case '^':
            return actual.startsWith(target);
          default:
            return actual.endsWith(target);
        }
      };
    }
  }
}

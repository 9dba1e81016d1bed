/**
 * Tickets (Intercom 2.16): POST /tickets/search, GET /tickets/{id}, GET /ticket_types and
 * GET /ticket_states, in the shapes of the API description.
 *
 * - Tickets are listed no other way than through the search, which shares the conversation search's
 *   query language and live-ordering cursor (../search.ts). Its fields are the description's table
 *   (id, created_at, updated_at, title, description, category, ticket_type_id, contact_ids,
 *   teammate_ids, admin_assignee_id, team_assignee_id, open, state, snoozed_until,
 *   ticket_attribute.{id}); `category` is searched with the terms `request` (Customer), `task`
 *   (Back-office) and `tracker`, as the description says.
 * - GET /tickets/{id} returns at most `partsCap` parts, the most recent ("There is a limit of 500
 *   parts"), with total_count the real number; the search answers without parts.
 * - Attachment links in parts are signed and expire like the conversations' (../attachments.ts).
 * - Assignee ids go out as numbers, 0 when unassigned; a ticket type's attributes are listed under
 *   `ticket_type_attributes.data`, as every example of the description shows them (its schema names
 *   the array `ticket_type_attributes`; the client reads both).
 */
import type { Ticket, TicketPart } from '../../../clients/intercom/ticketSchemas.js';
import { ATTACHMENT_PLACEHOLDER_PATTERN, ATTACHMENT_PLACEHOLDER_PREFIX } from '../dataset.js';
import { notFound, type Reply, type SandboxContext } from '../http.js';
import { type SearchField, searchWith } from '../search.js';
import { wireNumber } from '../workspaceFiles.js';

/** The search term of each category (the description's "Searching by Category"). */
const CATEGORY_TERMS: Record<string, string> = {
  customer: 'request',
  'back-office': 'task',
  tracker: 'tracker',
};

const idOrZero = (id: string | null | undefined) => (id ? Number(id) : 0);
const categoryOf = (ticket: Ticket) => (ticket.category ?? ticket.ticket_type?.category ?? '').toLowerCase();

const TICKET_FIELDS: Record<string, SearchField<Ticket>> = {
  id: { kind: 'string', get: (t) => t.id },
  created_at: { kind: 'date', get: (t) => t.created_at },
  updated_at: { kind: 'date', get: (t) => t.updated_at },
  title: { kind: 'string', get: (t) => t.ticket_attributes?._default_title_ },
  description: { kind: 'string', get: (t) => t.ticket_attributes?._default_description_ },
  category: { kind: 'string', get: (t) => CATEGORY_TERMS[categoryOf(t)] ?? categoryOf(t) },
  ticket_type_id: { kind: 'string', get: (t) => t.ticket_type?.id },
  contact_ids: { kind: 'ids', get: (t) => (t.contacts?.contacts ?? []).map((c) => c.id) },
  teammate_ids: {
    kind: 'ids',
    get: (t) => [
      ...new Set(
        (t.ticket_parts?.ticket_parts ?? [])
          .filter((p) => p.author?.type === 'admin' && p.author.id)
          .map((p) => String(p.author?.id)),
      ),
    ],
  },
  admin_assignee_id: { kind: 'integer', get: (t) => idOrZero(t.admin_assignee_id) },
  team_assignee_id: { kind: 'integer', get: (t) => idOrZero(t.team_assignee_id) },
  open: { kind: 'boolean', get: (t) => t.open },
  state: { kind: 'string', get: (t) => t.ticket_state?.category },
  snoozed_until: { kind: 'date', get: (t) => t.snoozed_until },
};

/** `ticket_attribute.{id}`: the value of the ticket type attribute with that id. */
function ticketFields(tickets: readonly Ticket[]): Record<string, SearchField<Ticket>> {
  const fields: Record<string, SearchField<Ticket>> = { ...TICKET_FIELDS };
  for (const ticket of tickets) {
    const list = ticket.ticket_type?.ticket_type_attributes;
    for (const attribute of list?.data ?? list?.ticket_type_attributes ?? []) {
      const key = `ticket_attribute.${attribute.id}`;
      if (fields[key]) continue;
      const kind =
        attribute.data_type === 'boolean'
          ? 'boolean'
          : attribute.data_type === 'datetime'
            ? 'date'
            : ['integer', 'decimal'].includes(attribute.data_type ?? '')
              ? 'integer'
              : 'string';
      fields[key] = { kind, get: (t) => t.ticket_attributes?.[attribute.name] };
    }
  }
  return fields;
}

export class Tickets {
  constructor(
    private readonly sandbox: SandboxContext,
    private readonly partsCap: number,
  ) {}

  private all(): Ticket[] {
    return this.sandbox.dataset.tickets ?? [];
  }

  private sign(text: string): string;
  private sign(text: string | null | undefined): string | null | undefined;
  private sign(text: string | null | undefined): string | null | undefined {
    if (typeof text !== 'string' || !text.includes(ATTACHMENT_PLACEHOLDER_PREFIX)) return text;
    return text.replace(ATTACHMENT_PLACEHOLDER_PATTERN, (_m, path: string) =>
      this.sandbox.signAttachmentUrl(path),
    );
  }

  private partToWire(part: TicketPart): Record<string, unknown> {
    return {
      ...part,
      body: this.sign(part.body),
      attachments: (part.attachments ?? []).map((a) => ({ ...a, url: this.sign(a.url) })),
    };
  }

  /** A ticket as Intercom sends it; `withParts` for GET /tickets/{id}. */
  wire(ticket: Ticket, withParts: boolean): Record<string, unknown> {
    const { ticket_parts: partList, ...rest } = ticket;
    const wire: Record<string, unknown> = {
      ...rest,
      admin_assignee_id: wireNumber(ticket.admin_assignee_id) ?? 0,
      team_assignee_id: wireNumber(ticket.team_assignee_id) ?? 0,
      ticket_attributes: Object.fromEntries(
        Object.entries(ticket.ticket_attributes ?? {}).map(([key, value]) => [
          key,
          value && typeof value === 'object' && !Array.isArray(value) && 'url' in value
            ? { ...value, url: this.sign(String((value as { url: unknown }).url)) }
            : value,
        ]),
      ),
    };
    if (!withParts) return wire;
    const parts = partList?.ticket_parts ?? [];
    wire.ticket_parts = {
      type: 'ticket_part.list',
      ticket_parts: parts.slice(Math.max(0, parts.length - this.partsCap)).map((p) => this.partToWire(p)),
      total_count: parts.length,
    };
    return wire;
  }

  /** POST /tickets/search. */
  search(body: unknown): Reply {
    const tickets = this.all();
    return searchWith(body, {
      items: tickets,
      fields: ticketFields(tickets),
      model: 'ticket',
      listType: 'ticket.list',
      listKey: 'tickets',
      wire: (ticket) => this.wire(ticket, false),
    });
  }

  /** GET /tickets/{id}: by the API id, never the inbox number (`ticket_id`). */
  get(id: string | undefined): Reply {
    const ticket = this.all().find((t) => t.id === id);
    if (!ticket) throw notFound('Ticket not found');
    return { body: this.wire(ticket, true) };
  }

  /** GET /ticket_types, archived ones included. */
  types(): Reply {
    return { body: { type: 'list', data: this.sandbox.dataset.ticketTypes ?? [] } };
  }

  /** GET /ticket_states, each with the types that use it. */
  states(): Reply {
    const types = this.sandbox.dataset.ticketTypes ?? [];
    return {
      body: {
        type: 'list',
        data: (this.sandbox.dataset.ticketStates ?? []).map((state) => ({
          ...state,
          ticket_types: {
            type: 'list',
            data: types.map(({ ticket_type_attributes: _attributes, ...type }) => type),
          },
        })),
      },
    };
  }
}

/**
 * Intercom tickets -> Chatwoot conversations in the archive inbox. Pure, like the rest of mapping/.
 *
 * Intercom has three ticket categories (ticket.category, else its type's): Customer tickets are
 * shared with a contact; Back-office and Tracker tickets are internal (a tracker gathers many
 * conversations, a back-office ticket is teammates' work on one). None of them is listed by
 * GET /conversations, so each becomes a conversation of its own:
 *
 * - The ticket is turned into the conversation shape the message plan already reads
 *   (`ticketAsConversation`), so splitting, attachments, inline images, timestamps and activity
 *   lines behave exactly as for conversations, and rehosting and import derive the same keys. Its id
 *   is `ticket-<id>` (never an Intercom conversation id), the attachment folder's name too.
 * - The opening message is a private note the migration writes: the ticket's number, type,
 *   category, state, title, description and every attribute, whole (so nothing an attribute cut to
 *   fit Chatwoot loses is lost). Its source id is `source:ticket-<id>`.
 * - Parts keep their Intercom id as source id. Customer tickets: comments are public messages in
 *   their direction, notes private, as in conversations. Back-office and Tracker tickets (and any
 *   category this code does not know): every message is a private note, so nothing reads as sent
 *   to a customer; activity lines stay activity lines (they notify no one).
 * - A state change or attribute update part has no body in Intercom: it gets a one-line body saying
 *   what changed ("State: Submitted → In progress"), kept as a private note.
 * - Status: resolved when the ticket is closed or its state is `resolved`; snoozed when it has a
 *   snoozed_until; open otherwise. The exact state stays in `intercom_ticket_state`.
 * - Custom attributes (each with a definition made by the setup): `intercom_ticket_id` (the
 *   idempotency key), number, type, category, state, title, the linked Intercom conversation ids,
 *   and each ticket type attribute as `intercom_ticket_<key>`.
 * - Labels: `from_intercom` and the ticket type's label, `labelTitle("ticket <type name>")`.
 */
import type { Author, Conversation, ConversationPart } from '../clients/intercom/schemas.js';
import {
  type Ticket,
  type TicketPart,
  type TicketType,
  type TicketTypeAttribute,
  ticketTypeAttributes,
} from '../clients/intercom/ticketSchemas.js';
import { type AttributeAdjustment, fitAttributeHash } from './attributes.js';
import { FROM_INTERCOM_LABEL, labelTitle } from './labels.js';
import type { PlanMessagesOptions, PlannedMessage } from './messages.js';
import { planMessages } from './messages.js';
import {
  CHATWOOT_LIMITS,
  customAttributeKey,
  isoUtc,
  storableJson,
  storableText,
  truncateShort,
} from './text.js';

export type TicketKind = 'customer' | 'back-office' | 'tracker';

/** Customer, Back-office, Tracker (the API's names); anything else is treated as internal. */
export function ticketKind(ticket: Pick<Ticket, 'category' | 'ticket_type'>): TicketKind | 'unknown' {
  const category = (ticket.category ?? ticket.ticket_type?.category ?? '').trim().toLowerCase();
  if (category === 'customer' || category === 'request') return 'customer';
  if (category === 'back-office' || category === 'task') return 'back-office';
  if (category === 'tracker') return 'tracker';
  return 'unknown';
}

/** The synthetic conversation id of a ticket: its attachment folder and the opening note's key. */
export const ticketConversationId = (ticketId: string) => `ticket-${ticketId}`;

/** The opening note's source id. */
export const ticketOpeningSourceId = (ticketId: string) => `source:${ticketConversationId(ticketId)}`;

/** The note on a conversation linked to a ticket, saying which Chatwoot conversation the ticket became. */
export const ticketLinkSourceId = (ticketId: string) => `ticket-link:${ticketId}`;

/** Intercom's default attributes, shown as the title and the description. */
export const DEFAULT_TITLE = '_default_title_';
export const DEFAULT_DESCRIPTION = '_default_description_';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const TICKET_AUTHOR: Author = { type: 'ticket', id: null, name: 'Intercom ticket' };
const UNKNOWN_AUTHOR: Author = { type: 'admin', id: null, name: 'Intercom' };

const nonEmpty = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const text = storableText(value).trim();
  return text || undefined;
};

/** A readable form of an attribute value: files by name, lists joined, dates as ISO time. */
export function attributeValueText(value: unknown, dataType?: string | null): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value))
    return value
      .map((item) => attributeValueText(item))
      .filter(Boolean)
      .join(', ');
  if (typeof value === 'object') {
    const named = value as { name?: unknown; label?: unknown; url?: unknown };
    return storableText(String(named.name ?? named.label ?? JSON.stringify(value)));
  }
  if (typeof value === 'number' && dataType === 'datetime') return datetimeOrNumber(value);
  return storableText(String(value));
}

/** A datetime attribute as ISO text; a number no date can hold (Intercom's types are free) stays a number. */
function datetimeOrNumber(value: number): string {
  const date = new Date(value * 1000);
  return Number.isNaN(date.getTime()) ? storableText(String(value)) : isoUtc(value);
}

function stateLabel(ticket: Ticket): string | undefined {
  return nonEmpty(ticket.ticket_state?.internal_label) ?? nonEmpty(ticket.ticket_state?.category);
}

const humanState = (state: string | null | undefined) =>
  (state ?? '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** A body for the parts Intercom sends without one, saying what they changed; undefined for the rest. */
function eventBody(part: TicketPart): string | undefined {
  if (nonEmpty(part.body)) return undefined;
  if (part.ticket_state || part.previous_ticket_state) {
    const from = part.previous_ticket_state ? `${humanState(part.previous_ticket_state)} → ` : '';
    return `<p>State: ${escapeHtml(from + humanState(part.ticket_state))}</p>`;
  }
  const update = (part as { updated_attribute_data?: unknown }).updated_attribute_data as
    | { attribute?: { label?: unknown }; value?: { label?: unknown } }
    | null
    | undefined;
  if (update?.attribute) {
    const label = attributeValueText(update.attribute.label);
    const value = attributeValueText(update.value?.label);
    return `<p>${escapeHtml(label)}: ${escapeHtml(value || '(empty)')}</p>`;
  }
  return undefined;
}

function ticketPartAsConversationPart(part: TicketPart): ConversationPart {
  return {
    type: 'conversation_part',
    id: part.id,
    part_type: part.part_type,
    body: eventBody(part) ?? part.body ?? null,
    created_at: part.created_at,
    updated_at: part.updated_at ?? null,
    author: part.author ?? UNKNOWN_AUTHOR,
    assigned_to: part.assigned_to ?? null,
    attachments: part.attachments ?? [],
    external_id: part.external_id ?? null,
    redacted: part.redacted ?? false,
  };
}

function ticketAttributeRows(ticket: Ticket): { name: string; value: string }[] {
  const attributes = ticket.ticket_attributes ?? {};
  const types = new Map(ticketTypeAttributes(ticket.ticket_type).map((a) => [a.name, a.data_type]));
  return Object.entries(attributes)
    .filter(([name]) => name !== DEFAULT_TITLE && name !== DEFAULT_DESCRIPTION)
    .map(([name, value]) => ({ name, value: attributeValueText(value, types.get(name)) }))
    .filter((row) => row.value !== '');
}

function openingHtml(ticket: Ticket): string {
  const kind = ticket.category ?? ticket.ticket_type?.category ?? 'ticket';
  const typeName = nonEmpty(ticket.ticket_type?.name);
  const number = ticket.ticket_id ? `#${ticket.ticket_id}` : ticket.id;
  const heading = [`Intercom ticket ${number}`, typeName, kind].filter(Boolean).join(' · ');
  const lines = [`<p><strong>${escapeHtml(heading)}</strong></p>`];
  const state = stateLabel(ticket);
  if (state) lines.push(`<p>State: ${escapeHtml(state)}</p>`);
  const title = nonEmpty(ticket.ticket_attributes?.[DEFAULT_TITLE]);
  if (title) lines.push(`<p><strong>${escapeHtml(title)}</strong></p>`);
  const description = nonEmpty(ticket.ticket_attributes?.[DEFAULT_DESCRIPTION]);
  if (description) {
    lines.push(
      ...description
        .split(/\n{2,}/)
        .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`),
    );
  }
  const rows = ticketAttributeRows(ticket);
  if (rows.length) {
    lines.push(
      `<ul>${rows.map((row) => `<li>${escapeHtml(row.name)}: ${escapeHtml(row.value)}</li>`).join('')}</ul>`,
    );
  }
  const linked = ticket.linked_objects?.data ?? [];
  if (linked.length) {
    const names = linked.map((o) => `${o.type} ${o.id}${o.category ? ` (${o.category})` : ''}`);
    lines.push(`<p>Linked in Intercom: ${escapeHtml(names.join(', '))}</p>`);
  }
  return lines.join('');
}

/** The ticket as the conversation shape the message plan, rehosting and import read. */
export function ticketAsConversation(ticket: Ticket): Conversation {
  const id = ticketConversationId(ticket.id);
  const parts = (ticket.ticket_parts?.ticket_parts ?? []).map(ticketPartAsConversationPart);
  const total = ticket.ticket_parts?.total_count;
  return {
    type: 'conversation',
    id,
    title: null,
    admin_assignee_id: null,
    team_assignee_id: null,
    created_at: ticket.created_at,
    updated_at: ticket.updated_at ?? ticket.created_at,
    snoozed_until: ticket.snoozed_until ?? null,
    open: ticket.open ?? undefined,
    state: mapTicketStatus(ticket).status,
    source: {
      type: 'ticket',
      id,
      delivered_as: null,
      subject: null,
      body: openingHtml(ticket),
      author: TICKET_AUTHOR,
      attachments: [],
      url: null,
    },
    contacts: { contacts: ticket.contacts?.contacts ?? [] },
    statistics: {
      count_conversation_parts: typeof total === 'number' ? Math.max(total, parts.length) : null,
    },
    conversation_parts: { conversation_parts: parts, total_count: parts.length },
  };
}

/** Whether a ticket's messages may be public (shown as sent to or by its contact). */
export function ticketIsPublic(ticket: Pick<Ticket, 'category' | 'ticket_type'>): boolean {
  return ticketKind(ticket) === 'customer';
}

/** The messages to post for one ticket, in order: the conversation plan, made private where it must be. */
export function planTicketMessages(ticket: Ticket, options: PlanMessagesOptions): PlannedMessage[] {
  const opening = ticketOpeningSourceId(ticket.id);
  const isPublic = ticketIsPublic(ticket);
  return planMessages(ticketAsConversation(ticket), options).map((message) => {
    const internal = message.partId === opening || (!isPublic && message.kind === 'message');
    if (!internal) return message;
    return { ...message, kind: 'note', messageType: 'outgoing', private: true, botAuthored: false };
  });
}

export type TicketStatus = 'open' | 'resolved' | 'snoozed';

/** resolved when closed or in a resolved state, snoozed with a snooze time, open otherwise. */
export function mapTicketStatus(ticket: Pick<Ticket, 'open' | 'ticket_state' | 'snoozed_until'>): {
  status: TicketStatus;
  snoozedUntil?: number;
} {
  const category = (ticket.ticket_state?.category ?? '').trim().toLowerCase();
  if (ticket.open === false || category === 'resolved') return { status: 'resolved' };
  if (typeof ticket.snoozed_until === 'number' && ticket.snoozed_until > 0) {
    return { status: 'snoozed', snoozedUntil: ticket.snoozed_until };
  }
  return { status: 'open' };
}

/** The label of a ticket type: a valid Chatwoot label title, distinct from tags of the same name. */
export function ticketTypeLabel(typeName: string): string {
  return labelTitle(`ticket ${typeName}`);
}

/** A ticket's labels: the migration's marker and its type's, sorted. */
export function ticketLabels(ticket: Pick<Ticket, 'ticket_type' | 'category'>): string[] {
  const name = nonEmpty(ticket.ticket_type?.name) ?? ticket.category ?? 'ticket';
  return [...new Set([FROM_INTERCOM_LABEL, ticketTypeLabel(name)])].sort();
}

/**
 * The conversation custom attribute holding a ticket type attribute. A type may well have an attribute
 * named "ID", "Type" or "State": its key must not be one of the migration's own (TICKET_ATTRIBUTES),
 * above all `intercom_ticket_id`, by which the import and the verification find the ticket's
 * conversation again.
 */
export function ticketAttributeKey(name: string): string {
  const base = customAttributeKey(name);
  const key = truncateShort(`intercom_ticket_${base}`).replace(/_+$/, '');
  return OWN_TICKET_KEYS.has(key) ? `intercom_ticket_attribute_${base}` : key;
}

/**
 * The key of each attribute name of one ticket type, none shared: Intercom's attribute names are free
 * text, so "Order ID" and "Order id", or two long names alike in their first 255 characters, make one
 * key, and one value would overwrite the other on every ticket of the type. The older attribute
 * (byAgeThenContent) keeps `ticketAttributeKey`; a later one gets "_2", "_3"... (as contacts' custom
 * attributes do, mapping/contacts.ts), cut so that the key stays within Chatwoot's 255 characters.
 * `extraNames` (a ticket's attribute names its type does not list, an archived attribute's value
 * say) come after the type's, in sorted order.
 */
export function ticketAttributeKeys(
  type: TicketType | null | undefined,
  extraNames: readonly string[] = [],
): Map<string, string> {
  const listed = ticketTypeAttributes(type)
    .sort(byAgeThenContent)
    .map((a) => a.name);
  const keys = new Map<string, string>();
  const used = new Set<string>();
  for (const name of [...listed, ...[...extraNames].sort()]) {
    if (keys.has(name) || name === DEFAULT_TITLE || name === DEFAULT_DESCRIPTION) continue;
    const base = ticketAttributeKey(name);
    let key = base;
    for (let n = 2; used.has(key); n++) {
      const suffix = `_${n}`;
      key = `${truncateShort(base, CHATWOOT_LIMITS.shortText - suffix.length).replace(/_+$/, '')}${suffix}`;
    }
    used.add(key);
    keys.set(name, key);
  }
  return keys;
}

export type TicketAttributeDisplayType = 'text' | 'number' | 'checkbox' | 'date';

/** Definitions every ticket conversation's attributes need (besides intercom_created_at and the like). */
export const TICKET_ATTRIBUTES = [
  { key: 'intercom_ticket_id', name: 'Intercom ticket id', type: 'text' },
  { key: 'intercom_ticket_number', name: 'Intercom ticket number', type: 'text' },
  { key: 'intercom_ticket_type', name: 'Intercom ticket type', type: 'text' },
  { key: 'intercom_ticket_category', name: 'Intercom ticket category', type: 'text' },
  { key: 'intercom_ticket_state', name: 'Intercom ticket state', type: 'text' },
  { key: 'intercom_linked_conversation_ids', name: 'Intercom linked conversations', type: 'text' },
] as const satisfies readonly { key: string; name: string; type: TicketAttributeDisplayType }[];

const OWN_TICKET_KEYS: ReadonlySet<string> = new Set(TICKET_ATTRIBUTES.map((a) => a.key));

const DISPLAY_TYPES: Record<string, TicketAttributeDisplayType> = {
  string: 'text',
  list: 'text',
  files: 'text',
  integer: 'number',
  decimal: 'number',
  boolean: 'checkbox',
  datetime: 'date',
};

export interface TicketAttributeDefinition {
  key: string;
  name: string;
  type: TicketAttributeDisplayType;
  description: string;
}

/**
 * One definition per ticket type attribute key, over every type (archived ones too: old tickets keep
 * their values); the defaults (title, description) are not among them. Two attributes of one key keep
 * the first one's type; the same input in any order gives the same definitions.
 */
export function ticketAttributeDefinitions(types: readonly TicketType[]): TicketAttributeDefinition[] {
  const attributes: { attribute: TicketTypeAttribute; key: string }[] = types
    .flatMap((type) => {
      const keys = ticketAttributeKeys(type);
      return ticketTypeAttributes(type).flatMap((attribute) => {
        const key = keys.get(attribute.name);
        return key === undefined ? [] : [{ attribute, key }];
      });
    })
    .sort(
      (a, b) => byAgeThenContent(a.attribute, b.attribute) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  const byKey = new Map<string, TicketAttributeDefinition>();
  for (const { attribute, key } of attributes) {
    if (byKey.has(key)) continue;
    byKey.set(key, {
      key,
      name: truncateShort(storableText(attribute.name).trim() || key),
      type: DISPLAY_TYPES[(attribute.data_type ?? '').toLowerCase()] ?? 'text',
      description: truncateShort(
        storableText(attribute.description ?? '').trim() || 'Intercom ticket attribute',
      ),
    });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * A total order, so that which attribute of a shared key wins never depends on the order of the
 * input. Intercom's ids are digit strings that grow: a shorter id is older, and "9" comes before "10"
 * (a plain string comparison would put a newer attribute first). Two attributes may carry one id (a
 * type listed twice, or two workspaces' exports merged): then the data type, name and description
 * decide, which are all that shape a definition.
 */
function byAgeThenContent(a: TicketTypeAttribute, b: TicketTypeAttribute): number {
  const first = [String(a.id).length, String(a.id), a.data_type ?? '', a.name, a.description ?? ''];
  const second = [String(b.id).length, String(b.id), b.data_type ?? '', b.name, b.description ?? ''];
  for (let i = 0; i < first.length; i++) {
    const [x, y] = [first[i] as string | number, second[i] as string | number];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The Intercom conversations a ticket is linked to. */
export function linkedConversationIds(ticket: Pick<Ticket, 'linked_objects'>): string[] {
  return [
    ...new Set(
      (ticket.linked_objects?.data ?? []).filter((o) => o.type === 'conversation').map((o) => String(o.id)),
    ),
  ];
}

function attributeValue(value: unknown, dataType: string | null | undefined): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) {
    return dataType === 'datetime' ? datetimeOrNumber(value) : value;
  }
  const text = attributeValueText(value, dataType);
  return text === '' ? undefined : text;
}

/** The ticket's custom attributes, within Chatwoot's limits (./attributes.ts). */
export function ticketCustomAttributes(ticket: Ticket): Record<string, unknown> {
  return fitAttributeHash(ticketCustomAttributesOf(ticket), 'custom_attributes').values;
}

/**
 * What the ticket's attribute hashes lost to Chatwoot's limits (conversation.rb validates a ticket's
 * conversation like any other): a long string attribute cut, a big integer (an "integer" ticket
 * attribute above 9,999,999,999) stored as a string. Nothing is lost to an agent: the opening note
 * lists every ticket attribute whole (`openingHtml`); the report lists these for the operator.
 */
export function ticketAttributeAdjustments(ticket: Ticket): AttributeAdjustment[] {
  return [
    ...fitAttributeHash(ticketCustomAttributesOf(ticket), 'custom_attributes').adjustments,
    ...fitAttributeHash(ticketAdditionalAttributesOf(ticket), 'additional_attributes').adjustments,
  ];
}

function ticketCustomAttributesOf(ticket: Ticket): Record<string, unknown> {
  const attributes: Record<string, unknown> = {
    intercom_ticket_id: ticket.id,
    intercom_created_at: isoUtc(ticket.created_at),
    intercom_updated_at: isoUtc(ticket.updated_at ?? ticket.created_at),
  };
  if (ticket.ticket_id) attributes.intercom_ticket_number = ticket.ticket_id;
  const typeName = nonEmpty(ticket.ticket_type?.name);
  if (typeName) attributes.intercom_ticket_type = truncateShort(typeName);
  const category = nonEmpty(ticket.category ?? ticket.ticket_type?.category);
  if (category) attributes.intercom_ticket_category = truncateShort(category);
  const state = stateLabel(ticket);
  if (state) attributes.intercom_ticket_state = truncateShort(state);
  const title = nonEmpty(ticket.ticket_attributes?.[DEFAULT_TITLE]);
  if (title) attributes.intercom_title = truncateShort(title);
  const linked = linkedConversationIds(ticket);
  if (linked.length) attributes.intercom_linked_conversation_ids = linked.join(', ');
  const types = new Map(ticketTypeAttributes(ticket.ticket_type).map((a) => [a.name, a.data_type]));
  const given = Object.entries(ticket.ticket_attributes ?? {});
  const keys = ticketAttributeKeys(
    ticket.ticket_type,
    given.map(([name]) => name).filter((name) => !types.has(name)),
  );
  for (const [name, raw] of given) {
    const key = keys.get(name);
    if (key === undefined) continue;
    const value = attributeValue(raw, types.get(name));
    if (value !== undefined) attributes[key] = value;
  }
  return storableJson(attributes);
}

/** Context for agents and audits, not looked up by anything. */
export function ticketAdditionalAttributes(ticket: Ticket): Record<string, unknown> {
  return fitAttributeHash(ticketAdditionalAttributesOf(ticket), 'additional_attributes').values;
}

function ticketAdditionalAttributesOf(ticket: Ticket): Record<string, unknown> {
  const attributes: Record<string, unknown> = {
    intercom_ticket_category: ticket.category ?? ticket.ticket_type?.category ?? null,
  };
  const linked = ticket.linked_objects?.data ?? [];
  if (linked.length) attributes.intercom_linked_objects = linked.map((o) => ({ ...o }));
  const contactIds = (ticket.contacts?.contacts ?? []).map((c) => c.id);
  if (contactIds.length) attributes.intercom_contact_ids = contactIds;
  if (ticket.admin_assignee_id && ticket.admin_assignee_id !== '0') {
    attributes.intercom_admin_assignee_id = ticket.admin_assignee_id;
  }
  if (ticket.team_assignee_id && ticket.team_assignee_id !== '0') {
    attributes.intercom_team_assignee_id = ticket.team_assignee_id;
  }
  if (typeof ticket.is_shared === 'boolean') attributes.intercom_is_shared = ticket.is_shared;
  if (typeof ticket.snoozed_until === 'number')
    attributes.intercom_snoozed_until = isoUtc(ticket.snoozed_until);
  const total = ticket.ticket_parts?.total_count;
  if (typeof total === 'number') attributes.intercom_parts_count = total;
  attributes.intercom_parts_exported = ticket.ticket_parts?.ticket_parts?.length ?? 0;
  return storableJson(attributes);
}

/** The private note on a conversation linked to a ticket: which Chatwoot conversation the ticket became. */
export function ticketLinkNote(ticket: Ticket, chatwootConversationId: number): string {
  const number = ticket.ticket_id ? `#${ticket.ticket_id}` : ticket.id;
  const typeName = nonEmpty(ticket.ticket_type?.name);
  const category = ticket.category ?? ticket.ticket_type?.category;
  const kind = [typeName, category].filter(Boolean).join(', ');
  const title = nonEmpty(ticket.ticket_attributes?.[DEFAULT_TITLE]);
  return storableText(
    `Linked to Intercom ticket ${number}${kind ? ` (${kind})` : ''}${title ? `: ${truncateShort(title, 200)}` : ''}. ` +
      `The ticket was migrated as conversation #${chatwootConversationId} (custom attribute intercom_ticket_id ${ticket.id}).`,
  );
}

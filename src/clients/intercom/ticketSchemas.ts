/**
 * Zod schemas of Intercom 2.16's tickets: GET /tickets/{id}, POST /tickets/search, GET /ticket_types
 * and GET /ticket_states (schemas ticket, ticket_part, ticket_type, ticket_type_attribute,
 * ticket_state, linked_object_list of the API description). Loose like ./schemas.ts: unknown fields
 * pass through and stay in the export; only what the migration reads is typed. Every field the
 * description marks optional or nullable is accepted as absent or null.
 */
import { z } from 'zod';
import { Author, CursorPages, IntercomId, PartAttachment } from './schemas.js';

/** Customer | Back-office | Tracker; open-ended so that a new category is exported, not refused. */
export const TicketCategory = z.string();

export const TicketState = z.looseObject({
  type: z.string().optional(),
  id: IntercomId.nullish(),
  /** submitted | in_progress | waiting_on_customer | resolved */
  category: z.string().nullish(),
  internal_label: z.string().nullish(),
  external_label: z.string().nullish(),
});

export const TicketTypeAttribute = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  name: z.string(),
  description: z.string().nullish(),
  /** string | list | integer | decimal | boolean | datetime | files */
  data_type: z.string().nullish(),
  input_options: z.unknown().optional(),
  order: z.number().nullish(),
  default: z.boolean().nullish(),
  archived: z.boolean().nullish(),
  ticket_type_id: IntercomId.nullish(),
});

/**
 * The description's schema names the list `ticket_type_attributes`, its examples `data`: both are read.
 */
const TicketTypeAttributeList = z.looseObject({
  type: z.string().optional(),
  ticket_type_attributes: z.array(TicketTypeAttribute).nullish(),
  data: z.array(TicketTypeAttribute).nullish(),
});

export const TicketType = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  category: TicketCategory.nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  icon: z.string().nullish(),
  archived: z.boolean().nullish(),
  ticket_type_attributes: TicketTypeAttributeList.nullish(),
  created_at: z.number().nullish(),
  updated_at: z.number().nullish(),
});

export const TicketPart = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  /** comment | note | ticket_state_updated_by_admin | ticket_attribute_updated_by_admin | ...; open-ended. */
  part_type: z.string(),
  body: z.string().nullish(),
  previous_ticket_state: z.string().nullish(),
  ticket_state: z.string().nullish(),
  created_at: z.number(),
  updated_at: z.number().nullish(),
  assigned_to: z.looseObject({ type: z.string(), id: IntercomId.nullish() }).nullish(),
  author: Author.nullish(),
  attachments: z.array(PartAttachment).nullish(),
  external_id: z.string().nullish(),
  redacted: z.boolean().nullish(),
});

export const LinkedObject = z.looseObject({
  /** ticket | conversation */
  type: z.string(),
  id: IntercomId,
  category: z.string().nullish(),
});

export const Ticket = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  /** The number shown in Intercom's inbox and messenger ("#40"); never used to fetch. */
  ticket_id: IntercomId.nullish(),
  category: TicketCategory.nullish(),
  ticket_attributes: z.record(z.string(), z.unknown()).nullish(),
  /** An object in 2.16; older versions sent the category alone, kept as `{ category }`. */
  ticket_state: z
    .preprocess((value) => (typeof value === 'string' ? { category: value } : value), TicketState)
    .nullish(),
  ticket_type: TicketType.nullish(),
  contacts: z
    .looseObject({
      contacts: z
        .array(
          z.looseObject({ type: z.string().optional(), id: IntercomId, external_id: z.string().nullish() }),
        )
        .nullish(),
    })
    .nullish(),
  /** 0 (or absent) when unassigned. */
  admin_assignee_id: IntercomId.nullish(),
  team_assignee_id: IntercomId.nullish(),
  created_at: z.number(),
  updated_at: z.number().nullish(),
  open: z.boolean().nullish(),
  snoozed_until: z.number().nullish(),
  linked_objects: z
    .looseObject({
      data: z.array(LinkedObject).nullish(),
      total_count: z.number().nullish(),
      has_more: z.boolean().nullish(),
    })
    .nullish(),
  ticket_parts: z
    .looseObject({ ticket_parts: z.array(TicketPart).nullish(), total_count: z.number().nullish() })
    .nullish(),
  is_shared: z.boolean().nullish(),
  previous_ticket_state_id: IntercomId.nullish(),
});

/** An item of POST /tickets/search: parts may be there or not; the export fetches each ticket whole. */
export const TicketList = z.looseObject({
  type: z.string().optional(),
  tickets: z.array(Ticket.omit({ ticket_parts: true })),
  total_count: z.number().nullish(),
  pages: CursorPages.nullish(),
});

export const TicketTypeList = z.looseObject({ type: z.string().optional(), data: z.array(TicketType) });

export const TicketStateDetailed = TicketState.extend({ archived: z.boolean().nullish() });
export const TicketStateList = z.looseObject({
  type: z.string().optional(),
  data: z.array(TicketStateDetailed),
});

export type Ticket = z.infer<typeof Ticket>;
export type TicketListItem = z.infer<typeof TicketList>['tickets'][number];
export type TicketPart = z.infer<typeof TicketPart>;
export type TicketType = z.infer<typeof TicketType>;
export type TicketTypeAttribute = z.infer<typeof TicketTypeAttribute>;
export type TicketState = z.infer<typeof TicketStateDetailed>;
export type LinkedObject = z.infer<typeof LinkedObject>;

/** A ticket type's attributes, wherever the answer put them. */
export function ticketTypeAttributes(type: TicketType | null | undefined): TicketTypeAttribute[] {
  const list = type?.ticket_type_attributes;
  return list?.ticket_type_attributes ?? list?.data ?? [];
}

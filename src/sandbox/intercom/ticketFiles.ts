/**
 * Tickets in the workspace folder (./workspaceFiles.ts): tickets.json as the API sends them from
 * GET /tickets/{id} (every part, assignees 0 when unassigned), ticket_types.json and
 * ticket_states.json as GET /ticket_types and GET /ticket_states answer. A folder without them
 * (saved before tickets, or captured without) loads with none.
 */
import { z } from 'zod';
import {
  type Ticket,
  Ticket as TicketSchema,
  type TicketState,
  TicketStateDetailed,
  type TicketType,
  TicketType as TicketTypeSchema,
} from '../../clients/intercom/ticketSchemas.js';
import type { IntercomDataset } from './dataset.js';
import { wireNumber } from './workspaceFiles.js';

export interface TicketFiles {
  'tickets.json': unknown;
  'ticket_types.json': unknown;
  'ticket_states.json': unknown;
}

export function ticketFiles(dataset: IntercomDataset): TicketFiles {
  const tickets = (dataset.tickets ?? []).map((ticket) => ({
    ...ticket,
    admin_assignee_id: wireNumber(ticket.admin_assignee_id) ?? 0,
    team_assignee_id: wireNumber(ticket.team_assignee_id) ?? 0,
  }));
  return {
    'tickets.json': { type: 'ticket.list', tickets, total_count: tickets.length },
    'ticket_types.json': { type: 'list', data: dataset.ticketTypes ?? [] },
    'ticket_states.json': { type: 'list', data: dataset.ticketStates ?? [] },
  };
}

function list<T extends z.ZodType>(raw: unknown, key: string, item: T, file: string): z.infer<T>[] {
  if (raw === undefined) return [];
  const parsed = z.looseObject({ [key]: z.array(z.unknown()) }).safeParse(raw);
  if (!parsed.success) throw new Error(`loadWorkspace: ${file} has no ${key} list`);
  return (parsed.data[key] as unknown[]).map((entry, index) => {
    const result = item.safeParse(entry);
    if (!result.success) throw new Error(`loadWorkspace: ${file} item ${index}: ${result.error.message}`);
    return result.data;
  });
}

/**
 * The tickets of a folder; `localise` turns a real attachment link whose file is in the folder into
 * its placeholder, as for conversations.
 */
export function loadTicketFiles(
  read: { tickets?: unknown; types?: unknown; states?: unknown },
  localise: {
    link: (url: string) => string;
    body: (body: string | null | undefined) => string | null | undefined;
  },
): Pick<IntercomDataset, 'tickets' | 'ticketTypes' | 'ticketStates'> {
  const unassigned = (value: unknown) => (value === 0 || value === '0' ? null : value);
  const tickets: Ticket[] = list(read.tickets, 'tickets', z.unknown(), 'tickets.json').map((raw, index) => {
    const record = z.looseObject({}).parse(raw);
    record.admin_assignee_id = unassigned(record.admin_assignee_id);
    record.team_assignee_id = unassigned(record.team_assignee_id);
    const result = TicketSchema.safeParse(record);
    if (!result.success)
      throw new Error(`loadWorkspace: tickets.json item ${index}: ${result.error.message}`);
    const ticket = result.data;
    for (const part of ticket.ticket_parts?.ticket_parts ?? []) {
      if (typeof part.body === 'string') part.body = localise.body(part.body);
      if (part.attachments) {
        part.attachments = part.attachments.map((attachment) => ({
          ...attachment,
          url: localise.link(attachment.url),
        }));
      }
    }
    return ticket;
  });
  const ticketTypes: TicketType[] = list(read.types, 'data', TicketTypeSchema, 'ticket_types.json');
  const ticketStates: TicketState[] = list(read.states, 'data', TicketStateDetailed, 'ticket_states.json');
  return { tickets, ticketTypes, ticketStates };
}

/** The attachments tickets describe (name, content type), by placeholder path. */
export function ticketAttachmentDescriptions(
  tickets: readonly Ticket[],
  prefix: string,
): Map<string, { name?: string | null; content_type?: string | null }> {
  const described = new Map<string, { name?: string | null; content_type?: string | null }>();
  for (const ticket of tickets) {
    for (const part of ticket.ticket_parts?.ticket_parts ?? []) {
      for (const attachment of part.attachments ?? []) {
        if (!attachment.url.startsWith(prefix)) continue;
        const path = attachment.url.slice(prefix.length);
        if (!described.has(path)) described.set(path, attachment);
      }
    }
  }
  return described;
}

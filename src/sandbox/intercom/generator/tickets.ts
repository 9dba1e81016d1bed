/**
 * Tickets, ticket types and ticket states, in the shapes of Intercom 2.16 (schemas ticket,
 * ticket_part, ticket_type, ticket_type_attribute, ticket_state). All three categories:
 *
 * - Customer tickets, on a contact; every other one was opened from a conversation and is linked
 *   to it both ways (linked_objects on the ticket and on the conversation), the rest were created by
 *   a teammate without one. Comments by the contact and by admins, notes, state changes.
 * - Back-office tickets: teammates' work behind a conversation (linked to it), about its contact or
 *   about no one. Notes, internal comments, attribute updates, state changes.
 * - Tracker tickets: no contact, linked to several conversations.
 *
 * Ticket ids are in a range of their own (700000+) so that no ticket is mistaken for a conversation
 * the sandbox lists or mints; parts carry attachments through the same registry as conversations,
 * so their links are signed and expire like every other.
 */
import type { Admin, Contact, Conversation, Team } from '../../../clients/intercom/schemas.js';
import type { Ticket, TicketPart, TicketState, TicketType } from '../../../clients/intercom/ticketSchemas.js';
import type { AttachmentRegistry } from './attachments.js';
import type { GeneratorContext } from './context.js';

type PartFields = Pick<TicketPart, 'part_type' | 'author' | 'attachments'> &
  Partial<Pick<TicketPart, 'body' | 'ticket_state' | 'previous_ticket_state'>> & {
    updated_attribute_data?: unknown;
  };

export interface GeneratedTickets {
  tickets: Ticket[];
  ticketTypes: TicketType[];
  ticketStates: TicketState[];
}

const STATES: TicketState[] = [
  {
    type: 'ticket_state',
    id: '8321',
    category: 'submitted',
    internal_label: 'Submitted',
    external_label: 'Submitted',
    archived: false,
  },
  {
    type: 'ticket_state',
    id: '8322',
    category: 'in_progress',
    internal_label: 'In progress',
    external_label: 'In progress',
    archived: false,
  },
  {
    type: 'ticket_state',
    id: '8323',
    category: 'waiting_on_customer',
    internal_label: 'Waiting on customer',
    external_label: 'Waiting on you',
    archived: false,
  },
  {
    type: 'ticket_state',
    id: '8324',
    category: 'resolved',
    internal_label: 'Resolved',
    external_label: 'Resolved',
    archived: false,
  },
];

function attribute(
  typeId: string,
  id: string,
  name: string,
  dataType: string,
  order: number,
  extra: Record<string, unknown> = {},
) {
  return {
    type: 'ticket_type_attribute',
    id,
    name,
    description: name.startsWith('_default') ? '' : `${name} of the ticket`,
    data_type: dataType,
    input_options: null,
    order,
    required_to_create: false,
    required_to_create_for_contacts: false,
    visible_on_create: true,
    visible_to_contacts: !name.startsWith('Internal'),
    default: name.startsWith('_default'),
    ticket_type_id: typeId,
    archived: false,
    ...extra,
  };
}

function ticketType(
  id: string,
  name: string,
  category: string,
  createdAt: number,
  custom: [string, string, Record<string, unknown>?][],
  archived = false,
): TicketType {
  const attributes = [
    attribute(id, `${id}1`, '_default_title_', 'string', 0, { input_options: { multiline: false } }),
    attribute(id, `${id}2`, '_default_description_', 'string', 1, { input_options: { multiline: true } }),
    ...custom.map(([name, dataType, extra], i) =>
      attribute(id, `${id}${i + 3}`, name, dataType, i + 2, extra),
    ),
  ];
  return {
    type: 'ticket_type',
    id,
    category,
    name,
    description: `${name} template`,
    icon: category === 'Customer' ? '🐞' : category === 'Tracker' ? '🧭' : '🗂️',
    archived,
    created_at: createdAt,
    updated_at: createdAt,
    ticket_type_attributes: { type: 'list', data: attributes },
  };
}

export function buildTicketTypes(startTime: number): TicketType[] {
  const listOptions = {
    list_options: [
      { id: 'c1', label: 'Low' },
      { id: 'c2', label: 'High' },
      { id: 'c3', label: 'Critical' },
    ],
  };
  return [
    ticketType('101', 'Bug report', 'Customer', startTime, [
      ['Severity', 'list', { input_options: listOptions }],
      ['Affected users', 'integer'],
      ['Reproducible', 'boolean'],
      ['Due date', 'datetime'],
      ['Screenshots', 'files'],
    ]),
    ticketType('102', 'Refund approval', 'Back-office', startTime, [
      ['Amount', 'decimal'],
      ['Order number', 'string'],
      ['Internal reason', 'string'],
    ]),
    ticketType('103', 'Known issue', 'Tracker', startTime, [['Jira key', 'string']]),
    ticketType('104', 'Feature request (old)', 'Customer', startTime, [['Votes', 'integer']], true),
  ];
}

export interface TicketRefs {
  admins: readonly Admin[];
  teams: readonly Team[];
  contacts: readonly Contact[];
  /** Linked tickets are also listed on these (conversation.linked_objects). */
  conversations: Conversation[];
}

const TITLES = [
  'Export button does nothing',
  'Refund for a double charge',
  'Login loop on Safari',
  'Invoice shows the wrong VAT',
];
const DESCRIPTIONS = [
  'Steps:\n1. Open settings\n2. Click Export\n\nNothing happens & no error <none>.',
  'Customer was charged twice for order #4411. Approve the refund of €49.00.',
  'Several customers report being sent back to the login page after signing in.',
];

/** Default: a few per workspace (3 to 12), none without conversations. */
export function defaultTicketCount(conversations: number): number {
  return conversations > 0 ? Math.min(12, Math.max(3, Math.floor(conversations / 20))) : 0;
}

export function buildTickets(
  context: GeneratorContext,
  registry: AttachmentRegistry,
  count: number,
  refs: TicketRefs,
): GeneratedTickets {
  const { dice, startTime } = context;
  const ticketTypes = buildTicketTypes(startTime);
  const [bug, refund, known] = ticketTypes as [TicketType, TicketType, TicketType];
  const tickets: Ticket[] = [];
  let nextPartId = 9_000_000;
  const adminAuthor = (admin: Admin) => ({
    type: 'admin',
    id: admin.id,
    name: admin.name ?? null,
    email: admin.email ?? null,
  });
  for (let i = 0; i < count && refs.admins.length > 0; i++) {
    const kind = i % 3;
    const type = kind === 0 ? bug : kind === 1 ? refund : known;
    const id = String(700_000 + i * 7);
    const conversation = refs.conversations.length
      ? refs.conversations[(i * 11) % refs.conversations.length]
      : undefined;
    const conversationContactId = conversation?.contacts?.contacts[0]?.id;
    const contact =
      refs.contacts.find((c) => c.id === conversationContactId) ?? refs.contacts[i % refs.contacts.length];
    const fromConversation = conversation && (kind !== 0 || i % 2 === 0);
    const linkedConversations: Conversation[] = [];
    if (fromConversation && conversation) linkedConversations.push(conversation);
    if (kind === 2 && refs.conversations.length > 1) {
      const second = refs.conversations[(i * 11 + 5) % refs.conversations.length] as Conversation;
      if (second !== conversation) linkedConversations.push(second);
    }
    const onContact = kind === 0 || (kind === 1 && i % 2 === 1);
    const assignee = dice.chance(0.7) ? dice.pick(refs.admins) : null;
    const team = refs.teams.length > 0 && dice.chance(0.4) ? dice.pick(refs.teams) : null;
    const state = STATES[i % STATES.length] as TicketState;
    const createdAt = Math.max(startTime, (conversation?.created_at ?? startTime) + dice.int(60, 3_600));
    let time = createdAt;
    const parts: TicketPart[] = [];
    const push = (part: PartFields) => {
      time += dice.int(30, 7_200);
      parts.push({
        type: 'ticket_part',
        id: String(nextPartId++),
        created_at: time,
        updated_at: time,
        redacted: false,
        ...part,
      });
    };
    const admin = () => adminAuthor(assignee ?? dice.pick(refs.admins));
    const contactAuthor = {
      type: contact?.role ?? 'user',
      id: contact?.id ?? null,
      name: contact?.name ?? null,
      email: contact?.email ?? null,
    };
    if (kind === 0) {
      push({
        part_type: 'comment',
        body: '<p>The export button does nothing since the update. Screenshot attached.</p>',
        author: contactAuthor,
        attachments: [registry.add()],
      });
      push({
        part_type: 'ticket_state_updated_by_admin',
        previous_ticket_state: 'submitted',
        ticket_state: 'in_progress',
        author: admin(),
        attachments: [],
      });
      push({
        part_type: 'comment',
        body: '<p>Thanks, our engineers are on it. We will update this ticket.</p>',
        author: admin(),
        attachments: [],
      });
      push({
        part_type: 'note',
        body: '<p>Internal: reproduced on staging, see BUG-2231.</p>',
        author: admin(),
        attachments: [],
      });
    } else if (kind === 1) {
      push({
        part_type: 'note',
        body: '<p>Refund requested by the customer in the conversation; needs approval.</p>',
        author: admin(),
        attachments: [registry.add()],
      });
      push({ part_type: 'comment', body: '<p>Approved by finance.</p>', author: admin(), attachments: [] });
      push({
        part_type: 'ticket_attribute_updated_by_admin',
        author: admin(),
        attachments: [],
        updated_attribute_data: {
          attribute: { type: 'attribute', id: `${refund.id}3`, label: 'Amount' },
          value: { type: 'value', id: '49.0', label: '49.0' },
        },
      });
    } else {
      push({
        part_type: 'comment',
        body: '<p>Tracking the login loop reported by several customers.</p>',
        author: admin(),
        attachments: [],
      });
      push({
        part_type: 'note',
        body: '<p>Root cause: cookie SameSite change. Fix in review.</p>',
        author: admin(),
        attachments: [],
      });
    }
    if (state.category !== 'submitted' && state.category !== 'in_progress') {
      push({
        part_type: 'ticket_state_updated_by_admin',
        previous_ticket_state: 'in_progress',
        ticket_state: state.category ?? 'resolved',
        author: admin(),
        attachments: [],
      });
    }
    const attributes: Record<string, unknown> = {
      _default_title_: TITLES[i % TITLES.length],
      _default_description_: i % 4 === 3 ? null : DESCRIPTIONS[kind],
    };
    if (kind === 0) {
      attributes.Severity = ['Low', 'High', 'Critical'][i % 3];
      attributes['Affected users'] = 3 + i;
      attributes.Reproducible = i % 2 === 0;
      attributes['Due date'] = createdAt + 86_400 * 7;
    } else if (kind === 1) {
      attributes.Amount = 49.0 + i;
      attributes['Order number'] = `ORD-${4411 + i}`;
    } else {
      attributes['Jira key'] = `BUG-${2231 + i}`;
    }
    const ticket: Ticket = {
      type: 'ticket',
      id,
      ticket_id: String(i + 1),
      category: type.category,
      ticket_attributes: attributes,
      ticket_state: {
        type: 'ticket_state',
        id: state.id,
        category: state.category,
        internal_label: state.internal_label,
        external_label: state.external_label,
      },
      ticket_type: type,
      contacts: {
        type: 'contact.list',
        contacts:
          onContact && contact
            ? [{ type: 'contact', id: contact.id, external_id: contact.external_id ?? null }]
            : [],
      },
      admin_assignee_id: assignee?.id ?? null,
      team_assignee_id: team?.id ?? null,
      created_at: createdAt,
      updated_at: time,
      open: state.category !== 'resolved',
      snoozed_until: null,
      linked_objects: {
        type: 'list',
        data: linkedConversations.map((c) => ({ type: 'conversation', id: c.id, category: null })),
        total_count: linkedConversations.length,
        has_more: false,
      },
      ticket_parts: { type: 'ticket_part.list', ticket_parts: parts, total_count: parts.length },
      is_shared: type.category === 'Customer',
      previous_ticket_state_id: null,
    };
    tickets.push(ticket);
    for (const linked of linkedConversations) {
      const list = (linked.linked_objects ?? { type: 'list', data: [], total_count: 0, has_more: false }) as {
        data: unknown[];
        total_count: number;
      };
      list.data = [...list.data, { type: 'ticket', id, category: type.category }];
      list.total_count = list.data.length;
      (linked as { linked_objects?: unknown }).linked_objects = list;
    }
  }
  return { tickets, ticketTypes, ticketStates: STATES.map((state) => ({ ...state })) };
}

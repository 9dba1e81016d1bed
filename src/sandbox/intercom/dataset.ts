/**
 * The sandbox's workspace model, shared by the generator, the folder format and the server: what a
 * whole Intercom workspace holds, and the placeholders that stand in for signed attachment links.
 */
import type { z } from 'zod';
import type { Note } from '../../clients/intercom/contactSchemas.js';
import type {
  Admin,
  Article,
  Collection,
  Company,
  Contact,
  Conversation,
  DataAttribute,
  DeletedConversation as DeletedConversationSchema,
  Macro,
  Tag,
  Team,
} from '../../clients/intercom/schemas.js';
import type { Ticket, TicketState, TicketType } from '../../clients/intercom/ticketSchemas.js';

export type DeletedConversation = z.infer<typeof DeletedConversationSchema>;

export interface AttachmentDescriptor {
  /** The file name as the uploader gave it: may be unsafe ("../../etc/passwd"). */
  name: string;
  contentType: string;
  size: number;
}

/**
 * A whole Intercom workspace as the sandbox serves it. Every object is in the parsed form of the
 * schemas in src/clients/intercom/schemas.ts (ids are strings, unassigned assignees are null); the
 * server turns them into the wire form (numeric ids where Intercom sends numbers, 0 for "unassigned").
 */
export interface IntercomDataset {
  /** GET /me: the admin owning the token, with the `app` (workspace). */
  me: Admin;
  admins: Admin[];
  teams: Team[];
  tags: Tag[];
  /**
   * Live contacts. Their `tags` and `companies` lists hold every reference; the server shows at most
   * 10 of each on the contact object (handlers/contactData.ts).
   */
  contacts: Contact[];
  /** Notes on contacts (note.contact.id), all of them; GET /contacts/{id}/notes pages them. */
  notes?: Note[];
  /** Contacts merged away (POST /contacts/merge): their id -> the contact they were merged into. */
  contactMerges?: Record<string, string>;
  companies: Company[];
  macros: Macro[];
  /** Attribute definitions of the models contact, company and conversation (`model` says which). */
  dataAttributes: DataAttribute[];
  collections: Collection[];
  articles: Article[];
  /** Full conversations with all their parts (possibly more than the API's 500), ascending by id. */
  conversations: Conversation[];
  /** Conversations deleted in Intercom, as GET /conversations/deleted lists them. */
  deletedConversations: DeletedConversation[];
  /**
   * Tickets of every category, whole with their parts (served by /tickets/search and GET /tickets/{id});
   * absent in workspaces saved before tickets existed, which then have none.
   */
  tickets?: Ticket[];
  /** GET /ticket_types: each with its attributes. */
  ticketTypes?: TicketType[];
  /** GET /ticket_states. */
  ticketStates?: TicketState[];
  /** Attachment path -> what the file is; the bytes come from readAttachment. */
  attachments: Record<string, AttachmentDescriptor>;
  /** The bytes of one attachment, or undefined when the path is unknown. */
  readAttachment: (path: string) => Promise<Buffer | undefined>;
}

/** Conversations keep this in place of a signed link; the server replaces it when answering. */
export const ATTACHMENT_PLACEHOLDER_PREFIX = 'intercom-sandbox-attachment:';

export function attachmentPlaceholder(path: string): string {
  return `${ATTACHMENT_PLACEHOLDER_PREFIX}${path}`;
}

/** Matches placeholders inside HTML bodies and attachment urls; group 1 is the path. */
export const ATTACHMENT_PLACEHOLDER_PATTERN = /intercom-sandbox-attachment:([A-Za-z0-9._~%/-]+)/g;

/**
 * Zod schemas of the Intercom API 2.16 payloads this project reads. They are deliberately loose
 * (unknown fields pass through and are kept in the export) because Intercom adds fields and part
 * types without notice; only the fields the migration relies on are typed and checked.
 * Shared by the HTTP client, the Intercom sandbox and the mapping functions.
 */
import { z } from 'zod';

/** Intercom ids are strings on the wire (admins sometimes arrive as numbers in older payloads). */
export const IntercomId = z.union([z.string(), z.number()]).transform((v) => String(v));

export const CursorPages = z.looseObject({
  type: z.literal('pages').optional(),
  page: z.number().optional(),
  per_page: z.number().optional(),
  total_pages: z.number().optional(),
  next: z
    .union([
      z.looseObject({ page: z.number().optional(), starting_after: z.string().nullish() }),
      z.string(),
      z.null(),
    ])
    .optional(),
});

export const Author = z.looseObject({
  /** admin | bot | user | lead | contact | team; open-ended. */
  type: z.string(),
  id: IntercomId.nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});

export const PartAttachment = z.looseObject({
  type: z.string().optional(),
  name: z.string().nullish(),
  url: z.string(),
  content_type: z.string().nullish(),
  filesize: z.number().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
});

export const ConversationPart = z.looseObject({
  type: z.literal('conversation_part').optional(),
  id: IntercomId,
  /** comment | note | assignment | open | close | snoozed | ...; open-ended, unknown ones are kept. */
  part_type: z.string(),
  body: z.string().nullish(),
  created_at: z.number(),
  updated_at: z.number().nullish(),
  author: Author,
  assigned_to: z.looseObject({ type: z.string(), id: IntercomId.nullish() }).nullish(),
  attachments: z.array(PartAttachment).default([]),
  external_id: z.string().nullish(),
  redacted: z.boolean().optional(),
});

export const ConversationSource = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  delivered_as: z.string().nullish(),
  subject: z.string().nullish(),
  body: z.string().nullish(),
  author: Author,
  attachments: z.array(PartAttachment).default([]),
  url: z.string().nullish(),
  redacted: z.boolean().optional(),
});

export const TagRef = z.looseObject({ type: z.string().optional(), id: IntercomId, name: z.string() });

export const ConversationRating = z.looseObject({
  rating: z.number().nullish(),
  remark: z.string().nullish(),
  created_at: z.number().nullish(),
});

export const Conversation = z.looseObject({
  type: z.literal('conversation').optional(),
  id: IntercomId,
  title: z.string().nullish(),
  created_at: z.number(),
  updated_at: z.number(),
  waiting_since: z.number().nullish(),
  snoozed_until: z.number().nullish(),
  open: z.boolean().optional(),
  /** open | closed | snoozed */
  state: z.string(),
  priority: z.string().nullish(),
  admin_assignee_id: IntercomId.nullish(),
  team_assignee_id: IntercomId.nullish(),
  tags: z.looseObject({ tags: z.array(TagRef).default([]) }).nullish(),
  conversation_rating: ConversationRating.nullish(),
  source: ConversationSource,
  contacts: z
    .looseObject({
      contacts: z.array(
        z.looseObject({ type: z.string().optional(), id: IntercomId, external_id: z.string().nullish() }),
      ),
    })
    .nullish(),
  custom_attributes: z.record(z.string(), z.unknown()).nullish(),
  statistics: z.looseObject({ count_conversation_parts: z.number().nullish() }).nullish(),
  conversation_parts: z
    .looseObject({
      conversation_parts: z.array(ConversationPart).default([]),
      total_count: z.number().optional(),
    })
    .nullish(),
});

/** An item of GET /conversations: the list carries no parts. */
export const ConversationListItem = Conversation.omit({ conversation_parts: true });

export const ConversationList = z.looseObject({
  type: z.string().optional(),
  conversations: z.array(ConversationListItem),
  total_count: z.number().optional(),
  pages: CursorPages.optional(),
});

export const Contact = z.looseObject({
  type: z.literal('contact').optional(),
  id: IntercomId,
  external_id: z.string().nullish(),
  /** user | lead */
  role: z.string(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  name: z.string().nullish(),
  avatar: z.union([z.string(), z.looseObject({ image_url: z.string().nullish() })]).nullish(),
  created_at: z.number(),
  updated_at: z.number(),
  custom_attributes: z.record(z.string(), z.unknown()).nullish(),
  location: z
    .looseObject({ country: z.string().nullish(), region: z.string().nullish(), city: z.string().nullish() })
    .nullish(),
  companies: z.looseObject({ data: z.array(z.looseObject({ id: IntercomId })).optional() }).nullish(),
});

export const ContactList = z.looseObject({
  type: z.string().optional(),
  data: z.array(Contact),
  total_count: z.number().optional(),
  pages: CursorPages.optional(),
});

export const Company = z.looseObject({
  type: z.literal('company').optional(),
  id: IntercomId,
  company_id: z.string().nullish(),
  name: z.string().nullish(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
  custom_attributes: z.record(z.string(), z.unknown()).nullish(),
});

export const CompanyScroll = z.looseObject({
  type: z.string().optional(),
  data: z.array(Company),
  total_count: z.number().nullish(),
  scroll_param: z.string().nullish(),
});

export const Tag = z.looseObject({ type: z.literal('tag').optional(), id: IntercomId, name: z.string() });
export const TagList = z.looseObject({ type: z.string().optional(), data: z.array(Tag) });

export const Team = z.looseObject({
  type: z.literal('team').optional(),
  id: IntercomId,
  name: z.string(),
  admin_ids: z.array(IntercomId).default([]),
});
export const TeamList = z.looseObject({ type: z.string().optional(), teams: z.array(Team) });

export const Admin = z.looseObject({
  type: z.literal('admin').optional(),
  id: IntercomId,
  name: z.string().nullish(),
  email: z.string().nullish(),
  team_ids: z.array(IntercomId).default([]),
});
export const AdminList = z.looseObject({ type: z.string().optional(), admins: z.array(Admin) });

export const Macro = z.looseObject({
  type: z.literal('macro').optional(),
  id: IntercomId,
  name: z.string(),
  body: z.string().nullish(),
  body_text: z.string().nullish(),
  /** Macros carry ISO-8601 timestamps, unlike every other object. */
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export const MacroList = z.looseObject({
  type: z.string().optional(),
  data: z.array(Macro),
  pages: CursorPages.optional(),
});

export const DataAttribute = z.looseObject({
  type: z.literal('data_attribute').optional(),
  id: IntercomId.nullish(),
  model: z.string().nullish(),
  name: z.string(),
  full_name: z.string().nullish(),
  label: z.string().nullish(),
  description: z.string().nullish(),
  data_type: z.string(),
  options: z.array(z.string()).nullish(),
  custom: z.boolean().optional(),
  archived: z.boolean().optional(),
});
export const DataAttributeList = z.looseObject({ type: z.string().optional(), data: z.array(DataAttribute) });

export const Collection = z.looseObject({
  id: IntercomId,
  name: z.string(),
  description: z.string().nullish(),
  parent_id: IntercomId.nullish(),
  default_locale: z.string().nullish(),
  order: z.number().nullish(),
});
export const CollectionList = z.looseObject({
  type: z.string().optional(),
  data: z.array(Collection),
  total_count: z.number().optional(),
  pages: CursorPages.optional(),
});

export const Article = z.looseObject({
  type: z.string().optional(),
  id: IntercomId,
  title: z.string(),
  description: z.string().nullish(),
  /** HTML */
  body: z.string().nullish(),
  author_id: IntercomId.nullish(),
  state: z.string().nullish(),
  parent_id: IntercomId.nullish(),
  parent_type: z.string().nullish(),
  parent_ids: z.array(IntercomId).nullish(),
  default_locale: z.string().nullish(),
  created_at: z.number().nullish(),
  updated_at: z.number().nullish(),
});
export const ArticleList = z.looseObject({
  type: z.string().optional(),
  data: z.array(Article),
  total_count: z.number().optional(),
  pages: CursorPages.optional(),
});

export const DeletedConversation = z.looseObject({ id: IntercomId, deleted_at: z.number().nullish() });

export const IntercomErrorBody = z.looseObject({
  type: z.literal('error.list'),
  request_id: z.string().nullish(),
  errors: z.array(z.looseObject({ code: z.string(), message: z.string().nullish() })),
});

export type Author = z.infer<typeof Author>;
export type PartAttachment = z.infer<typeof PartAttachment>;
export type ConversationPart = z.infer<typeof ConversationPart>;
export type ConversationSource = z.infer<typeof ConversationSource>;
export type Conversation = z.infer<typeof Conversation>;
export type ConversationListItem = z.infer<typeof ConversationListItem>;
export type Contact = z.infer<typeof Contact>;
export type Company = z.infer<typeof Company>;
export type Tag = z.infer<typeof Tag>;
export type Team = z.infer<typeof Team>;
export type Admin = z.infer<typeof Admin>;
export type Macro = z.infer<typeof Macro>;
export type DataAttribute = z.infer<typeof DataAttribute>;
export type Collection = z.infer<typeof Collection>;
export type Article = z.infer<typeof Article>;

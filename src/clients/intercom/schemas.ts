/**
 * Zod schemas of the Intercom API 2.16 payloads this project reads. They are deliberately loose
 * (unknown fields pass through and are kept in the export) because Intercom adds fields and part
 * types without notice; only the fields the migration relies on are typed and checked.
 * Shared by the HTTP client, the Intercom sandbox and the mapping functions.
 *
 * Every answer the API description (2.16) allows is accepted: its response schemas require no field
 * at all, and mark many nullable. Where the mapping needs a value the description lets Intercom leave
 * out, the schema fills in a stated one, so that every consumer of the export sees the same:
 * - a missing type, part type or role is '' (an unknown kind: the mapping's catch-all rules apply);
 * - a missing author (a Twitter part's is blank) is `{ type: '' }`, a missing `source` an opening
 *   message without id, author or body;
 * - a missing created_at / updated_at is taken from the nearest time the object has (see
 *   `conversationTimes`), a missing name is '' (the mapping names the object by its id);
 * - null lists and page objects are empty lists and no next page; attachments without a url (nothing
 *   to copy) are left out; an `admin_assignee_id` or `team_assignee_id` of 0 is null (unassigned).
 * Only identity is required: an object without `id` cannot be fetched, deduplicated or referred to,
 * and is refused as before (a conversation is set aside; test/spec-shapes.test.ts proves the rest).
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

/** A string the description lets Intercom leave out or null, read as '' (an unknown kind). */
const OptionalKind = z
  .string()
  .nullish()
  .transform((value) => value ?? '');

export const Author = z.looseObject({
  /** admin | bot | user | lead | contact | team; open-ended; '' when blank (Twitter). */
  type: OptionalKind,
  id: IntercomId.nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});
export type Author = z.infer<typeof Author>;

/** conversation_part_author: "For Twitter, this will be blank": absent, null or without a type. */
const BlankableAuthor = Author.nullish().transform((author): Author => author ?? { type: '' });

const PartAttachmentFields = {
  type: z.string().nullish(),
  name: z.string().nullish(),
  content_type: z.string().nullish(),
  filesize: z.number().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
};
export const PartAttachment = z.looseObject({ ...PartAttachmentFields, url: z.string() });
export type PartAttachment = z.infer<typeof PartAttachment>;

/** part_attachment requires nothing: one without a url points at nothing to copy and is left out. */
export const PartAttachments = z
  .array(z.looseObject({ ...PartAttachmentFields, url: z.string().nullish() }))
  .nullish()
  .transform((list) =>
    (list ?? []).filter((attachment): attachment is PartAttachment => typeof attachment.url === 'string'),
  );

/** admin_assignee_id / team_assignee_id: integers where 0 means nobody. */
const AssigneeId = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) =>
    value === null || value === undefined || String(value) === '0' ? null : String(value),
  );

const ConversationPartFields = {
  type: z.string().nullish(),
  id: IntercomId,
  /** comment | note | assignment | open | close | snoozed | ...; open-ended, unknown ones are kept. */
  part_type: OptionalKind,
  body: z.string().nullish(),
  updated_at: z.number().nullish(),
  author: BlankableAuthor,
  assigned_to: z.looseObject({ type: OptionalKind, id: IntercomId.nullish() }).nullish(),
  attachments: PartAttachments,
  external_id: z.string().nullish(),
  redacted: z.boolean().nullish(),
};

/** A part as it is exported: created_at is always there (see conversationTimes). */
export const ConversationPart = z.looseObject({ ...ConversationPartFields, created_at: z.number() });
/** A part as the description allows it: created_at may be missing too. */
const WireConversationPart = z.looseObject({ ...ConversationPartFields, created_at: z.number().nullish() });

export const ConversationSource = z.looseObject({
  type: z.string().nullish(),
  /** Nullable in the description: the opening message then has a source id built from the conversation's. */
  id: IntercomId.nullish(),
  delivered_as: z.string().nullish(),
  subject: z.string().nullish(),
  body: z.string().nullish(),
  author: BlankableAuthor,
  attachments: PartAttachments,
  url: z.string().nullish(),
  redacted: z.boolean().nullish(),
});

/** A tag on a conversation: a tag without a name gives no label. */
export const TagRef = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId.nullish(),
  name: z
    .string()
    .nullish()
    .transform((name) => name ?? ''),
});

export const ConversationRating = z.looseObject({
  rating: z.number().nullish(),
  remark: z.string().nullish(),
  /** When the rating was requested; `updated_at` is when it was given. */
  created_at: z.number().nullish(),
  updated_at: z.number().nullish(),
});

/** An opening message the description lets Intercom leave out: no id, author, body or attachments. */
const MISSING_SOURCE = (): z.infer<typeof ConversationSource> => ({
  id: null,
  author: { type: '' },
  attachments: [],
});

const ContactRef = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId.nullish(),
  external_id: z.string().nullish(),
});
type WithId<T> = T & { id: string };

const ConversationFields = {
  type: z.string().nullish(),
  id: IntercomId,
  title: z.string().nullish(),
  waiting_since: z.number().nullish(),
  snoozed_until: z.number().nullish(),
  open: z.boolean().nullish(),
  priority: z.string().nullish(),
  admin_assignee_id: AssigneeId,
  team_assignee_id: AssigneeId,
  tags: z
    .looseObject({
      tags: z
        .array(TagRef)
        .nullish()
        .transform((tags) => tags ?? []),
    })
    .nullish(),
  conversation_rating: ConversationRating.nullish(),
  source: ConversationSource.nullish().transform((source) => source ?? MISSING_SOURCE()),
  /** A contact reference without an id refers to nobody: left out. */
  contacts: z
    .looseObject({
      contacts: z
        .array(ContactRef)
        .nullish()
        .transform((contacts) =>
          (contacts ?? []).filter((c): c is WithId<typeof c> => typeof c.id === 'string' && c.id !== ''),
        ),
    })
    .nullish(),
  custom_attributes: z.record(z.string(), z.unknown()).nullish(),
  statistics: z.looseObject({ count_conversation_parts: z.number().nullish() }).nullish(),
  /** open | closed | snoozed; read from `open` when missing. */
  state: z.string().nullish(),
  created_at: z.number().nullish(),
  updated_at: z.number().nullish(),
};

const ConversationPartList = z.looseObject({
  type: z.string().nullish(),
  conversation_parts: z
    .array(WireConversationPart)
    .nullish()
    .transform((parts) => parts ?? []),
  total_count: z.number().nullish(),
});

/** The shape consumers read (the transform below fills it in); never parsed with. */
const TimedFields = {
  state: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  admin_assignee_id: z.string().nullish(),
  team_assignee_id: z.string().nullish(),
};
const TimedListItem = z.looseObject({ ...ConversationFields, ...TimedFields });
const TimedConversation = z.looseObject({
  ...ConversationFields,
  ...TimedFields,
  conversation_parts: z
    .looseObject({
      type: z.string().nullish(),
      conversation_parts: z.array(ConversationPart),
      total_count: z.number().nullish(),
    })
    .nullish(),
});

type WireTimes = {
  created_at?: number | null;
  updated_at?: number | null;
  state?: string | null;
  open?: boolean | null;
  conversation_parts?: { conversation_parts: { created_at?: number | null }[] } | null;
};

/**
 * The times the description lets Intercom leave out, filled from the nearest ones the conversation
 * has, so that the same answer always gives the same times: the conversation's created_at from its
 * updated_at, else its first timed part's, else 0 (unknown); updated_at from created_at; a part's
 * created_at from the part listed before it, else the conversation's. A missing state is read from
 * `open` (false: closed).
 */
function conversationTimes(conversation: WireTimes): WireTimes & z.infer<z.ZodObject<typeof TimedFields>> {
  const parts = conversation.conversation_parts?.conversation_parts ?? [];
  const firstPartAt = parts.find((part) => typeof part.created_at === 'number')?.created_at;
  const createdAt = conversation.created_at ?? conversation.updated_at ?? firstPartAt ?? 0;
  const timed = {
    ...conversation,
    created_at: createdAt,
    updated_at: conversation.updated_at ?? createdAt,
    state: conversation.state ?? (conversation.open === false ? 'closed' : 'open'),
  };
  if (!conversation.conversation_parts) return timed;
  let previous = createdAt;
  const timedParts = parts.map((part) => {
    previous = part.created_at ?? previous;
    return { ...part, created_at: previous };
  });
  return {
    ...timed,
    conversation_parts: { ...conversation.conversation_parts, conversation_parts: timedParts },
  };
}

/** GET /conversations/{id}: the conversation with its opening message and up to 500 parts. */
export const Conversation = z
  .looseObject({ ...ConversationFields, conversation_parts: ConversationPartList.nullish() })
  .transform((conversation) => conversationTimes(conversation) as z.infer<typeof TimedConversation>);

/** An item of GET /conversations: the list carries no parts. */
export const ConversationListItem = z
  .looseObject(ConversationFields)
  .transform((item) => conversationTimes(item) as z.infer<typeof TimedListItem>);

export const ConversationList = z.looseObject({
  type: z.string().nullish(),
  conversations: z
    .array(ConversationListItem)
    .nullish()
    .transform((list) => list ?? []),
  total_count: z.number().nullish(),
  pages: CursorPages.nullish(),
});

/** A list the description lets Intercom leave out or null, read as empty. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((list): z.output<T>[] => list ?? []);

/** A list whose items the description marks nullable (admins, macros): a null item holds nothing. */
const listOfNullable = <T extends z.ZodType>(item: T) =>
  z
    .array(item.nullable())
    .nullish()
    .transform((list) => (list ?? []).filter((entry): entry is NonNullable<z.output<T>> => entry != null));

export const Contact = z
  .looseObject({
    type: z.string().nullish(),
    id: IntercomId,
    external_id: z.string().nullish(),
    /** user | lead; '' when missing. */
    role: OptionalKind,
    email: z.string().nullish(),
    phone: z.string().nullish(),
    name: z.string().nullish(),
    avatar: z.union([z.string(), z.looseObject({ image_url: z.string().nullish() })]).nullish(),
    created_at: z.number().nullish(),
    updated_at: z.number().nullish(),
    custom_attributes: z.record(z.string(), z.unknown()).nullish(),
    location: z
      .looseObject({
        country: z.string().nullish(),
        region: z.string().nullish(),
        city: z.string().nullish(),
      })
      .nullish(),
    /** A company reference without an id refers to nothing: left out. */
    companies: z
      .looseObject({
        data: z
          .array(z.looseObject({ id: IntercomId.nullish() }))
          .nullish()
          .transform((list) =>
            (list ?? []).filter((company): company is typeof company & { id: string } => Boolean(company.id)),
          ),
      })
      .nullish(),
  })
  // Missing times: each from the other, else 0 (unknown, and oldest for the merge plan).
  .transform((contact) =>
    Object.assign(contact, {
      created_at: contact.created_at ?? contact.updated_at ?? 0,
      updated_at: contact.updated_at ?? contact.created_at ?? 0,
    }),
  );

export const ContactList = z.looseObject({
  type: z.string().nullish(),
  data: listOf(Contact),
  total_count: z.number().nullish(),
  pages: CursorPages.nullish(),
});

export const Company = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId,
  company_id: z.string().nullish(),
  name: z.string().nullish(),
  created_at: z.number().nullish(),
  updated_at: z.number().nullish(),
  custom_attributes: z.record(z.string(), z.unknown()).nullish(),
});

/** company_scroll is itself nullable: a null answer holds no more companies. */
export const CompanyScroll = z
  .looseObject({
    type: z.string().nullish(),
    data: listOf(Company),
    total_count: z.number().nullish(),
    scroll_param: z.string().nullish(),
  })
  .nullable()
  .transform((scroll) => scroll ?? { data: [] as Company[], scroll_param: null });

/** A missing name is ''; the mapping names such an object by its id. */
const OptionalName = z
  .string()
  .nullish()
  .transform((name) => name ?? '');

export const Tag = z.looseObject({ type: z.string().nullish(), id: IntercomId, name: OptionalName });
export const TagList = z.looseObject({ type: z.string().nullish(), data: listOf(Tag) });

export const Team = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId,
  name: OptionalName,
  admin_ids: listOf(IntercomId),
});
export const TeamList = z.looseObject({ type: z.string().nullish(), teams: listOf(Team) });

export const Admin = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId,
  name: z.string().nullish(),
  email: z.string().nullish(),
  team_ids: listOf(IntercomId),
});
export const AdminList = z.looseObject({ type: z.string().nullish(), admins: listOfNullable(Admin) });

export const Macro = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId,
  name: OptionalName,
  body: z.string().nullish(),
  body_text: z.string().nullish(),
  /** Macros carry ISO-8601 timestamps, unlike every other object. */
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export const MacroList = z.looseObject({
  type: z.string().nullish(),
  data: listOfNullable(Macro),
  pages: CursorPages.nullish(),
});

export const DataAttribute = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId.nullish(),
  model: z.string().nullish(),
  /** The key contacts' custom_attributes use: a definition without one defines nothing. */
  name: OptionalName,
  full_name: z.string().nullish(),
  label: z.string().nullish(),
  description: z.string().nullish(),
  data_type: OptionalKind,
  options: z.array(z.string()).nullish(),
  custom: z.boolean().nullish(),
  archived: z.boolean().nullish(),
});
export const DataAttributeList = z.looseObject({ type: z.string().nullish(), data: listOf(DataAttribute) });

/** translated_content: per locale, the texts the object may lack at the top level. */
const TranslatedContent = z.record(z.string(), z.unknown()).nullish();
function translated(
  content: z.infer<typeof TranslatedContent>,
  locale: string | null | undefined,
  field: string,
) {
  const entry = content?.[locale || 'en'];
  const value = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export const Collection = z
  .looseObject({
    id: IntercomId,
    name: z.string().nullish(),
    description: z.string().nullish(),
    parent_id: IntercomId.nullish(),
    default_locale: z.string().nullish(),
    order: z.number().nullish(),
    translated_content: TranslatedContent,
  })
  // The description's collection has no top-level description, and its name is optional: both are
  // read from the default locale's translated content when missing.
  .transform((collection) =>
    Object.assign(collection, {
      name:
        collection.name ?? translated(collection.translated_content, collection.default_locale, 'name') ?? '',
      description:
        collection.description ??
        translated(collection.translated_content, collection.default_locale, 'description') ??
        null,
    }),
  );
export const CollectionList = z.looseObject({
  type: z.string().nullish(),
  data: listOf(Collection),
  total_count: z.number().nullish(),
  pages: CursorPages.nullish(),
});

const ArticleFields = {
  type: z.string().nullish(),
  id: IntercomId,
  /** article_list_item has no title: it is read from the default locale's translated content. */
  title: z.string().nullish(),
  translated_content: TranslatedContent,
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
};
export const Article = z.looseObject(ArticleFields).transform((article) =>
  Object.assign(article, {
    title: article.title ?? translated(article.translated_content, article.default_locale, 'title') ?? '',
    description:
      article.description ??
      translated(article.translated_content, article.default_locale, 'description') ??
      null,
  }),
);
export const ArticleList = z.looseObject({
  type: z.string().nullish(),
  data: listOf(Article),
  total_count: z.number().nullish(),
  pages: CursorPages.nullish(),
});

export const DeletedConversation = z.looseObject({ id: IntercomId, deleted_at: z.number().nullish() });

export const IntercomErrorBody = z.looseObject({
  type: z.literal('error.list'),
  request_id: z.string().nullish(),
  errors: z.array(z.looseObject({ code: z.string(), message: z.string().nullish() })),
});

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

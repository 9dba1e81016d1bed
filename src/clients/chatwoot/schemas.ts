/**
 * Zod schemas of the Chatwoot 4.10 application-API payloads this project reads, taken from the
 * swagger and, where the swagger disagrees with what Chatwoot renders, from its jbuilder views.
 * Loose like the Intercom ones: unknown fields pass through; only what the migration relies on is
 * typed. Where the swagger and the server disagree on an envelope (a `payload` wrapper, a `data`
 * wrapper), both are accepted and normalised, so the client works against either.
 * Shared by the HTTP client and the Chatwoot sandbox.
 */
import { z } from 'zod';

const Id = z.number().int();
const Attributes = z.record(z.string(), z.unknown());

/** Accepts `{ payload: X }` as well as a bare `X`, and answers X (issue paths are those inside X). */
function payloadOrBare<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (isPlainObject(value) && 'payload' in value ? value.payload : value), item);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const AccountMembership = z.looseObject({
  id: Id,
  name: z.string().nullish(),
  /** administrator | agent */
  role: z.string().nullish(),
});

/** GET /api/v1/profile: the user who owns the token. */
export const Profile = z.looseObject({
  id: Id,
  name: z.string().nullish(),
  email: z.string().nullish(),
  role: z.string().nullish(),
  accounts: z.array(AccountMembership).default([]),
});

export const Inbox = z.looseObject({
  id: Id,
  name: z.string(),
  /** e.g. "Channel::Api" */
  channel_type: z.string().nullish(),
  channel_id: z.number().nullish(),
  enable_auto_assignment: z.boolean().nullish(),
  csat_survey_enabled: z.boolean().nullish(),
  greeting_enabled: z.boolean().nullish(),
  /** An API channel's own webhook: every conversation and message event is posted there. */
  webhook_url: z.string().nullish(),
});
export const InboxList = z.looseObject({ payload: z.array(Inbox) });

/** attribute_model 0 = conversation_attribute, 1 = contact_attribute on the wire in; names come back. */
export const CustomAttributeDefinition = z.looseObject({
  id: Id,
  attribute_key: z.string(),
  attribute_display_name: z.string().nullish(),
  attribute_display_type: z.union([z.string(), z.number()]).nullish(),
  attribute_model: z.union([z.string(), z.number()]).nullish(),
  attribute_description: z.string().nullish(),
  attribute_values: z.unknown().optional(),
});
export const CustomAttributeDefinitionList = z.array(CustomAttributeDefinition);

export const ContactInbox = z.looseObject({
  source_id: z.string().nullish(),
  inbox: z.looseObject({ id: Id }).nullish(),
});

export const Contact = z.looseObject({
  id: Id,
  name: z.string().nullish(),
  email: z.string().nullish(),
  phone_number: z.string().nullish(),
  identifier: z.string().nullish(),
  custom_attributes: Attributes.nullish(),
  additional_attributes: Attributes.nullish(),
  contact_inboxes: z.array(ContactInbox).nullish(),
  created_at: z.number().nullish(),
});

/** GET /contacts and POST /contacts/filter: 15 a page. */
export const ContactPage = z.looseObject({
  meta: z
    .looseObject({ count: z.number().nullish(), current_page: z.union([z.string(), z.number()]).nullish() })
    .nullish(),
  payload: z.array(Contact),
});

/** GET /contacts/search: 15 a page, and `has_more` where the controller renders it. */
export const CONTACTS_PER_PAGE = 15;
export const ContactSearchPage = z.looseObject({
  meta: z.looseObject({ has_more: z.boolean().nullish() }).nullish(),
  payload: z.array(Contact),
});

/** POST /contacts renders `{ payload: { contact, contact_inbox } }` (the contact id is payload.contact.id). */
export const ContactCreated = z.looseObject({
  payload: z.looseObject({
    contact: Contact,
    contact_inbox: z.looseObject({ source_id: z.string().nullish() }).nullish(),
  }),
});

/** PUT /contacts/{id} renders `{ payload: contact }`. */
export const ContactUpdated = payloadOrBare(Contact);

const MESSAGE_TYPE_NAMES = ['incoming', 'outgoing', 'activity', 'template'] as const;
export type MessageTypeName = (typeof MESSAGE_TYPE_NAMES)[number];

/** Chatwoot renders message_type as its enum integer (0 incoming, 1 outgoing, 2 activity, 3 template). */
export const MessageType = z
  .union([z.number().int(), z.string()])
  .transform((value): MessageTypeName | string =>
    typeof value === 'number' ? (MESSAGE_TYPE_NAMES[value] ?? String(value)) : value,
  );

export const MessageAttachment = z.looseObject({
  id: Id.nullish(),
  file_type: z.string().nullish(),
  data_url: z.string().nullish(),
  file_size: z.number().nullish(),
  extension: z.string().nullish(),
});

export const Message = z.looseObject({
  id: Id,
  content: z.string().nullish(),
  message_type: MessageType,
  private: z.boolean().nullish(),
  /** Stored, not unique: the project puts the Intercom part id here. */
  source_id: z.string().nullish(),
  created_at: z.number(),
  content_attributes: Attributes.nullish(),
  attachments: z.array(MessageAttachment).nullish(),
  conversation_id: z.number().nullish(),
  sender_type: z.string().nullish(),
  sender: z.looseObject({ id: Id.nullish(), type: z.string().nullish() }).nullish(),
});

/** GET /conversations/{id}/messages?after=: up to 100, oldest first. */
export const MessageList = z.looseObject({ payload: z.array(Message) });

export const Conversation = z.looseObject({
  /** The per-account display id that every conversation route takes. */
  id: Id,
  inbox_id: Id.nullish(),
  /** open | resolved | pending | snoozed */
  status: z.string().nullish(),
  custom_attributes: Attributes.nullish(),
  additional_attributes: Attributes.nullish(),
  labels: z.array(z.string()).nullish(),
  created_at: z.number().nullish(),
  snoozed_until: z.union([z.number(), z.string()]).nullish(),
  meta: z
    .looseObject({
      sender: z.looseObject({ id: Id }).nullish(),
      assignee: z.looseObject({ id: Id }).nullish(),
      team: z.looseObject({ id: Id }).nullish(),
    })
    .nullish(),
});

const ConversationCounts = z.looseObject({ all_count: z.number().nullish() });
const ConversationPageBody = z.looseObject({
  meta: ConversationCounts.nullish(),
  payload: z.array(Conversation),
});

/**
 * GET /conversations renders `{ data: { meta, payload } }`; POST /conversations/filter renders
 * `{ meta, payload }` in current Chatwoot although the swagger gives it the `data` wrapper too.
 */
export const ConversationPage = z.preprocess(
  (value) => (isPlainObject(value) && isPlainObject(value.data) ? value.data : value),
  ConversationPageBody,
);

export const ToggleStatusResult = z.looseObject({
  payload: z.looseObject({
    success: z.boolean().nullish(),
    current_status: z.string().nullish(),
    conversation_id: z.number().nullish(),
  }),
});

export const ConversationLabels = z.looseObject({ payload: z.array(z.string()) });

export const Agent = z.looseObject({
  id: Id,
  name: z.string().nullish(),
  available_name: z.string().nullish(),
  email: z.string().nullish(),
  role: z.string().nullish(),
  confirmed: z.boolean().nullish(),
});
export const AgentList = z.array(Agent);
/** The inbox_members answers (create, show): `payload` with the members as agents. */
export const InboxMembers = z.looseObject({ payload: AgentList });

/** GET /automation_rules: `{ payload: [rule] }` (automation_rules/index.json.jbuilder). */
export const AutomationRule = z.looseObject({
  id: Id,
  name: z.string().nullish(),
  event_name: z.string().nullish(),
  active: z.boolean().nullish(),
});
export type AutomationRule = z.infer<typeof AutomationRule>;
export const AutomationRuleList = z.looseObject({ payload: z.array(AutomationRule) });

/** GET /webhooks: `{ payload: { webhooks: [webhook] } }` (webhooks/index.json.jbuilder). */
export const Webhook = z.looseObject({
  id: Id,
  url: z.string().nullish(),
  subscriptions: z.array(z.string()).nullish(),
  inbox: z.looseObject({ id: Id }).nullish(),
});
export type Webhook = z.infer<typeof Webhook>;
export const WebhookList = z.looseObject({ payload: z.looseObject({ webhooks: z.array(Webhook) }) });

export const Team = z.looseObject({
  id: Id,
  name: z.string(),
  description: z.string().nullish(),
  allow_auto_assign: z.boolean().nullish(),
});
export const TeamList = z.array(Team);

/** POST /conversations/{id}/assignments renders the agent, the team, or null. */
export const AssignmentResult = z.looseObject({ id: Id }).nullable();

export const Label = z.looseObject({
  id: Id,
  title: z.string(),
  description: z.string().nullish(),
  color: z.string().nullish(),
  show_on_sidebar: z.boolean().nullish(),
});
export const LabelList = z.looseObject({ payload: z.array(Label) });
export const LabelCreated = payloadOrBare(Label);

export const CannedResponse = z.looseObject({
  id: Id,
  short_code: z.string(),
  content: z.string().nullish(),
});
export const CannedResponseList = z.array(CannedResponse);

export const Portal = z.looseObject({
  id: Id,
  name: z.string(),
  slug: z.string(),
  custom_domain: z.string().nullish(),
  archived: z.boolean().nullish(),
  config: z.looseObject({}).nullish(),
});
export const PortalList = z.looseObject({ payload: z.array(Portal) });
/** The swagger says `{ payload: [portal] }`; Chatwoot renders the portal itself. */
export const PortalCreated = z.preprocess((value) => {
  const inner = isPlainObject(value) && 'payload' in value ? value.payload : value;
  return Array.isArray(inner) && inner.length === 1 ? inner[0] : inner;
}, Portal);

export const Category = z.looseObject({
  id: Id,
  name: z.string(),
  slug: z.string().nullish(),
  locale: z.string().nullish(),
  description: z.string().nullish(),
  position: z.number().nullish(),
  parent_category_id: Id.nullish(),
});
export const CategoryList = z.looseObject({ payload: z.array(Category) });
export const CategoryCreated = payloadOrBare(Category);

export const Article = z.looseObject({
  id: Id,
  title: z.string(),
  slug: z.string().nullish(),
  content: z.string().nullish(),
  description: z.string().nullish(),
  /** draft | published | archived (or their enum integers) */
  status: z.union([z.string(), z.number()]).nullish(),
  category_id: Id.nullish(),
  author_id: Id.nullish(),
});
export const ArticlePage = z.looseObject({
  payload: z.array(Article),
  meta: z
    .looseObject({ articles_count: z.number().nullish(), current_page: z.unknown().optional() })
    .nullish(),
});
export const ArticleCreated = payloadOrBare(Article);

/** GET /csat_survey_responses/metrics: ratings_count maps a rating ("1".."5") to how many gave it. */
export const CsatMetrics = z.looseObject({
  total_count: z.number(),
  ratings_count: z.record(z.string(), z.number()),
  total_sent_messages_count: z.number().nullish(),
});

export type Profile = z.infer<typeof Profile>;
export type Inbox = z.infer<typeof Inbox>;
export type CustomAttributeDefinition = z.infer<typeof CustomAttributeDefinition>;
export type Contact = z.infer<typeof Contact>;
export type Message = z.infer<typeof Message>;
export type Conversation = z.infer<typeof Conversation>;
export type ToggleStatusResult = z.infer<typeof ToggleStatusResult>;
export type Agent = z.infer<typeof Agent>;
export type Team = z.infer<typeof Team>;
export type Label = z.infer<typeof Label>;
export type CannedResponse = z.infer<typeof CannedResponse>;
export type Portal = z.infer<typeof Portal>;
export type Category = z.infer<typeof Category>;
export type Article = z.infer<typeof Article>;
export type CsatMetrics = z.infer<typeof CsatMetrics>;

/**
 * The records of the in-memory Chatwoot 4.10 model, one interface a table, and the enums their
 * columns take. Ids follow Chatwoot: database ids are global across accounts, conversation routes use
 * the per-account `display_id`, which starts at 1 in every account.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const MESSAGE_TYPES = ['incoming', 'outgoing', 'activity', 'template'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const CONVERSATION_STATUSES = ['open', 'resolved', 'pending', 'snoozed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
export const MESSAGE_CONTENT_TYPES = [
  'text',
  'input_text',
  'input_textarea',
  'input_email',
  'input_select',
  'cards',
  'form',
  'article',
  'incoming_email',
  'input_csat',
  'integrations',
  'sticker',
] as const;
export type MessageContentType = (typeof MESSAGE_CONTENT_TYPES)[number];
export const ATTRIBUTE_MODELS = ['conversation_attribute', 'contact_attribute'] as const;
export type AttributeModel = (typeof ATTRIBUTE_MODELS)[number];
export const ATTRIBUTE_DISPLAY_TYPES = [
  'text',
  'number',
  'currency',
  'percent',
  'link',
  'date',
  'list',
  'checkbox',
] as const;
export type AttributeDisplayType = (typeof ATTRIBUTE_DISPLAY_TYPES)[number];
export const ARTICLE_STATUSES = ['draft', 'published', 'archived'] as const;
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];
export const CHANNEL_TYPES = {
  api: 'Channel::Api',
  web_widget: 'Channel::WebWidget',
  email: 'Channel::Email',
} as const;
export type ChannelKind = keyof typeof CHANNEL_TYPES;
export type ChannelType = (typeof CHANNEL_TYPES)[ChannelKind];
export type UserRole = 'administrator' | 'agent';

export interface UserRecord {
  id: number;
  name: string;
  displayName: string | null;
  email: string;
  accessToken: string;
  createdAt: number;
}

export interface InboxRecord {
  id: number;
  accountId: number;
  channelId: number;
  name: string;
  channelType: ChannelType;
  webhookUrl: string | null;
  inboxIdentifier: string;
  hmacToken: string;
  /** Channel::WebWidget#hmac_mandatory: setUser must carry a valid identifier_hash (widget.ts). */
  hmacMandatory: boolean;
  websiteUrl: string | null;
  widgetColor: string | null;
  welcomeTitle: string | null;
  welcomeTagline: string | null;
  enableAutoAssignment: boolean;
  csatSurveyEnabled: boolean;
  greetingEnabled: boolean;
  greetingMessage: string | null;
  enableEmailCollect: boolean;
  allowMessagesAfterResolved: boolean;
  lockToSingleConversation: boolean;
  workingHoursEnabled: boolean;
  outOfOfficeMessage: string | null;
  timezone: string;
  senderNameType: 'friendly' | 'professional';
  businessName: string | null;
  /** Inbox members (inbox_members.user_id): the agents who may see and act on its conversations. */
  memberIds: number[];
  createdAt: number;
}

export interface ContactRecord {
  id: number;
  accountId: number;
  name: string;
  email: string | null;
  phoneNumber: string | null;
  identifier: string | null;
  additionalAttributes: JsonObject;
  customAttributes: JsonObject;
  blocked: boolean;
  lastActivityAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** Its label_list (acts-as-taggable, contactNotes.ts); absent until labels are first set. */
  labels?: string[];
}

/** notes (note.rb): a contact's notes, written by an agent (contactNotes.ts). */
export interface NoteRecord {
  id: number;
  accountId: number;
  contactId: number;
  userId: number;
  content: string;
  createdAt: number;
  updatedAt: number;
}

export interface ContactInboxRecord {
  id: number;
  contactId: number;
  inboxId: number;
  sourceId: string;
  hmacVerified: boolean;
  createdAt: number;
}

export interface AttachmentRecord {
  id: number;
  messageId: number;
  accountId: number;
  fileName: string;
  contentType: string;
  fileType: 'image' | 'audio' | 'video' | 'file';
  size: number;
  sha256: string;
}

export interface MessageRecord {
  id: number;
  accountId: number;
  inboxId: number;
  conversationId: number;
  content: string | null;
  messageType: MessageType;
  contentType: MessageContentType;
  contentAttributes: JsonObject;
  additionalAttributes: JsonObject;
  private: boolean;
  sourceId: string | null;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  sender: { type: 'User' | 'Contact' | 'AgentBot'; id: number } | null;
  createdAt: number;
  updatedAt: number;
  attachments: AttachmentRecord[];
}

export interface ConversationRecord {
  id: number;
  displayId: number;
  accountId: number;
  inboxId: number;
  contactId: number;
  contactInboxId: number;
  uuid: string;
  status: ConversationStatus;
  assigneeId: number | null;
  teamId: number | null;
  labels: string[];
  customAttributes: JsonObject;
  additionalAttributes: JsonObject;
  snoozedUntil: number | null;
  priority: string | null;
  firstReplyCreatedAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  messages: MessageRecord[];
}

export interface LabelRecord {
  id: number;
  title: string;
  description: string | null;
  color: string;
  showOnSidebar: boolean;
  createdAt: number;
}

export interface TeamRecord {
  id: number;
  accountId: number;
  name: string;
  description: string | null;
  allowAutoAssign: boolean;
  memberIds: number[];
  createdAt: number;
}

export interface CustomAttributeDefinitionRecord {
  id: number;
  attributeDisplayName: string;
  attributeDisplayType: AttributeDisplayType;
  attributeDescription: string | null;
  attributeKey: string;
  attributeValues: JsonValue[];
  attributeModel: AttributeModel;
  regexPattern: string | null;
  regexCue: string | null;
  defaultValue: JsonValue;
  createdAt: number;
  updatedAt: number;
}

export interface CannedResponseRecord {
  id: number;
  accountId: number;
  shortCode: string;
  content: string;
  createdAt: number;
  updatedAt: number;
}

export interface CategoryRecord {
  id: number;
  portalId: number;
  accountId: number;
  name: string;
  slug: string;
  locale: string;
  description: string | null;
  position: number | null;
  parentCategoryId: number | null;
  associatedCategoryId: number | null;
  createdAt: number;
}

export interface ArticleRecord {
  id: number;
  portalId: number;
  accountId: number;
  categoryId: number | null;
  authorId: number;
  title: string;
  slug: string;
  content: string | null;
  description: string | null;
  status: ArticleStatus;
  position: number | null;
  locale: string;
  meta: JsonObject;
  views: number;
  createdAt: number;
  updatedAt: number;
}

export interface PortalRecord {
  id: number;
  accountId: number;
  name: string;
  slug: string;
  color: string | null;
  customDomain: string | null;
  headerText: string | null;
  homepageLink: string | null;
  pageTitle: string | null;
  archived: boolean;
  config: JsonObject;
  createdAt: number;
  categories: CategoryRecord[];
  articles: ArticleRecord[];
}

export interface CsatResponseRecord {
  id: number;
  accountId: number;
  conversationId: number;
  conversationDisplayId: number;
  inboxId: number;
  teamId: number | null;
  contactId: number;
  assignedAgentId: number | null;
  messageId: number | null;
  rating: number;
  feedbackMessage: string | null;
  createdAt: number;
}

/** automation_rules (automation_rule.rb): `active` defaults to true; the listener reads active rules only. */
export interface AutomationRuleRecord {
  id: number;
  accountId: number;
  name: string;
  description: string | null;
  eventName: string;
  conditions: JsonValue[];
  actions: JsonValue[];
  active: boolean;
  createdAt: number;
}

/** webhooks (webhook.rb): account_type fires for every inbox, inbox_type for its inbox only. */
export interface WebhookRecord {
  id: number;
  accountId: number;
  inboxId: number | null;
  name: string | null;
  url: string;
  subscriptions: string[];
  webhookType: 'account_type' | 'inbox_type';
  createdAt: number;
}

/**
 * agent_bots (app/models/agent_bot.rb): an account's bot, or a system bot (account_id nil) every
 * account sees. Ids are global. AccessTokenable gives each an access token on create.
 */
export interface AgentBotRecord {
  id: number;
  accountId: number | null;
  name: string | null;
  description: string | null;
  outgoingUrl: string | null;
  botType: 'webhook';
  botConfig: JsonObject;
  accessToken: string;
  createdAt: number;
}

/** A notification NotificationBuilder would create (and push or e-mail, per the user's settings). */
export interface NotificationRecord {
  id: number;
  accountId: number;
  userId: number;
  notificationType:
    | 'conversation_creation'
    | 'conversation_assignment'
    | 'assigned_conversation_new_message'
    | 'participating_conversation_new_message'
    | 'conversation_mention';
  conversationDisplayId: number;
  messageId: number | null;
  createdAt: number;
}

export interface AccountRecord {
  id: number;
  name: string;
  createdAt: number;
  /** Account users: user id -> role. */
  members: Map<number, UserRole>;
  /** Contact notes (contactNotes.ts); absent until the first one is written. */
  notes?: NoteRecord[];
  inboxes: InboxRecord[];
  contacts: ContactRecord[];
  contactInboxes: ContactInboxRecord[];
  conversations: ConversationRecord[];
  nextDisplayId: number;
  labels: LabelRecord[];
  teams: TeamRecord[];
  customAttributeDefinitions: CustomAttributeDefinitionRecord[];
  cannedResponses: CannedResponseRecord[];
  portals: PortalRecord[];
  csatResponses: CsatResponseRecord[];
  /** CSAT survey messages sent without an answer (seeded), counted in total_sent_messages_count. */
  csatSentWithoutResponse: Array<{ createdAt: number; inboxId: number | null }>;
  automationRules: AutomationRuleRecord[];
  webhooks: WebhookRecord[];
  /** What NotificationListener would have created: the sandbox's record of agents' alerts. */
  notifications: NotificationRecord[];
  /** Agents OnlineStatusTracker reports online: the only ones auto-assignment picks. */
  onlineUserIds: number[];
}

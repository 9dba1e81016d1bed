/**
 * In-memory model of a Chatwoot 4.10 installation: accounts, users, inboxes, contacts, conversations,
 * messages, labels, teams, custom attribute definitions, canned responses, help-center portals and
 * CSAT responses. The rules here are Chatwoot's own model validations and callbacks (contact.rb,
 * message.rb, conversation.rb, label.rb, team.rb, the message and conversation builders, the filter
 * services), because a migration rehearsed against a lenient fake fails on the real service.
 *
 * Ids follow Chatwoot: database ids are global across accounts, conversation routes use the
 * per-account `display_id`, which starts at 1 in every account.
 */
import { randomBytes, randomUUID } from 'node:crypto';

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

/** Chatwoot's limits, as enforced by the real models (and the brief's stricter ones, noted). */
export const CHATWOOT_LIMITS = {
  messageContentChars: 150_000,
  /** Help-center article bodies; stricter than Chatwoot, which has no explicit cap. */
  longTextChars: 20_000,
  /** Names, titles, keys; Chatwoot enforces it on contact names, the sandbox on all short strings. */
  shortStringChars: 255,
  attachmentsPerMessage: 15,
  attachmentBytes: 40 * 1024 * 1024,
  contactsPerPage: 15,
  conversationsPerPage: 25,
  messagesAfterPage: 100,
  messagesLatestPage: 20,
  csatPerPage: 25,
  articlesPerPage: 25,
} as const;

// Chatwoot's regular expressions (contact.rb, label.rb via RegexHelper, Devise.email_regexp, inbox.rb).
const E164 = /^\+[1-9]\d{1,14}$/;
const DEVISE_EMAIL = /^[^@\s]+@[^@\s]+$/;
const LABEL_TITLE = /^[\p{L}\p{N}_-]+$/u;
const INBOX_NAME_FORBIDDEN = /[/\\<>@]/;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Keys a custom attribute may not take (CustomAttributeDefinition::STANDARD_ATTRIBUTES). */
const STANDARD_ATTRIBUTE_KEYS: Record<AttributeModel, readonly string[]> = {
  conversation_attribute: [
    'status',
    'priority',
    'assignee_id',
    'inbox_id',
    'team_id',
    'display_id',
    'campaign_id',
    'labels',
    'browser_language',
    'country_code',
    'referer',
    'created_at',
    'last_activity_at',
  ],
  contact_attribute: [
    'name',
    'email',
    'phone_number',
    'identifier',
    'country_code',
    'city',
    'created_at',
    'last_activity_at',
    'referer',
    'blocked',
  ],
};

// ---------------------------------------------------------------------------------------------
// Errors: each maps to what Rails would render for the same failure.

/** A response decided by a controller: status and body as Chatwoot renders them. */
export class ChatwootApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(`${status} ${JSON.stringify(body)}`);
    this.name = 'ChatwootApiError';
  }
}

export interface FieldError {
  attribute: string;
  message: string;
}

/** ActiveRecord::RecordInvalid: rendered 422 {message, attributes} unless a controller rescues it. */
export class RecordInvalidError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`Validation failed: ${errors.map(fullMessage).join(', ')}`);
    this.name = 'RecordInvalidError';
  }

  get body(): JsonObject {
    return {
      message: this.errors.map(fullMessage).join(', '),
      attributes: [...new Set(this.errors.map((error) => error.attribute))],
    };
  }
}

/**
 * A Ruby StandardError (ArgumentError on a bad enum, the builders' own raises). Unrescued it is a
 * 500; the messages controller rescues it into 422 {error: message}.
 */
export class RubyStandardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RubyStandardError';
  }
}

/** ActiveRecord::RecordNotUnique: a unique index fired under a race; never rescued, so a 500. */
export class RecordNotUniqueError extends Error {
  constructor(index: string) {
    super(`PG::UniqueViolation: duplicate key value violates unique constraint "${index}"`);
    this.name = 'RecordNotUniqueError';
  }
}

export const notFound = (): ChatwootApiError =>
  new ChatwootApiError(404, { error: 'Resource could not be found' });
export const notAuthorizedForAction = (): ChatwootApiError =>
  new ChatwootApiError(401, { error: 'You are not authorized to do this action' });
const couldNotCreate = (message: string): ChatwootApiError => new ChatwootApiError(422, { error: message });

function humanize(attribute: string): string {
  const words = attribute.replace(/_id$/, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function fullMessage(error: FieldError): string {
  return error.attribute === 'base' ? error.message : `${humanize(error.attribute)} ${error.message}`;
}

class Validation {
  readonly errors: FieldError[] = [];

  add(attribute: string, message: string): void {
    this.errors.push({ attribute, message });
  }

  maxLength(attribute: string, value: string | null | undefined, max: number): void {
    if (value && [...value].length > max) this.add(attribute, `is too long (maximum is ${max} characters)`);
  }

  presence(attribute: string, value: unknown): void {
    if (isBlank(value)) this.add(attribute, "can't be blank");
  }

  check(): void {
    if (this.errors.length > 0) throw new RecordInvalidError(this.errors);
  }
}

// ---------------------------------------------------------------------------------------------
// Records.

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
  sender: { type: 'User' | 'Contact'; id: number } | null;
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

export interface AccountRecord {
  id: number;
  name: string;
  createdAt: number;
  /** Account users: user id -> role. */
  members: Map<number, UserRole>;
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
}

// ---------------------------------------------------------------------------------------------
// Seeds and the dump.

export interface SandboxUserSeed {
  id: number;
  name: string;
  email: string;
  role: UserRole;
  accessToken: string;
}

export interface SandboxInboxSeed {
  name: string;
  channelType?: ChannelKind;
}

export interface SandboxAccountSeed {
  id: number;
  name: string;
  users: SandboxUserSeed[];
  inboxes?: SandboxInboxSeed[];
}

export const DEFAULT_CHATWOOT_ACCOUNTS: readonly SandboxAccountSeed[] = [
  {
    id: 1,
    name: 'Sandbox Support',
    users: [
      {
        id: 1,
        name: 'Migration Bot',
        email: 'migration-bot@sandbox.test',
        role: 'administrator',
        accessToken: 'sandbox-admin-token',
      },
      {
        id: 2,
        name: 'Alice Agent',
        email: 'alice@sandbox.test',
        role: 'agent',
        accessToken: 'sandbox-alice-token',
      },
      {
        id: 3,
        name: 'Bob Agent',
        email: 'bob@sandbox.test',
        role: 'agent',
        accessToken: 'sandbox-bob-token',
      },
      {
        id: 4,
        name: 'Carol Agent',
        email: 'carol@sandbox.test',
        role: 'agent',
        accessToken: 'sandbox-carol-token',
      },
    ],
  },
];

export interface DumpAttachment {
  id: number;
  file_name: string;
  size: number;
  sha256: string;
  content_type: string;
  file_type: string;
}

export interface DumpMessage {
  id: number;
  content: string | null;
  message_type: MessageType;
  content_type: MessageContentType;
  private: boolean;
  source_id: string | null;
  sender: { type: 'user' | 'contact'; id: number } | null;
  /** Unix seconds, server time. */
  created_at: number;
  content_attributes: JsonObject;
  attachments: DumpAttachment[];
}

export interface DumpConversation {
  id: number;
  display_id: number;
  inbox_id: number;
  contact_id: number;
  contact_inbox_source_id: string;
  status: ConversationStatus;
  assignee_id: number | null;
  team_id: number | null;
  labels: string[];
  custom_attributes: JsonObject;
  additional_attributes: JsonObject;
  created_at: number;
  messages: DumpMessage[];
}

export interface DumpContact {
  id: number;
  name: string;
  email: string | null;
  phone_number: string | null;
  identifier: string | null;
  additional_attributes: JsonObject;
  custom_attributes: JsonObject;
  blocked: boolean;
  created_at: number;
  contact_inboxes: Array<{ inbox_id: number; source_id: string }>;
}

export interface DumpAccount {
  id: number;
  name: string;
  users: Array<{ id: number; name: string; email: string; role: UserRole }>;
  inboxes: Array<{
    id: number;
    name: string;
    channel_type: ChannelType;
    webhook_url: string | null;
    enable_auto_assignment: boolean;
    csat_survey_enabled: boolean;
    greeting_enabled: boolean;
  }>;
  contacts: DumpContact[];
  conversations: DumpConversation[];
  labels: Array<{
    id: number;
    title: string;
    description: string | null;
    color: string;
    show_on_sidebar: boolean;
  }>;
  teams: Array<{ id: number; name: string; description: string | null; member_ids: number[] }>;
  custom_attribute_definitions: Array<{
    id: number;
    attribute_key: string;
    attribute_display_name: string;
    attribute_display_type: AttributeDisplayType;
    attribute_model: AttributeModel;
    attribute_values: JsonValue[];
  }>;
  canned_responses: Array<{ id: number; short_code: string; content: string }>;
  portals: Array<{
    id: number;
    name: string;
    slug: string;
    categories: Array<{ id: number; name: string; slug: string; locale: string; description: string | null }>;
    articles: Array<{
      id: number;
      title: string;
      slug: string;
      content: string | null;
      description: string | null;
      status: ArticleStatus;
      category_id: number | null;
      author_id: number;
    }>;
  }>;
  csat_survey_responses: Array<{
    id: number;
    conversation_id: number;
    rating: number;
    feedback_message: string | null;
  }>;
}

export interface SandboxDump {
  accounts: DumpAccount[];
}

// ---------------------------------------------------------------------------------------------
// Parameter coercion: request params are whatever JSON, a form or a multipart body carried.

export type Params = Record<string, unknown>;

export function isBlank(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** A scalar param as Rails would see it in a string column (numbers become their text). */
export function stringParam(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** Integer params arrive as numbers (JSON) or strings (forms, query strings); Rails' to_i. */
export function integerParam(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*-?\d+/.test(value)) return Number.parseInt(value, 10);
  return null;
}

/** ActiveModel::Type::Boolean: blank is nil, a short list of strings is false, anything else true. */
export function booleanParam(value: unknown): boolean | null {
  if (value === undefined || value === null || value === '') return null;
  if (value === false || value === 0) return false;
  if (typeof value === 'string' && ['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF'].includes(value))
    return false;
  return true;
}

export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectParam(value: unknown): JsonObject | null {
  if (!isPlainObject(value)) return null;
  return toJsonValue(value) as JsonObject;
}

function has(params: Params, key: string): boolean {
  return Object.hasOwn(params, key);
}

function enumParam<T extends string>(allowed: readonly T[], value: unknown, attribute: string): T {
  const asIndex = typeof value === 'number' ? allowed[value] : undefined;
  if (asIndex !== undefined) return asIndex;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new RubyStandardError(`'${stringParam(value) ?? String(value)}' is not a valid ${attribute}`);
}

function fileTypeOf(contentType: string): AttachmentRecord['fileType'] {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'file';
}

function parameterize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
}

/** An upload as the multipart parser hands it over: the bytes are reduced to size and digest. */
export interface UploadedFile {
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return (
    isPlainObject(value) &&
    typeof value.fileName === 'string' &&
    typeof value.sha256 === 'string' &&
    typeof value.size === 'number'
  );
}

// ---------------------------------------------------------------------------------------------
// Filters (Contacts::FilterService, Conversations::FilterService).

interface FilterCondition {
  attribute_key: string;
  filter_operator: string;
  values: unknown[];
  query_operator: string | null;
}

const CONVERSATION_FILTER_KEYS: Record<string, { kind: 'standard' | 'additional'; operators: string[] }> = {
  status: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
  assignee_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  inbox_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  team_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  priority: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
  display_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  campaign_id: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  labels: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  browser_language: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  conversation_language: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  country_code: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  referer: { kind: 'additional', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  created_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  last_activity_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  mail_subject: {
    kind: 'additional',
    operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'],
  },
};

const CONTACT_FILTER_KEYS: Record<string, { kind: 'standard' | 'additional'; operators: string[] }> = {
  name: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  phone_number: {
    kind: 'standard',
    operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain', 'starts_with'],
  },
  email: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  identifier: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
  country_code: { kind: 'additional', operators: ['equal_to', 'not_equal_to'] },
  city: { kind: 'additional', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  company: { kind: 'additional', operators: ['equal_to', 'not_equal_to', 'contains', 'does_not_contain'] },
  labels: { kind: 'standard', operators: ['equal_to', 'not_equal_to', 'is_present', 'is_not_present'] },
  created_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  last_activity_at: { kind: 'standard', operators: ['is_greater_than', 'is_less_than', 'days_before'] },
  blocked: { kind: 'standard', operators: ['equal_to', 'not_equal_to'] },
};

type Matcher = (raw: JsonValue | undefined) => boolean;

function parseConditions(params: Params): FilterCondition[] {
  const payload = params.payload;
  if (!Array.isArray(payload)) {
    throw new ChatwootApiError(422, { error: 'param is missing or the value is empty: payload' });
  }
  return payload.map((entry) => {
    const item = isPlainObject(entry) ? entry : {};
    const values = item.values;
    return {
      attribute_key: stringParam(item.attribute_key) ?? '',
      filter_operator: stringParam(item.filter_operator) ?? '',
      values: Array.isArray(values) ? values : values === undefined || values === null ? [] : [values],
      query_operator: stringParam(item.query_operator),
    };
  });
}

function validateQueryOperators(conditions: FilterCondition[]): void {
  for (const condition of conditions) {
    if (condition.query_operator === null) continue;
    if (!['AND', 'OR'].includes(condition.query_operator.toUpperCase())) {
      throw couldNotCreate('Query operator must be either "AND" or "OR".');
    }
  }
  // The service concatenates "<condition> <query_operator>" for every condition, so an operator
  // on the last one leaves a dangling AND/OR in the SQL: PostgreSQL rejects it and Rails answers 500.
  const last = conditions.at(-1);
  if (last && last.query_operator !== null && last.query_operator.trim() !== '') {
    throw new RubyStandardError('PG::SyntaxError: syntax error at end of input');
  }
}

/** SQL precedence: AND binds tighter than OR. */
function combine(results: boolean[], conditions: FilterCondition[]): boolean {
  let anyGroup = false;
  let group = true;
  results.forEach((result, index) => {
    group = group && result;
    const operator = conditions[index]?.query_operator?.toUpperCase();
    if (operator === 'OR' || index === results.length - 1) {
      anyGroup = anyGroup || group;
      group = true;
    }
  });
  return anyGroup;
}

function textOf(raw: JsonValue | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') return raw;
  return JSON.stringify(raw);
}

function customAttributeMatcher(
  definition: CustomAttributeDefinitionRecord,
  condition: FilterCondition,
  now: number,
): Matcher {
  const dataType = (
    {
      text: 'text',
      link: 'text',
      list: 'text',
      number: 'numeric',
      currency: 'numeric',
      percent: 'numeric',
      date: 'date',
      checkbox: 'boolean',
    } as const
  )[definition.attributeDisplayType];
  const first = condition.values[0];
  const normalize = (value: string): string | number | boolean | null => {
    if (dataType === 'numeric') {
      const number = Number(value);
      return Number.isFinite(number) ? number : null;
    }
    if (dataType === 'date') {
      const time = Date.parse(value);
      return Number.isNaN(time) ? null : Math.floor(time / 86_400_000);
    }
    if (dataType === 'boolean') return booleanParam(value);
    return value.toLowerCase();
  };
  // The service lower-cases and keeps only the first value when it is a string (string_filter_values).
  const wanted =
    dataType === 'text' && typeof first === 'string'
      ? [first.toLowerCase()]
      : condition.values.map((value) => normalize(stringParam(value) ?? ''));
  const stored = (raw: JsonValue | undefined) => {
    const text = textOf(raw);
    return text === null ? null : normalize(text);
  };
  switch (condition.filter_operator) {
    case 'equal_to':
      return (raw) => {
        const value = stored(raw);
        return value !== null && wanted.includes(value);
      };
    case 'not_equal_to':
      return (raw) => {
        const value = stored(raw);
        return value === null || !wanted.includes(value);
      };
    case 'contains':
    case 'does_not_contain': {
      const needles = condition.values.map((value) => (stringParam(value) ?? '').trim().toLowerCase());
      const contains = (raw: JsonValue | undefined) => {
        const text = textOf(raw)?.toLowerCase();
        return text !== undefined && needles.some((needle) => text.includes(needle));
      };
      return condition.filter_operator === 'contains'
        ? contains
        : (raw) => textOf(raw) !== null && !contains(raw);
    }
    case 'is_present':
      return (raw) => raw !== undefined && raw !== null;
    case 'is_not_present':
      return (raw) => raw === undefined || raw === null;
    case 'is_greater_than':
    case 'is_less_than':
    case 'days_before': {
      const bound =
        condition.filter_operator === 'days_before'
          ? Math.floor(now / 86_400_000) - (integerParam(first) ?? 0)
          : normalize(stringParam(first) ?? '');
      const greater = condition.filter_operator === 'is_greater_than';
      return (raw) => {
        const value = stored(raw);
        if (value === null || bound === null) return false;
        return greater ? value > bound : value < bound;
      };
    }
    default:
      throw couldNotCreate(
        `Invalid operator. The allowed operators for ${condition.attribute_key} are [equal_to,not_equal_to,contains,does_not_contain,is_present,is_not_present,is_greater_than,is_less_than,days_before].`,
      );
  }
}

function scalarMatcher(condition: FilterCondition, caseInsensitive: boolean, firstOnly: boolean): Matcher {
  const fold = (value: string) => (caseInsensitive ? value.toLowerCase() : value);
  const values = (firstOnly ? condition.values.slice(0, 1) : condition.values).map((value) =>
    fold(stringParam(value) ?? ''),
  );
  const text = (raw: JsonValue | undefined) => {
    const value = textOf(raw);
    return value === null ? null : fold(value);
  };
  switch (condition.filter_operator) {
    case 'equal_to':
      return (raw) => {
        const value = text(raw);
        return value !== null && values.includes(value);
      };
    case 'not_equal_to':
      return (raw) => {
        const value = text(raw);
        return value !== null && !values.includes(value);
      };
    case 'contains':
    case 'starts_with':
      return (raw) => {
        const value = text(raw)?.toLowerCase();
        return (
          value !== undefined &&
          values.some((wanted) =>
            condition.filter_operator === 'contains'
              ? value.includes(wanted.trim().toLowerCase())
              : value.startsWith(wanted.toLowerCase()),
          )
        );
      };
    case 'does_not_contain':
      return (raw) => {
        const value = text(raw)?.toLowerCase();
        return value !== undefined && !values.some((wanted) => value.includes(wanted.trim().toLowerCase()));
      };
    case 'is_present':
      return (raw) => raw !== undefined && raw !== null && raw !== '';
    case 'is_not_present':
      return (raw) => raw === undefined || raw === null || raw === '';
    default:
      return () => false;
  }
}

function dateMatcher(condition: FilterCondition, now: number): (time: number | null) => boolean {
  const first = condition.values[0];
  const bound =
    condition.filter_operator === 'days_before'
      ? Math.floor(now / 86_400_000) - (integerParam(first) ?? 0)
      : Math.floor(Date.parse(stringParam(first) ?? '') / 86_400_000);
  return (time) => {
    if (time === null || Number.isNaN(bound)) return false;
    const day = Math.floor(time / 86_400_000);
    return condition.filter_operator === 'is_greater_than' ? day > bound : day < bound;
  };
}

// ---------------------------------------------------------------------------------------------
// The model.

export interface ChatwootStateOptions {
  accounts?: readonly SandboxAccountSeed[];
  /** Epoch milliseconds; every created_at, the flood window and the CSAT ranges use it. */
  now?: () => number;
  /** Messages per conversation per minute before "Too many messages" (CONVERSATION_MESSAGE_PER_MINUTE_LIMIT). */
  floodLimitPerMinute?: number;
  /** How long a contact insert holds its unique keys before committing; concurrent duplicates inside it get a 500. */
  writeLatencyMs?: number;
}

export interface ActingUser {
  user: UserRecord;
  role: UserRole;
}

interface PreparedMessage {
  message: MessageRecord;
  errors: FieldError[];
}

export class ChatwootState {
  readonly accounts = new Map<number, AccountRecord>();
  readonly users = new Map<number, UserRecord>();
  readonly floodLimitPerMinute: number;
  readonly writeLatencyMs: number;
  private readonly clock: () => number;
  private readonly sequences = new Map<string, number>();
  /** Unique keys held by contact inserts that have not committed yet, with the promise of their end. */
  private readonly pendingUniqueKeys = new Map<string, Promise<void>>();

  constructor(options: ChatwootStateOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.floodLimitPerMinute = options.floodLimitPerMinute ?? 200;
    this.writeLatencyMs = options.writeLatencyMs ?? 5;
    for (const seed of options.accounts ?? DEFAULT_CHATWOOT_ACCOUNTS) this.seedAccount(seed);
  }

  now(): number {
    return this.clock();
  }

  private nextId(kind: string): number {
    const next = (this.sequences.get(kind) ?? 0) + 1;
    this.sequences.set(kind, next);
    return next;
  }

  private seedAccount(seed: SandboxAccountSeed): void {
    if (this.accounts.has(seed.id)) throw new Error(`account ${seed.id} is seeded twice`);
    const now = this.now();
    const account: AccountRecord = {
      id: seed.id,
      name: seed.name,
      createdAt: now,
      members: new Map(),
      inboxes: [],
      contacts: [],
      contactInboxes: [],
      conversations: [],
      nextDisplayId: 1,
      labels: [],
      teams: [],
      customAttributeDefinitions: [],
      cannedResponses: [],
      portals: [],
      csatResponses: [],
      csatSentWithoutResponse: [],
    };
    this.accounts.set(seed.id, account);
    this.sequences.set('account', Math.max(this.sequences.get('account') ?? 0, seed.id));
    for (const userSeed of seed.users) {
      const existing = this.users.get(userSeed.id);
      if (existing && (existing.email !== userSeed.email || existing.accessToken !== userSeed.accessToken)) {
        throw new Error(`user ${userSeed.id} is seeded with two different identities`);
      }
      if (!existing) {
        this.users.set(userSeed.id, {
          id: userSeed.id,
          name: userSeed.name,
          displayName: null,
          email: userSeed.email.toLowerCase(),
          accessToken: userSeed.accessToken,
          createdAt: now,
        });
      }
      account.members.set(userSeed.id, userSeed.role);
      this.sequences.set('user', Math.max(this.sequences.get('user') ?? 0, userSeed.id));
    }
    for (const inboxSeed of seed.inboxes ?? []) {
      this.insertInbox(account, { name: inboxSeed.name, channel: { type: inboxSeed.channelType ?? 'api' } });
    }
  }

  // ----- lookups

  /**
   * A new access token for the user, as the profile page's "reset access token" does: the old one is
   * refused (401) from the next request on.
   */
  resetAccessToken(email: string): string {
    const user = [...this.users.values()].find((candidate) => candidate.email === email.toLowerCase());
    if (!user) throw notFound();
    user.accessToken = randomBytes(18).toString('base64url');
    return user.accessToken;
  }

  userByToken(token: string): UserRecord | undefined {
    for (const user of this.users.values()) if (user.accessToken === token) return user;
    return undefined;
  }

  account(id: number): AccountRecord {
    const account = this.accounts.get(id);
    if (!account) throw notFound();
    return account;
  }

  accountUsers(account: AccountRecord): Array<{ user: UserRecord; role: UserRole }> {
    const result: Array<{ user: UserRecord; role: UserRole }> = [];
    for (const [userId, role] of account.members) {
      const user = this.users.get(userId);
      if (user) result.push({ user, role });
    }
    return result.sort((a, b) => a.user.id - b.user.id);
  }

  inbox(account: AccountRecord, id: unknown): InboxRecord {
    const wanted = integerParam(id);
    const inbox = account.inboxes.find((candidate) => candidate.id === wanted);
    if (!inbox) throw notFound();
    return inbox;
  }

  inboxById(id: number): InboxRecord | undefined {
    for (const account of this.accounts.values()) {
      const inbox = account.inboxes.find((candidate) => candidate.id === id);
      if (inbox) return inbox;
    }
    return undefined;
  }

  contact(account: AccountRecord, id: unknown): ContactRecord {
    const wanted = integerParam(id);
    const contact = account.contacts.find((candidate) => candidate.id === wanted);
    if (!contact) throw notFound();
    return contact;
  }

  contactById(account: AccountRecord, id: number): ContactRecord | undefined {
    return account.contacts.find((candidate) => candidate.id === id);
  }

  contactInboxesOf(account: AccountRecord, contactId: number): ContactInboxRecord[] {
    return account.contactInboxes.filter((contactInbox) => contactInbox.contactId === contactId);
  }

  conversation(account: AccountRecord, displayId: unknown): ConversationRecord {
    const wanted = integerParam(displayId);
    const conversation = account.conversations.find((candidate) => candidate.displayId === wanted);
    if (!conversation) throw notFound();
    return conversation;
  }

  team(account: AccountRecord, id: unknown): TeamRecord {
    const wanted = integerParam(id);
    const team = account.teams.find((candidate) => candidate.id === wanted);
    if (!team) throw notFound();
    return team;
  }

  portal(account: AccountRecord, slug: unknown): PortalRecord {
    const portal = account.portals.find((candidate) => candidate.slug === stringParam(slug));
    if (!portal) throw notFound();
    return portal;
  }

  requireAdministrator(actor: ActingUser): void {
    if (actor.role !== 'administrator') throw notAuthorizedForAction();
  }

  // ----- inboxes

  createInbox(account: AccountRecord, params: Params, actor: ActingUser): InboxRecord {
    this.requireAdministrator(actor);
    return this.insertInbox(account, params);
  }

  private insertInbox(account: AccountRecord, params: Params): InboxRecord {
    const channel = isPlainObject(params.channel) ? params.channel : {};
    const kind = stringParam(channel.type) ?? '';
    if (!(kind in CHANNEL_TYPES)) throw couldNotCreate('Invalid channel type');
    const channelType = CHANNEL_TYPES[kind as ChannelKind];
    const name = stringParam(params.name) ?? '';
    const validation = new Validation();
    validation.presence('name', name);
    // Inbox#name format: word characters at both ends and none of / \ < > @.
    if (
      name !== '' &&
      (INBOX_NAME_FORBIDDEN.test(name) ||
        !WORD_CHAR.test(name[0] ?? '') ||
        !WORD_CHAR.test(name.at(-1) ?? ''))
    ) {
      validation.add(
        'name',
        'should not start or end with symbols, and it should not have < > / \\ @ characters.',
      );
    }
    validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
    validation.check();
    const bool = (key: string, fallback: boolean) => booleanParam(params[key]) ?? fallback;
    const inbox: InboxRecord = {
      id: this.nextId('inbox'),
      accountId: account.id,
      channelId: this.nextId(`channel:${channelType}`),
      name,
      channelType,
      webhookUrl: channelType === 'Channel::Api' ? stringParam(channel.webhook_url) : null,
      inboxIdentifier: randomBytes(12).toString('base64url'),
      hmacToken: randomBytes(12).toString('base64url'),
      websiteUrl: stringParam(channel.website_url),
      widgetColor: stringParam(channel.widget_color),
      welcomeTitle: stringParam(channel.welcome_title),
      welcomeTagline: stringParam(channel.welcome_tagline),
      enableAutoAssignment: bool('enable_auto_assignment', true),
      csatSurveyEnabled: bool('csat_survey_enabled', false),
      greetingEnabled: bool('greeting_enabled', false),
      greetingMessage: stringParam(params.greeting_message),
      enableEmailCollect: bool('enable_email_collect', true),
      allowMessagesAfterResolved: bool('allow_messages_after_resolved', true),
      lockToSingleConversation: bool('lock_to_single_conversation', false),
      workingHoursEnabled: bool('working_hours_enabled', false),
      outOfOfficeMessage: stringParam(params.out_of_office_message),
      timezone: stringParam(params.timezone) ?? 'UTC',
      senderNameType: stringParam(params.sender_name_type) === 'professional' ? 'professional' : 'friendly',
      businessName: stringParam(params.business_name),
      createdAt: this.now(),
    };
    account.inboxes.push(inbox);
    return inbox;
  }

  // ----- custom attribute definitions

  listCustomAttributeDefinitions(account: AccountRecord, model: unknown): CustomAttributeDefinitionRecord[] {
    if (isBlank(model)) return [...account.customAttributeDefinitions];
    const wanted = ATTRIBUTE_MODELS[integerParam(model) ?? -1] ?? stringParam(model);
    return account.customAttributeDefinitions.filter((definition) => definition.attributeModel === wanted);
  }

  createCustomAttributeDefinition(
    account: AccountRecord,
    params: Params,
    actor: ActingUser,
  ): CustomAttributeDefinitionRecord {
    this.requireAdministrator(actor);
    const model = enumParam(ATTRIBUTE_MODELS, params.attribute_model ?? 0, 'attribute_model');
    const displayType = enumParam(
      ATTRIBUTE_DISPLAY_TYPES,
      params.attribute_display_type ?? 0,
      'attribute_display_type',
    );
    const key = (stringParam(params.attribute_key) ?? '').trim();
    const displayName = (stringParam(params.attribute_display_name) ?? '').trim();
    const validation = new Validation();
    validation.presence('attribute_display_name', displayName);
    validation.presence('attribute_key', key);
    validation.maxLength('attribute_display_name', displayName, CHATWOOT_LIMITS.shortStringChars);
    validation.maxLength('attribute_key', key, CHATWOOT_LIMITS.shortStringChars);
    if (
      key !== '' &&
      account.customAttributeDefinitions.some(
        (definition) => definition.attributeKey === key && definition.attributeModel === model,
      )
    ) {
      validation.add('attribute_key', 'has already been taken');
    }
    if (STANDARD_ATTRIBUTE_KEYS[model].includes(key)) {
      validation.add(
        'attribute_key',
        'The provided key is not allowed as it might conflict with default attributes.',
      );
    }
    validation.check();
    const now = this.now();
    const definition: CustomAttributeDefinitionRecord = {
      id: this.nextId('custom_attribute_definition'),
      attributeDisplayName: displayName,
      attributeDisplayType: displayType,
      attributeDescription: stringParam(params.attribute_description),
      attributeKey: key,
      attributeValues: Array.isArray(params.attribute_values)
        ? (toJsonValue(params.attribute_values) as JsonValue[])
        : [],
      attributeModel: model,
      regexPattern: stringParam(params.regex_pattern),
      regexCue: stringParam(params.regex_cue),
      defaultValue: toJsonValue(params.default_value ?? null),
      createdAt: now,
      updatedAt: now,
    };
    account.customAttributeDefinitions.push(definition);
    return definition;
  }

  // ----- contacts

  private contactAttributes(
    params: Params,
    current: ContactRecord | null,
  ): Pick<
    ContactRecord,
    'name' | 'email' | 'phoneNumber' | 'identifier' | 'additionalAttributes' | 'customAttributes' | 'blocked'
  > {
    const text = (key: string, fallback: string | null) =>
      has(params, key) ? stringParam(params[key]) : fallback;
    const email = text('email', current?.email ?? null);
    const phone = text('phone_number', current?.phoneNumber ?? null);
    const identifier = text('identifier', current?.identifier ?? null);
    const additional = objectParam(params.additional_attributes);
    const custom = objectParam(params.custom_attributes);
    return {
      name: text('name', current?.name ?? '') ?? '',
      // prepare_email_attribute: blank becomes nil so the unique index ignores it; no trimming.
      email: isBlank(email) ? null : (email as string).toLowerCase(),
      phoneNumber: isBlank(phone) ? null : phone,
      identifier: isBlank(identifier) ? null : identifier,
      // The update action merges both JSON columns; create starts from empty ones.
      additionalAttributes: { ...(current?.additionalAttributes ?? {}), ...(additional ?? {}) },
      customAttributes: { ...(current?.customAttributes ?? {}), ...(custom ?? {}) },
      blocked: has(params, 'blocked') ? (booleanParam(params.blocked) ?? false) : (current?.blocked ?? false),
    };
  }

  private validateContact(
    account: AccountRecord,
    attributes: ReturnType<ChatwootState['contactAttributes']>,
    selfId: number | null,
  ): void {
    const others = account.contacts.filter((contact) => contact.id !== selfId);
    const validation = new Validation();
    if (attributes.email !== null) {
      if (others.some((contact) => contact.email === attributes.email)) {
        validation.add('email', 'has already been taken');
      }
      if (!DEVISE_EMAIL.test(attributes.email)) validation.add('email', 'Invalid email');
    }
    if (
      attributes.identifier !== null &&
      others.some((contact) => contact.identifier === attributes.identifier)
    ) {
      validation.add('identifier', 'has already been taken');
    }
    if (attributes.phoneNumber !== null) {
      if (others.some((contact) => contact.phoneNumber === attributes.phoneNumber)) {
        validation.add('phone_number', 'has already been taken');
      }
      if (!E164.test(attributes.phoneNumber)) validation.add('phone_number', 'should be in e164 format');
    }
    validation.maxLength('name', attributes.name, CHATWOOT_LIMITS.shortStringChars);
    validation.check();
  }

  /**
   * POST /contacts. The uniqueness validations read committed rows only; the unique indexes on
   * (email, account_id) and (identifier, account_id) catch what they miss. A second insert of the
   * same key while the first is uncommitted blocks on the index and fails once it commits: a 500.
   * The phone number has no unique index, so concurrent duplicates of a phone both succeed.
   */
  async createContact(
    account: AccountRecord,
    params: Params,
  ): Promise<{ contact: ContactRecord; contactInbox: ContactInboxRecord | null }> {
    const attributes = this.contactAttributes(params, null);
    this.validateContact(account, attributes, null);
    const uniqueKeys = [
      attributes.email === null ? null : `${account.id}:email:${attributes.email}`,
      attributes.identifier === null ? null : `${account.id}:identifier:${attributes.identifier}`,
    ].filter((key): key is string => key !== null);
    const holders = uniqueKeys
      .map((key) => this.pendingUniqueKeys.get(key))
      .filter((holder): holder is Promise<void> => holder !== undefined);
    if (holders.length > 0) {
      await Promise.all(holders);
      const collides = account.contacts.some(
        (contact) =>
          (attributes.email !== null && contact.email === attributes.email) ||
          (attributes.identifier !== null && contact.identifier === attributes.identifier),
      );
      if (collides) {
        throw new RecordNotUniqueError(
          attributes.identifier !== null
            ? 'uniq_identifier_per_account_contact'
            : 'uniq_email_per_account_contact',
        );
      }
    }
    let release = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const key of uniqueKeys) this.pendingUniqueKeys.set(key, done);
    try {
      if (this.writeLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.writeLatencyMs));
      // The transaction also builds the contact inbox; a missing inbox rolls the contact back (404).
      const inbox = isBlank(params.inbox_id) ? null : this.inbox(account, params.inbox_id);
      const now = this.now();
      const contact: ContactRecord = {
        id: this.nextId('contact'),
        accountId: account.id,
        ...attributes,
        lastActivityAt: null,
        createdAt: now,
        updatedAt: now,
      };
      const contactInbox = inbox ? this.prepareContactInbox(account, contact, inbox, params.source_id) : null;
      if (contactInbox && !contactInbox.isNew) {
        throw new RecordNotUniqueError('index_contact_inboxes_on_inbox_id_and_source_id');
      }
      account.contacts.push(contact);
      if (contactInbox) account.contactInboxes.push(contactInbox.record);
      return { contact, contactInbox: contactInbox?.record ?? null };
    } finally {
      for (const key of uniqueKeys) {
        if (this.pendingUniqueKeys.get(key) === done) this.pendingUniqueKeys.delete(key);
      }
      release();
    }
  }

  updateContact(account: AccountRecord, id: unknown, params: Params): ContactRecord {
    const contact = this.contact(account, id);
    const attributes = this.contactAttributes(params, contact);
    this.validateContact(account, attributes, contact.id);
    Object.assign(contact, attributes, { updatedAt: this.now() });
    return contact;
  }

  /** Contacts with an email, a phone number or an identifier: the only ones GET /contacts lists. */
  resolvedContacts(account: AccountRecord): ContactRecord[] {
    return account.contacts.filter(
      (contact) => !isBlank(contact.email) || !isBlank(contact.phoneNumber) || !isBlank(contact.identifier),
    );
  }

  /** GET /contacts/search: ILIKE on name, email, phone; LIKE (case-sensitive) on identifier. */
  searchContacts(account: AccountRecord, query: unknown): ContactRecord[] {
    const raw = stringParam(query);
    if (isBlank(raw)) throw couldNotCreate('Specify search string with parameter q');
    const needle = (raw as string).trim();
    const folded = needle.toLowerCase();
    const byId = /^\d+$/.test(needle) ? Number(needle) : null;
    return account.contacts.filter(
      (contact) =>
        contact.name.toLowerCase().includes(folded) ||
        (contact.email ?? '').toLowerCase().includes(folded) ||
        (contact.phoneNumber ?? '').toLowerCase().includes(folded) ||
        (contact.identifier ?? '').includes(needle) ||
        contact.id === byId,
    );
  }

  filterContacts(account: AccountRecord, params: Params): ContactRecord[] {
    const conditions = parseConditions(params);
    validateQueryOperators(conditions);
    const now = this.now();
    const matchers = conditions.map((condition): ((contact: ContactRecord) => boolean) => {
      const standard = CONTACT_FILTER_KEYS[condition.attribute_key];
      if (standard) {
        if (!standard.operators.includes(condition.filter_operator)) {
          throw couldNotCreate(
            `Invalid operator. The allowed operators for ${condition.attribute_key} are [${standard.operators.join(',')}].`,
          );
        }
      }
      if (
        !['is_present', 'is_not_present'].includes(condition.filter_operator) &&
        isBlank(condition.values)
      ) {
        throw couldNotCreate(`Invalid value. The values provided for ${condition.attribute_key} are invalid`);
      }
      if (!standard) {
        const definition = account.customAttributeDefinitions.find(
          (candidate) =>
            candidate.attributeModel === 'contact_attribute' &&
            candidate.attributeKey === condition.attribute_key,
        );
        if (!definition) {
          throw couldNotCreate(
            `Invalid attribute key - [${condition.attribute_key}]. The key should be one of [${Object.keys(CONTACT_FILTER_KEYS).join(',')}] or a custom attribute defined in the account.`,
          );
        }
        const match = customAttributeMatcher(definition, condition, now);
        return (contact) => match(contact.customAttributes[condition.attribute_key]);
      }
      switch (condition.attribute_key) {
        case 'created_at':
        case 'last_activity_at': {
          const match = dateMatcher(condition, now);
          return (contact) =>
            match(condition.attribute_key === 'created_at' ? contact.createdAt : contact.lastActivityAt);
        }
        case 'labels':
          // Contact labels are not modelled: no contact carries any.
          return () =>
            condition.filter_operator === 'not_equal_to' || condition.filter_operator === 'is_not_present';
        case 'phone_number': {
          // Contacts::FilterService prefixes the first value with "+" after removing any.
          const first = `+${(stringParam(condition.values[0]) ?? '').replace(/\+/g, '')}`;
          const match = scalarMatcher({ ...condition, values: [first] }, true, true);
          return (contact) => match(contact.phoneNumber);
        }
        default: {
          // Standard string attributes compare LOWER(column) with the first value, lower-cased.
          const match = scalarMatcher(condition, true, true);
          return (contact) => match(this.contactFilterValue(contact, condition.attribute_key));
        }
      }
    });
    return account.contacts.filter((contact) =>
      combine(
        matchers.map((match) => match(contact)),
        conditions,
      ),
    );
  }

  private contactFilterValue(contact: ContactRecord, key: string): JsonValue | undefined {
    switch (key) {
      case 'name':
        return contact.name;
      case 'email':
        return contact.email;
      case 'identifier':
        return contact.identifier;
      case 'blocked':
        return contact.blocked;
      case 'company':
        return contact.additionalAttributes.company_name;
      default:
        return contact.additionalAttributes[key];
    }
  }

  /** ContactInboxBuilder: reuse (contact, inbox, source_id), else create it; a uuid when none is given. */
  private prepareContactInbox(
    account: AccountRecord,
    contact: ContactRecord,
    inbox: InboxRecord,
    sourceIdParam: unknown,
  ): { record: ContactInboxRecord; isNew: boolean } {
    const sourceId = isBlank(sourceIdParam) ? randomUUID() : (stringParam(sourceIdParam) as string);
    const existing = account.contactInboxes.find(
      (candidate) => candidate.inboxId === inbox.id && candidate.sourceId === sourceId,
    );
    if (existing) return { record: existing, isNew: false };
    return {
      record: {
        id: this.nextId('contact_inbox'),
        contactId: contact.id,
        inboxId: inbox.id,
        sourceId,
        hmacVerified: false,
        createdAt: this.now(),
      },
      isNew: true,
    };
  }

  createContactInbox(account: AccountRecord, contactId: unknown, params: Params): ContactInboxRecord {
    const contact = this.contact(account, contactId);
    const inbox = this.inbox(account, params.inbox_id);
    const prepared = this.prepareContactInbox(account, contact, inbox, params.source_id);
    if (!prepared.isNew) {
      if (prepared.record.contactId === contact.id) return prepared.record;
      throw new RecordNotUniqueError('index_contact_inboxes_on_inbox_id_and_source_id');
    }
    account.contactInboxes.push(prepared.record);
    return prepared.record;
  }

  // ----- conversations

  createConversation(account: AccountRecord, params: Params, actor: ActingUser): ConversationRecord {
    const inbox = isBlank(params.inbox_id) ? null : this.inbox(account, params.inbox_id);
    const contact = isBlank(params.contact_id) ? null : this.contact(account, params.contact_id);
    let contactInbox: ContactInboxRecord | undefined;
    let newContactInbox = false;
    if (inbox && contact) {
      const prepared = this.prepareContactInbox(account, contact, inbox, params.source_id);
      if (!prepared.isNew && prepared.record.contactId !== contact.id) {
        throw new ChatwootApiError(422, { error: 'source_id should be unique' });
      }
      contactInbox = prepared.record;
      newContactInbox = prepared.isNew;
    } else {
      // The legacy look-up by source_id alone, across the whole installation.
      const sourceId = stringParam(params.source_id);
      for (const candidateAccount of this.accounts.values()) {
        contactInbox ??= candidateAccount.contactInboxes.find((candidate) => candidate.sourceId === sourceId);
      }
      if (!contactInbox) throw notFound();
      if (!account.inboxes.some((candidate) => candidate.id === contactInbox?.inboxId)) {
        throw notAuthorizedForAction();
      }
    }
    const conversationInbox = this.inboxById(contactInbox.inboxId) ?? inbox;
    if (!conversationInbox) throw notFound();
    if (conversationInbox.lockToSingleConversation) {
      const existing = account.conversations.find(
        (candidate) => candidate.contactInboxId === contactInbox?.id,
      );
      if (existing) return existing;
    }
    const status = isBlank(params.status)
      ? 'open'
      : enumParam(CONVERSATION_STATUSES, params.status, 'status');
    const team = isBlank(params.team_id) ? null : this.teamOrInvalid(account, params.team_id);
    let assigneeId = this.accountUserId(account, params.assignee_id);
    // AssignmentHandler#ensure_assignee_is_from_team: a team change drops an assignee outside it.
    if (team && assigneeId !== null && !team.memberIds.includes(assigneeId)) assigneeId = null;
    const now = this.now();
    const conversation: ConversationRecord = {
      id: this.nextId('conversation'),
      displayId: account.nextDisplayId,
      accountId: account.id,
      inboxId: conversationInbox.id,
      contactId: contactInbox.contactId,
      contactInboxId: contactInbox.id,
      uuid: randomUUID(),
      status,
      assigneeId,
      teamId: team?.id ?? null,
      labels: [],
      customAttributes: objectParam(params.custom_attributes) ?? {},
      additionalAttributes: objectParam(params.additional_attributes) ?? {},
      snoozedUntil: status === 'snoozed' ? this.parseTime(params.snoozed_until) : null,
      priority: null,
      firstReplyCreatedAt: null,
      createdAt: now,
      updatedAt: now,
      lastActivityAt: now,
      messages: [],
    };
    // One transaction: an invalid initial message rolls the conversation back.
    const initial = isPlainObject(params.message) && !isBlank(params.message) ? params.message : null;
    const prepared = initial ? this.prepareMessage(account, conversation, initial, actor) : null;
    if (prepared && prepared.errors.length > 0) throw new RecordInvalidError(prepared.errors);
    account.nextDisplayId += 1;
    if (newContactInbox) account.contactInboxes.push(contactInbox);
    account.conversations.push(conversation);
    if (prepared) this.commitMessage(account, conversation, prepared.message, actor);
    if (conversation.teamId !== null) this.teamChangeActivity(account, conversation, null, actor);
    else if (conversation.assigneeId !== null) this.assigneeChangeActivity(account, conversation, actor);
    return conversation;
  }

  private teamOrInvalid(account: AccountRecord, id: unknown): TeamRecord {
    const wanted = integerParam(id);
    const team = account.teams.find((candidate) => candidate.id === wanted);
    if (!team) throw new RecordInvalidError([{ attribute: 'team', message: 'must exist' }]);
    return team;
  }

  private accountUserId(account: AccountRecord, id: unknown): number | null {
    const wanted = integerParam(id);
    return wanted !== null && account.members.has(wanted) ? wanted : null;
  }

  private parseTime(value: unknown): number | null {
    if (isBlank(value)) return null;
    const seconds = integerParam(value);
    if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
      return seconds === null ? null : seconds * 1000;
    }
    const parsed = Date.parse(stringParam(value) ?? '');
    return Number.isNaN(parsed) ? null : parsed;
  }

  private setStatus(
    account: AccountRecord,
    conversation: ConversationRecord,
    status: ConversationStatus,
    activity: { kind: 'user'; actor: ActingUser } | { kind: 'system_auto_open' },
  ): void {
    const previous = conversation.status;
    conversation.status = status;
    if (status !== 'snoozed') conversation.snoozedUntil = null;
    conversation.updatedAt = this.now();
    if (previous === status) return;
    const content =
      activity.kind === 'system_auto_open'
        ? 'System reopened the conversation due to a new incoming message.'
        : {
            open: `Conversation was reopened by ${activity.actor.user.name}`,
            resolved: `Conversation was marked resolved by ${activity.actor.user.name}`,
            pending: `Conversation was marked as pending by ${activity.actor.user.name}`,
            snoozed: `Conversation was snoozed by ${activity.actor.user.name}`,
          }[status];
    this.addActivity(account, conversation, content);
  }

  toggleStatus(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
  ): ConversationRecord {
    if (!isBlank(params.status)) {
      const status = enumParam(CONVERSATION_STATUSES, params.status, 'status');
      const snoozedUntil = has(params, 'snoozed_until')
        ? this.parseTime(params.snoozed_until)
        : conversation.snoozedUntil;
      this.setStatus(account, conversation, status, { kind: 'user', actor });
      if (status === 'snoozed') conversation.snoozedUntil = snoozedUntil;
    } else {
      this.setStatus(account, conversation, conversation.status === 'open' ? 'resolved' : 'open', {
        kind: 'user',
        actor,
      });
    }
    // Opening a conversation with an agent's token assigns it to that agent.
    if (
      conversation.status === 'open' &&
      actor.role === 'agent' &&
      conversation.assigneeId !== actor.user.id
    ) {
      conversation.assigneeId = actor.user.id;
      this.assigneeChangeActivity(account, conversation, actor);
    }
    return conversation;
  }

  /** POST /assignments: assignee_id wins over team_id; returns what the controller renders. */
  assign(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
  ): { kind: 'agent'; userId: number } | { kind: 'team'; team: TeamRecord | null } | { kind: 'none' } {
    if (has(params, 'assignee_id')) {
      const assigneeId = this.accountUserId(account, params.assignee_id);
      if (assigneeId !== conversation.assigneeId) {
        conversation.assigneeId = assigneeId;
        conversation.updatedAt = this.now();
        this.assigneeChangeActivity(account, conversation, actor);
      }
      return assigneeId === null ? { kind: 'none' } : { kind: 'agent', userId: assigneeId };
    }
    if (has(params, 'team_id')) {
      const wanted = integerParam(params.team_id);
      const team = account.teams.find((candidate) => candidate.id === wanted) ?? null;
      const previousTeamId = conversation.teamId;
      if ((team?.id ?? null) !== previousTeamId) {
        conversation.teamId = team?.id ?? null;
        if (team && conversation.assigneeId !== null && !team.memberIds.includes(conversation.assigneeId)) {
          conversation.assigneeId = null;
        }
        conversation.updatedAt = this.now();
        this.teamChangeActivity(account, conversation, previousTeamId, actor);
      }
      return { kind: 'team', team };
    }
    return { kind: 'none' };
  }

  private assigneeChangeActivity(
    account: AccountRecord,
    conversation: ConversationRecord,
    actor: ActingUser,
  ): void {
    const userName = actor.user.name;
    const assignee = conversation.assigneeId === null ? undefined : this.users.get(conversation.assigneeId);
    let content: string;
    if (!assignee) content = `Conversation unassigned by ${userName}`;
    else if (assignee.id === actor.user.id) content = `${userName} self-assigned this conversation`;
    else content = `Assigned to ${assignee.name} by ${userName}`;
    this.addActivity(account, conversation, content);
  }

  private teamChangeActivity(
    account: AccountRecord,
    conversation: ConversationRecord,
    previousTeamId: number | null,
    actor: ActingUser,
  ): void {
    const userName = actor.user.name;
    const team = account.teams.find((candidate) => candidate.id === conversation.teamId);
    let content: string;
    if (!team) {
      const previous = account.teams.find((candidate) => candidate.id === previousTeamId);
      content = `Unassigned from ${previous?.name ?? ''} by ${userName}`;
    } else {
      const assignee = conversation.assigneeId === null ? undefined : this.users.get(conversation.assigneeId);
      content = assignee
        ? `Assigned to ${assignee.name} via ${team.name} by ${userName}`
        : `Assigned to ${team.name} by ${userName}`;
    }
    this.addActivity(account, conversation, content);
  }

  /**
   * POST /labels on a conversation replaces the list. acts-as-taggable joins the array with commas
   * and splits it again, strips blanks and drops case-insensitive duplicates; labels need not exist.
   */
  setConversationLabels(
    account: AccountRecord,
    conversation: ConversationRecord,
    labels: unknown,
    actor: ActingUser,
  ): string[] {
    const raw = Array.isArray(labels) ? labels.map((label) => stringParam(label) ?? '') : [];
    const parsed: string[] = [];
    for (const piece of raw.join(',').split(',')) {
      const label = piece.trim();
      if (label !== '' && !parsed.some((existing) => existing.toLowerCase() === label.toLowerCase())) {
        parsed.push(label);
      }
    }
    const previous = conversation.labels;
    const kept = previous.filter((label) => parsed.includes(label));
    const added = parsed.filter((label) => !previous.includes(label));
    const removed = previous.filter((label) => !parsed.includes(label));
    conversation.labels = [...kept, ...added];
    if (added.length > 0 || removed.length > 0) conversation.updatedAt = this.now();
    if (added.length > 0)
      this.addActivity(account, conversation, `${actor.user.name} added ${added.join(', ')}`);
    if (removed.length > 0) {
      this.addActivity(account, conversation, `${actor.user.name} removed ${removed.join(', ')}`);
    }
    return conversation.labels;
  }

  /** POST /custom_attributes assigns the whole hash: keys not sent are gone. */
  setConversationCustomAttributes(conversation: ConversationRecord, params: Params): JsonObject {
    if (!has(params, 'custom_attributes')) {
      throw couldNotCreate('param is missing or the value is empty: custom_attributes');
    }
    conversation.customAttributes = objectParam(params.custom_attributes) ?? {};
    conversation.updatedAt = this.now();
    return conversation.customAttributes;
  }

  listConversations(account: AccountRecord, params: Params, actor: ActingUser): ConversationRecord[] {
    const status = stringParam(params.status) ?? 'open';
    const inboxId = integerParam(params.inbox_id);
    const teamId = integerParam(params.team_id);
    const labels = Array.isArray(params.labels) ? params.labels.map((label) => stringParam(label)) : null;
    const assigneeType = stringParam(params.assignee_type) ?? 'all';
    return this.sortLatest(
      account.conversations.filter(
        (conversation) =>
          (status === 'all' || conversation.status === status) &&
          (inboxId === null || conversation.inboxId === inboxId) &&
          (teamId === null || conversation.teamId === teamId) &&
          (labels === null ||
            labels.every((label) => label !== null && conversation.labels.includes(label))) &&
          (assigneeType === 'all' ||
            (assigneeType === 'me' && conversation.assigneeId === actor.user.id) ||
            (assigneeType === 'unassigned' && conversation.assigneeId === null) ||
            (assigneeType === 'assigned' && conversation.assigneeId !== null)),
      ),
    );
  }

  sortLatest(conversations: ConversationRecord[]): ConversationRecord[] {
    return [...conversations].sort((a, b) => b.lastActivityAt - a.lastActivityAt || b.id - a.id);
  }

  filterConversations(account: AccountRecord, params: Params): ConversationRecord[] {
    const conditions = parseConditions(params);
    validateQueryOperators(conditions);
    const now = this.now();
    const matchers = conditions.map((condition): ((conversation: ConversationRecord) => boolean) => {
      const standard = CONVERSATION_FILTER_KEYS[condition.attribute_key];
      if (standard && !standard.operators.includes(condition.filter_operator)) {
        throw couldNotCreate(
          `Invalid operator. The allowed operators for ${condition.attribute_key} are [${standard.operators.join(',')}].`,
        );
      }
      if (
        !['is_present', 'is_not_present'].includes(condition.filter_operator) &&
        isBlank(condition.values)
      ) {
        throw couldNotCreate(`Invalid value. The values provided for ${condition.attribute_key} are invalid`);
      }
      if (!standard) {
        const definition = account.customAttributeDefinitions.find(
          (candidate) =>
            candidate.attributeModel === 'conversation_attribute' &&
            candidate.attributeKey === condition.attribute_key,
        );
        if (!definition) {
          throw couldNotCreate(
            `Invalid attribute key - [${condition.attribute_key}]. The key should be one of [${Object.keys(CONVERSATION_FILTER_KEYS).join(',')}] or a custom attribute defined in the account.`,
          );
        }
        const match = customAttributeMatcher(definition, condition, now);
        return (conversation) => match(conversation.customAttributes[condition.attribute_key]);
      }
      if (standard.kind === 'additional') {
        const match = scalarMatcher(condition, false, false);
        return (conversation) => match(conversation.additionalAttributes[condition.attribute_key]);
      }
      switch (condition.attribute_key) {
        case 'labels': {
          const wanted = condition.values.map((value) => stringParam(value) ?? '');
          return (conversation) => {
            const hit = conversation.labels.some((label) => wanted.includes(label));
            switch (condition.filter_operator) {
              case 'equal_to':
                return hit;
              case 'not_equal_to':
                return !hit;
              case 'is_present':
                return conversation.labels.length > 0;
              default:
                return conversation.labels.length === 0;
            }
          };
        }
        case 'status': {
          const wanted = condition.values.map((value) => stringParam(value));
          const all = wanted.includes('all');
          return (conversation) => {
            const hit = all || wanted.includes(conversation.status);
            return condition.filter_operator === 'equal_to' ? hit : !hit;
          };
        }
        case 'created_at':
        case 'last_activity_at': {
          const match = dateMatcher(condition, now);
          return (conversation) =>
            match(
              condition.attribute_key === 'created_at' ? conversation.createdAt : conversation.lastActivityAt,
            );
        }
        default: {
          const match = scalarMatcher(condition, false, false);
          return (conversation) => match(this.conversationFilterValue(conversation, condition.attribute_key));
        }
      }
    });
    return this.sortLatest(
      account.conversations.filter((conversation) =>
        combine(
          matchers.map((match) => match(conversation)),
          conditions,
        ),
      ),
    );
  }

  private conversationFilterValue(conversation: ConversationRecord, key: string): JsonValue | undefined {
    switch (key) {
      case 'assignee_id':
        return conversation.assigneeId;
      case 'inbox_id':
        return conversation.inboxId;
      case 'team_id':
        return conversation.teamId;
      case 'display_id':
        return conversation.displayId;
      case 'priority':
        return conversation.priority;
      default:
        return null;
    }
  }

  // ----- messages

  private floodCount(conversation: ConversationRecord): number {
    const since = this.now() - 60_000;
    return conversation.messages.filter((message) => message.createdAt >= since).length;
  }

  /**
   * Messages::MessageBuilder and the Message validations. Raises what the builder raises (bad enum,
   * incoming outside API inboxes, unsigned blob ids); returns validation errors for the caller to
   * raise the way its controller does.
   */
  prepareMessage(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
    files: UploadedFile[] = [],
  ): PreparedMessage {
    const inbox = this.inboxById(conversation.inboxId);
    const rawType = params.message_type ?? 'outgoing';
    const messageType = enumParam(MESSAGE_TYPES, rawType, 'message_type');
    if (inbox?.channelType !== 'Channel::Api' && rawType === 'incoming') {
      throw new RubyStandardError('Incoming messages are only allowed in Api inboxes');
    }
    const contentType = isBlank(params.content_type)
      ? 'text'
      : enumParam(MESSAGE_CONTENT_TYPES, params.content_type, 'content_type');
    let contentAttributes: JsonObject = {};
    if (typeof params.content_attributes === 'string') {
      try {
        contentAttributes = objectParam(JSON.parse(params.content_attributes)) ?? {};
      } catch {
        contentAttributes = {};
      }
    } else {
      contentAttributes = objectParam(params.content_attributes) ?? {};
    }
    if (!isBlank(params.external_created_at)) {
      contentAttributes = {
        ...contentAttributes,
        external_created_at: toJsonValue(params.external_created_at),
      };
    }
    const attachmentParams = params.attachments;
    if (Array.isArray(attachmentParams) && attachmentParams.some((entry) => typeof entry === 'string')) {
      throw new RubyStandardError('ActiveSupport::MessageVerifier::InvalidSignature');
    }
    const now = this.now();
    const id = this.nextId('message');
    const content = stringParam(params.content);
    const message: MessageRecord = {
      id,
      accountId: account.id,
      inboxId: conversation.inboxId,
      conversationId: conversation.id,
      content,
      messageType,
      contentType,
      contentAttributes,
      additionalAttributes: {},
      private: booleanParam(params.private) ?? false,
      sourceId: stringParam(params.source_id),
      status: 'sent',
      sender:
        messageType === 'outgoing'
          ? { type: 'User', id: actor.user.id }
          : { type: 'Contact', id: conversation.contactId },
      createdAt: now,
      updatedAt: now,
      attachments: files.map((file) => ({
        id: this.nextId('attachment'),
        messageId: id,
        accountId: account.id,
        fileName: file.fileName,
        contentType: file.contentType,
        fileType: fileTypeOf(file.contentType),
        size: file.size,
        sha256: file.sha256,
      })),
    };
    const validation = new Validation();
    // before_validation :prevent_message_flooding, then the declared validations, in order.
    if (this.floodCount(conversation) >= this.floodLimitPerMinute)
      validation.add('base', 'Too many messages');
    validation.maxLength('content', content, CHATWOOT_LIMITS.messageContentChars);
    if (files.length > CHATWOOT_LIMITS.attachmentsPerMessage) {
      validation.add('attachments', 'exceeded maximum allowed');
    }
    if (files.some((file) => file.size > CHATWOOT_LIMITS.attachmentBytes))
      validation.add('attachments', 'is invalid');
    return { message, errors: validation.errors };
  }

  /** Saves a prepared message and runs Message's after_create_commit callbacks. */
  commitMessage(
    account: AccountRecord,
    conversation: ConversationRecord,
    message: MessageRecord,
    actor: ActingUser,
  ): MessageRecord {
    conversation.messages.push(message);
    conversation.lastActivityAt = message.createdAt;
    conversation.updatedAt = message.createdAt;
    if (
      message.messageType === 'outgoing' &&
      !message.private &&
      message.sender?.type === 'User' &&
      conversation.firstReplyCreatedAt === null
    ) {
      conversation.firstReplyCreatedAt = message.createdAt;
    }
    if (message.messageType === 'incoming') {
      const contact = this.contactById(account, conversation.contactId);
      if (contact) contact.lastActivityAt = message.createdAt;
      // Message#reopen_conversation: snoozed reopens as the token's user, resolved as the contact
      // ("system"); pending stays pending (it only moves when an agent bot hands off).
      if (conversation.status === 'snoozed')
        this.setStatus(account, conversation, 'open', { kind: 'user', actor });
      if (conversation.status === 'resolved') {
        this.setStatus(account, conversation, 'open', { kind: 'system_auto_open' });
      }
    }
    return message;
  }

  createMessage(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
    files: UploadedFile[] = [],
  ): MessageRecord {
    const prepared = this.prepareMessage(account, conversation, params, actor, files);
    if (prepared.errors.length > 0) throw new RecordInvalidError(prepared.errors);
    return this.commitMessage(account, conversation, prepared.message, actor);
  }

  /**
   * Activity messages come from Conversations::ActivityMessageJob. They go through the same
   * validations, so a flooded conversation silently loses them (the job fails).
   */
  private addActivity(account: AccountRecord, conversation: ConversationRecord, content: string): void {
    if (this.floodCount(conversation) >= this.floodLimitPerMinute) return;
    const now = this.now();
    conversation.messages.push({
      id: this.nextId('message'),
      accountId: account.id,
      inboxId: conversation.inboxId,
      conversationId: conversation.id,
      content,
      messageType: 'activity',
      contentType: 'text',
      contentAttributes: {},
      additionalAttributes: {},
      private: false,
      sourceId: null,
      status: 'sent',
      sender: null,
      createdAt: now,
      updatedAt: now,
      attachments: [],
    });
  }

  /** MessageFinder: after= gives up to 100 ascending; before= and the default give the latest 20. */
  listMessages(conversation: ConversationRecord, params: Params): MessageRecord[] {
    let messages = [...conversation.messages].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    if (!isBlank(params.filter_internal_messages)) {
      messages = messages.filter((message) => !message.private && message.messageType !== 'activity');
    }
    const after = isBlank(params.after) ? null : (integerParam(params.after) ?? 0);
    const before = isBlank(params.before) ? null : (integerParam(params.before) ?? 0);
    if (after !== null && before !== null) {
      return messages.filter((message) => message.id >= after && message.id < before).slice(0, 1000);
    }
    if (before !== null)
      return messages.filter((message) => message.id < before).slice(-CHATWOOT_LIMITS.messagesLatestPage);
    if (after !== null) {
      return messages.filter((message) => message.id > after).slice(0, CHATWOOT_LIMITS.messagesAfterPage);
    }
    return messages.slice(-CHATWOOT_LIMITS.messagesLatestPage);
  }

  // ----- labels, teams, agents, canned responses

  createLabel(account: AccountRecord, params: Params, actor: ActingUser): LabelRecord {
    this.requireAdministrator(actor);
    const title = (stringParam(params.title) ?? '').toLowerCase();
    const validation = new Validation();
    if (isBlank(title)) validation.add('title', 'must not be blank');
    else if (!LABEL_TITLE.test(title)) validation.add('title', 'is invalid');
    if (account.labels.some((label) => label.title === title))
      validation.add('title', 'has already been taken');
    validation.maxLength('title', title, CHATWOOT_LIMITS.shortStringChars);
    validation.check();
    const label: LabelRecord = {
      id: this.nextId('label'),
      title,
      description: stringParam(params.description),
      color: stringParam(params.color) ?? '#1f93ff',
      showOnSidebar: booleanParam(params.show_on_sidebar) ?? false,
      createdAt: this.now(),
    };
    account.labels.push(label);
    return label;
  }

  createTeam(account: AccountRecord, params: Params, actor: ActingUser): TeamRecord {
    this.requireAdministrator(actor);
    const name = (stringParam(params.name) ?? '').toLowerCase();
    const validation = new Validation();
    if (isBlank(name)) validation.add('name', 'must not be blank');
    if (account.teams.some((team) => team.name === name)) validation.add('name', 'has already been taken');
    validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
    validation.check();
    const team: TeamRecord = {
      id: this.nextId('team'),
      accountId: account.id,
      name,
      description: stringParam(params.description),
      allowAutoAssign: booleanParam(params.allow_auto_assign) ?? true,
      memberIds: [],
      createdAt: this.now(),
    };
    account.teams.push(team);
    return team;
  }

  addTeamMembers(account: AccountRecord, team: TeamRecord, params: Params, actor: ActingUser): UserRecord[] {
    this.requireAdministrator(actor);
    if (!Array.isArray(params.user_ids))
      throw couldNotCreate('param is missing or the value is empty: user_ids');
    const ids = params.user_ids.map((id) => integerParam(id));
    if (ids.some((id) => id === null || !account.members.has(id))) {
      throw new RecordInvalidError([{ attribute: 'user', message: 'must exist' }]);
    }
    const added: UserRecord[] = [];
    for (const id of ids) {
      if (id === null) continue;
      if (!team.memberIds.includes(id)) team.memberIds.push(id);
      const user = this.users.get(id);
      if (user) added.push(user);
    }
    return added;
  }

  teamMembers(team: TeamRecord): UserRecord[] {
    return team.memberIds
      .map((id) => this.users.get(id))
      .filter((user): user is UserRecord => user !== undefined);
  }

  /** AgentBuilder: finds or creates the user by e-mail, then adds it to the account. */
  createAgent(
    account: AccountRecord,
    params: Params,
    actor: ActingUser,
  ): { user: UserRecord; role: UserRole } {
    this.requireAdministrator(actor);
    const name = stringParam(params.name) ?? '';
    const email = (stringParam(params.email) ?? '').trim().toLowerCase();
    const role = enumParam(['agent', 'administrator'] as const, params.role ?? 'agent', 'role');
    const validation = new Validation();
    validation.presence('name', name);
    validation.presence('email', email);
    if (email !== '' && !DEVISE_EMAIL.test(email)) validation.add('email', 'is invalid');
    validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
    validation.check();
    let user = [...this.users.values()].find((candidate) => candidate.email === email);
    if (user && account.members.has(user.id)) {
      throw new RecordInvalidError([{ attribute: 'user_id', message: 'has already been taken' }]);
    }
    if (!user) {
      user = {
        id: this.nextId('user'),
        name,
        displayName: null,
        email,
        accessToken: randomBytes(18).toString('base64url'),
        createdAt: this.now(),
      };
      this.users.set(user.id, user);
    }
    account.members.set(user.id, role);
    return { user, role };
  }

  createCannedResponse(account: AccountRecord, params: Params): CannedResponseRecord {
    const shortCode = stringParam(params.short_code) ?? '';
    const content = stringParam(params.content) ?? '';
    const validation = new Validation();
    validation.presence('short_code', shortCode);
    validation.presence('content', content);
    if (account.cannedResponses.some((canned) => canned.shortCode === shortCode)) {
      validation.add('short_code', 'has already been taken');
    }
    validation.maxLength('short_code', shortCode, CHATWOOT_LIMITS.shortStringChars);
    validation.maxLength('content', content, CHATWOOT_LIMITS.longTextChars);
    validation.check();
    const now = this.now();
    const canned: CannedResponseRecord = {
      id: this.nextId('canned_response'),
      accountId: account.id,
      shortCode,
      content,
      createdAt: now,
      updatedAt: now,
    };
    account.cannedResponses.push(canned);
    return canned;
  }

  // ----- help center

  createPortal(account: AccountRecord, params: Params, actor: ActingUser): PortalRecord {
    this.requireAdministrator(actor);
    const name = stringParam(params.name) ?? '';
    const slug = stringParam(params.slug) ?? '';
    const customDomain = stringParam(params.custom_domain);
    const validation = new Validation();
    validation.presence('name', name);
    validation.presence('slug', slug);
    validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
    const allPortals = [...this.accounts.values()].flatMap((candidate) => candidate.portals);
    if (slug !== '' && allPortals.some((portal) => portal.slug === slug))
      validation.add('slug', 'has already been taken');
    if (!isBlank(customDomain) && allPortals.some((portal) => portal.customDomain === customDomain)) {
      validation.add('custom_domain', 'has already been taken');
    }
    validation.check();
    const portal: PortalRecord = {
      id: this.nextId('portal'),
      accountId: account.id,
      name,
      slug,
      color: stringParam(params.color),
      customDomain: isBlank(customDomain) ? null : customDomain,
      headerText: stringParam(params.header_text),
      homepageLink: stringParam(params.homepage_link),
      pageTitle: stringParam(params.page_title),
      archived: booleanParam(params.archived) ?? false,
      config: objectParam(params.config) ?? { allowed_locales: ['en'], default_locale: 'en' },
      createdAt: this.now(),
      categories: [],
      articles: [],
    };
    account.portals.push(portal);
    return portal;
  }

  createCategory(
    account: AccountRecord,
    portal: PortalRecord,
    params: Params,
    actor: ActingUser,
  ): CategoryRecord {
    this.requireAdministrator(actor);
    const name = stringParam(params.name) ?? '';
    const slug = stringParam(params.slug) ?? '';
    const locale = stringParam(params.locale) ?? 'en';
    const validation = new Validation();
    validation.presence('name', name);
    validation.presence('slug', slug);
    validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
    if (portal.categories.some((category) => category.slug === slug && category.locale === locale)) {
      validation.add('locale', 'should be unique in the category and portal');
    }
    validation.check();
    const category: CategoryRecord = {
      id: this.nextId('category'),
      portalId: portal.id,
      accountId: account.id,
      name,
      slug,
      locale,
      description: stringParam(params.description),
      position: integerParam(params.position),
      parentCategoryId: integerParam(params.parent_category_id),
      associatedCategoryId: integerParam(params.associated_category_id),
      createdAt: this.now(),
    };
    portal.categories.push(category);
    return category;
  }

  createArticle(account: AccountRecord, portal: PortalRecord, params: Params): ArticleRecord {
    const title = stringParam(params.title) ?? '';
    const content = stringParam(params.content);
    const authorId = integerParam(params.author_id);
    const categoryId = isBlank(params.category_id) ? null : integerParam(params.category_id);
    const status = isBlank(params.status) ? 'draft' : enumParam(ARTICLE_STATUSES, params.status, 'status');
    const validation = new Validation();
    if (authorId === null || !account.members.has(authorId)) validation.add('author', 'must exist');
    validation.presence('title', title);
    validation.maxLength('title', title, CHATWOOT_LIMITS.shortStringChars);
    validation.maxLength('content', content, CHATWOOT_LIMITS.longTextChars);
    if (categoryId !== null && !portal.categories.some((category) => category.id === categoryId)) {
      validation.add('category', 'must exist');
    }
    validation.check();
    const now = this.now();
    const slug = isBlank(params.slug)
      ? `${Math.floor(now / 1000)}-${parameterize(title)}`
      : (stringParam(params.slug) as string);
    const article: ArticleRecord = {
      id: this.nextId('article'),
      portalId: portal.id,
      accountId: account.id,
      categoryId,
      authorId: authorId ?? 0,
      title,
      slug,
      content,
      description: stringParam(params.description),
      status,
      position: integerParam(params.position),
      locale:
        stringParam(params.locale) ??
        portal.categories.find((category) => category.id === categoryId)?.locale ??
        'en',
      meta: objectParam(params.meta) ?? {},
      views: 0,
      createdAt: now,
      updatedAt: now,
    };
    portal.articles.push(article);
    return article;
  }

  // ----- CSAT

  /** Seeds survey answers (the sandbox cannot run the survey page); see POST /__sandbox/csat. */
  seedCsat(params: Params): CsatResponseRecord[] {
    const account = this.account(integerParam(params.account_id) ?? 1);
    const responses = Array.isArray(params.responses) ? params.responses : [];
    const created: CsatResponseRecord[] = [];
    for (const entry of responses) {
      const item: Params = isPlainObject(entry) ? entry : {};
      const conversation = this.conversation(account, item.conversation_id);
      const rating = integerParam(item.rating);
      if (rating === null || rating < 1 || rating > 5) {
        throw new ChatwootApiError(422, { error: 'rating must be an integer from 1 to 5' });
      }
      const record: CsatResponseRecord = {
        id: this.nextId('csat_survey_response'),
        accountId: account.id,
        conversationId: conversation.id,
        conversationDisplayId: conversation.displayId,
        inboxId: conversation.inboxId,
        teamId: conversation.teamId,
        contactId: conversation.contactId,
        assignedAgentId: has(item, 'assigned_agent_id')
          ? integerParam(item.assigned_agent_id)
          : conversation.assigneeId,
        messageId: null,
        rating,
        feedbackMessage: stringParam(item.feedback_message),
        createdAt: this.parseTime(item.created_at) ?? this.now(),
      };
      account.csatResponses.push(record);
      created.push(record);
    }
    const unanswered = integerParam(params.sent_without_response) ?? 0;
    for (let index = 0; index < unanswered; index++) {
      account.csatSentWithoutResponse.push({ createdAt: this.now(), inboxId: null });
    }
    return created;
  }

  filterCsat(account: AccountRecord, params: Params): CsatResponseRecord[] {
    const since = this.parseTime(params.since);
    const until = this.parseTime(params.until);
    const list = (value: unknown): number[] | null => {
      if (isBlank(value)) return null;
      const values = Array.isArray(value) ? value : [value];
      return values.map((item) => integerParam(item)).filter((item): item is number => item !== null);
    };
    const inboxIds = list(params.inbox_id);
    const teamIds = list(params.team_id);
    const agentIds = list(params.user_ids);
    const ratings = list(params.rating);
    return account.csatResponses
      .filter(
        (response) =>
          (since === null ||
            until === null ||
            (response.createdAt >= since && response.createdAt <= until)) &&
          (inboxIds === null || inboxIds.includes(response.inboxId)) &&
          (teamIds === null || (response.teamId !== null && teamIds.includes(response.teamId))) &&
          (agentIds === null ||
            (response.assignedAgentId !== null && agentIds.includes(response.assignedAgentId))) &&
          (ratings === null || ratings.includes(response.rating)),
      )
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  }

  csatSentCount(account: AccountRecord, params: Params): number {
    const since = this.parseTime(params.since);
    const until = this.parseTime(params.until);
    const inRange = (time: number) => since === null || until === null || (time >= since && time <= until);
    return (
      account.csatResponses.filter((response) => inRange(response.createdAt)).length +
      account.csatSentWithoutResponse.filter((sent) => inRange(sent.createdAt)).length
    );
  }

  // ----- dump

  dump(): SandboxDump {
    const seconds = (time: number) => Math.floor(time / 1000);
    const accounts = [...this.accounts.values()].map(
      (account): DumpAccount => ({
        id: account.id,
        name: account.name,
        users: this.accountUsers(account).map(({ user, role }) => ({
          id: user.id,
          name: user.name,
          email: user.email,
          role,
        })),
        inboxes: account.inboxes.map((inbox) => ({
          id: inbox.id,
          name: inbox.name,
          channel_type: inbox.channelType,
          webhook_url: inbox.webhookUrl,
          enable_auto_assignment: inbox.enableAutoAssignment,
          csat_survey_enabled: inbox.csatSurveyEnabled,
          greeting_enabled: inbox.greetingEnabled,
        })),
        contacts: account.contacts.map((contact) => ({
          id: contact.id,
          name: contact.name,
          email: contact.email,
          phone_number: contact.phoneNumber,
          identifier: contact.identifier,
          additional_attributes: structuredClone(contact.additionalAttributes),
          custom_attributes: structuredClone(contact.customAttributes),
          blocked: contact.blocked,
          created_at: seconds(contact.createdAt),
          contact_inboxes: this.contactInboxesOf(account, contact.id).map((contactInbox) => ({
            inbox_id: contactInbox.inboxId,
            source_id: contactInbox.sourceId,
          })),
        })),
        conversations: account.conversations.map((conversation) => ({
          id: conversation.displayId,
          display_id: conversation.displayId,
          inbox_id: conversation.inboxId,
          contact_id: conversation.contactId,
          contact_inbox_source_id:
            account.contactInboxes.find((contactInbox) => contactInbox.id === conversation.contactInboxId)
              ?.sourceId ?? '',
          status: conversation.status,
          assignee_id: conversation.assigneeId,
          team_id: conversation.teamId,
          labels: [...conversation.labels],
          custom_attributes: structuredClone(conversation.customAttributes),
          additional_attributes: structuredClone(conversation.additionalAttributes),
          created_at: seconds(conversation.createdAt),
          messages: [...conversation.messages]
            .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
            .map((message) => ({
              id: message.id,
              content: message.content,
              message_type: message.messageType,
              content_type: message.contentType,
              private: message.private,
              source_id: message.sourceId,
              sender: message.sender
                ? {
                    type: message.sender.type === 'User' ? ('user' as const) : ('contact' as const),
                    id: message.sender.id,
                  }
                : null,
              created_at: seconds(message.createdAt),
              content_attributes: structuredClone(message.contentAttributes),
              attachments: message.attachments.map((attachment) => ({
                id: attachment.id,
                file_name: attachment.fileName,
                size: attachment.size,
                sha256: attachment.sha256,
                content_type: attachment.contentType,
                file_type: attachment.fileType,
              })),
            })),
        })),
        labels: account.labels.map((label) => ({
          id: label.id,
          title: label.title,
          description: label.description,
          color: label.color,
          show_on_sidebar: label.showOnSidebar,
        })),
        teams: account.teams.map((team) => ({
          id: team.id,
          name: team.name,
          description: team.description,
          member_ids: [...team.memberIds],
        })),
        custom_attribute_definitions: account.customAttributeDefinitions.map((definition) => ({
          id: definition.id,
          attribute_key: definition.attributeKey,
          attribute_display_name: definition.attributeDisplayName,
          attribute_display_type: definition.attributeDisplayType,
          attribute_model: definition.attributeModel,
          attribute_values: structuredClone(definition.attributeValues),
        })),
        canned_responses: account.cannedResponses.map((canned) => ({
          id: canned.id,
          short_code: canned.shortCode,
          content: canned.content,
        })),
        portals: account.portals.map((portal) => ({
          id: portal.id,
          name: portal.name,
          slug: portal.slug,
          categories: portal.categories.map((category) => ({
            id: category.id,
            name: category.name,
            slug: category.slug,
            locale: category.locale,
            description: category.description,
          })),
          articles: portal.articles.map((article) => ({
            id: article.id,
            title: article.title,
            slug: article.slug,
            content: article.content,
            description: article.description,
            status: article.status,
            category_id: article.categoryId,
            author_id: article.authorId,
          })),
        })),
        csat_survey_responses: account.csatResponses.map((response) => ({
          id: response.id,
          conversation_id: response.conversationDisplayId,
          rating: response.rating,
          feedback_message: response.feedbackMessage,
        })),
      }),
    );
    return { accounts };
  }
}

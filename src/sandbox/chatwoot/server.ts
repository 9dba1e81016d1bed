/**
 * The Chatwoot sandbox's HTTP face: the application API of Chatwoot 4.10 under /api/v1, with its
 * authentication, status codes and error bodies, Rack::Attack's throttle, fault injection, and the
 * sandbox's own /__sandbox control routes (no auth, never throttled or faulted).
 *
 * Request bodies are read as JSON, url-encoded forms or multipart/form-data; files are reduced to
 * name, type, size and sha256 as they are parsed, so uploads cost no memory after the request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultConfig, FaultInjector } from '../faults.js';
import {
  type AccountRecord,
  type ActingUser,
  type ArticleRecord,
  type CategoryRecord,
  CHATWOOT_LIMITS,
  ChatwootApiError,
  ChatwootState,
  type ContactInboxRecord,
  type ContactRecord,
  type ConversationRecord,
  type CsatResponseRecord,
  type CustomAttributeDefinitionRecord,
  type InboxRecord,
  integerParam,
  isBlank,
  isUploadedFile,
  type JsonObject,
  type JsonValue,
  type LabelRecord,
  MESSAGE_TYPES,
  type MessageRecord,
  type Params,
  type PortalRecord,
  RecordInvalidError,
  RecordNotUniqueError,
  RubyStandardError,
  type SandboxAccountSeed,
  type SandboxDump,
  type TeamRecord,
  type UploadedFile,
  type UserRecord,
  type UserRole,
} from './state.js';

export interface ChatwootSandboxOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  accounts?: readonly SandboxAccountSeed[];
  faults?: Partial<FaultConfig>;
  /** Rack::Attack 'req/ip' (RACK_ATTACK_LIMIT): requests per IP per clock minute. */
  throttlePerMinute?: number;
  /** Rack::Attack on /contacts/search (RATE_LIMIT_CONTACT_SEARCH): per account per clock minute. */
  contactSearchPerMinute?: number;
  /** CONVERSATION_MESSAGE_PER_MINUTE_LIMIT. */
  floodLimitPerMinute?: number;
  /** How long a contact insert stays uncommitted (the window for the duplicate-insert 500). */
  writeLatencyMs?: number;
  /** Epoch milliseconds. */
  now?: () => number;
  /**
   * Told the arrival time of every API request, as Rack::Attack counts them: the benchmark finds the
   * busiest second from these exactly instead of from sampled counters.
   */
  onApiRequest?: (atMs: number) => void;
}

export interface SandboxStats {
  requests: number;
  byRoute: Record<string, number>;
  throttled: number;
}

export interface ChatwootSandbox {
  url: string;
  port: number;
  state: ChatwootState;
  faults: FaultInjector;
  stats: SandboxStats;
  dump(): SandboxDump;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 256 * 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

interface Reply {
  status: number;
  body: JsonValue;
}

const ok = (body: JsonValue): Reply => ({ status: 200, body });

/** Errors a Rails app answers outside any controller. */
class PlainResponse extends Error {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly text: string,
  ) {
    super(`${status} ${text}`);
  }
}

const internalServerError = { status: 500, error: 'Internal Server Error' } as const;

// ---------------------------------------------------------------------------------------------
// Request parsing.

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rack's nested parameter names: a[b], a[], a[][b]. */
function assignNested(target: Record<string, unknown>, key: string, value: unknown): void {
  const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
  if (!match) {
    target[key] = value;
    return;
  }
  const path = [
    match[1] ?? '',
    ...[...(match[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((part) => part[1] ?? ''),
  ];
  let node: Record<string, unknown> | unknown[] = target;
  for (let index = 0; index < path.length; index++) {
    const segment = path[index] ?? '';
    const last = index === path.length - 1;
    const nextSegment = path[index + 1];
    if (segment === '') {
      if (!Array.isArray(node)) return;
      if (last) {
        node.push(value);
        return;
      }
      let element: unknown = node.at(-1);
      if (!isPlainObject(element) || (nextSegment !== undefined && nextSegment in element)) {
        element = {};
        node.push(element);
      }
      node = element as Record<string, unknown>;
      continue;
    }
    if (Array.isArray(node)) return;
    if (last) {
      node[segment] = value;
      return;
    }
    const existing: unknown = node[segment];
    if (nextSegment === '') {
      if (!Array.isArray(existing)) node[segment] = [];
    } else if (!isPlainObject(existing)) {
      node[segment] = {};
    }
    node = node[segment] as Record<string, unknown> | unknown[];
  }
}

function parseSearchParams(search: URLSearchParams): Params {
  const params: Params = {};
  for (const [key, value] of search) assignNested(params, key, value);
  return params;
}

function headerParameters(header: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of header.matchAll(/;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const name = (part[1] ?? '').toLowerCase();
    let value = (part[2] ?? '').trim();
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    parameters.set(name, value);
  }
  return parameters;
}

const badRequest = (): ChatwootApiError => new ChatwootApiError(400, { status: 400, error: 'Bad Request' });

/** multipart/form-data (RFC 7578), with each file reduced to its size and sha256. */
export function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position < 0) throw badRequest();
  for (;;) {
    position += delimiter.length;
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break;
    while (body[position] === 0x20 || body[position] === 0x09) position++;
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) throw badRequest();
    position += 2;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) throw badRequest();
    const headers = new Map<string, string>();
    for (const line of body.subarray(position, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const contentStart = headerEnd + 4;
    const contentEnd = body.indexOf(nextDelimiter, contentStart);
    if (contentEnd < 0) throw badRequest();
    const content = body.subarray(contentStart, contentEnd);
    const disposition = headers.get('content-disposition') ?? '';
    const dispositionParams = headerParameters(disposition);
    const name = dispositionParams.get('name');
    if (name !== undefined) {
      const extendedName = dispositionParams.get('filename*');
      let fileName = dispositionParams.get('filename');
      if (extendedName !== undefined) {
        const encoded = /^[^']*'[^']*'(.*)$/.exec(extendedName)?.[1];
        if (encoded !== undefined) fileName = decodeURIComponent(encoded);
      }
      if (fileName !== undefined) {
        const file: UploadedFile = {
          fileName,
          contentType:
            (headers.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() ?? '',
          size: content.length,
          sha256: createHash('sha256').update(content).digest('hex'),
        };
        assignNested(params, name, file);
      } else {
        assignNested(params, name, content.toString('utf8'));
      }
    }
    position = contentEnd + 2;
  }
  return params;
}

function parseBody(raw: Buffer, contentType: string): Params {
  if (raw.length === 0) return {};
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest();
    }
    return isPlainObject(parsed) ? parsed : { _json: parsed };
  }
  if (mediaType === 'multipart/form-data') {
    const boundary = headerParameters(contentType).get('boundary');
    if (!boundary) throw badRequest();
    return parseMultipart(raw, boundary);
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return parseSearchParams(new URLSearchParams(raw.toString('utf8')));
  }
  return {};
}

/** Whether `test` holds for any string in a parsed body, object keys and uploaded file names included. */
function findText(value: unknown, test: (text: string) => boolean): boolean {
  if (typeof value === 'string') return test(value);
  if (Array.isArray(value)) return value.some((element) => findText(element, test));
  if (isPlainObject(value)) {
    return Object.entries(value).some(([key, element]) => test(key) || findText(element, test));
  }
  return false;
}

/** Node encodes a lone surrogate as U+FFFD in UTF-8: a string that does not survive the trip has one. */
const hasLoneSurrogate = (text: string): boolean => Buffer.from(text, 'utf8').toString('utf8') !== text;
const hasNul = (text: string): boolean => text.includes('\u0000');

/**
 * Text Rails on PostgreSQL cannot take, refused as Chatwoot refuses it:
 * - a lone surrogate (a "\ud83d" escape in JSON): the json gem raises JSON::ParserError on it (2.14
 *   and later, https://github.com/ruby/json/issues/869) or turns it into bytes that are not UTF-8
 *   (https://github.com/ruby/json/issues/1069), which Rails' check_param_encoding refuses; either way
 *   400 `{"status":400,"error":"Bad Request"}`, before any write;
 * - U+0000: valid JSON and UTF-8, so it reaches the database, which cannot store it: the pg gem
 *   raises "ArgumentError: string contains null byte" for text (https://github.com/ged/ruby-pg/issues/198,
 *   seen by Chatwoot in https://github.com/chatwoot/chatwoot/pull/7901) and jsonb refuses "\u0000";
 *   nothing rescues either, so 500 `{"status":500,"error":"Internal Server Error"}`.
 */
function refuseUnstorableText(body: Params): void {
  if (findText(body, hasLoneSurrogate)) throw badRequest();
  if (findText(body, hasNul)) throw new RubyStandardError('ArgumentError: string contains null byte');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new PlainResponse(413, 'text/plain; charset=utf-8', 'Payload Too Large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Views: the jbuilder templates, field for field where it matters to a client.

const seconds = (time: number | null): number => (time === null ? 0 : Math.floor(time / 1000));
const iso = (time: number | null): string | null => (time === null ? null : new Date(time).toISOString());

class Views {
  constructor(
    private readonly state: ChatwootState,
    private readonly baseUrl: () => string,
  ) {}

  userPush(user: UserRecord): JsonObject {
    return {
      id: user.id,
      name: user.name,
      available_name: user.displayName ?? user.name,
      avatar_url: '',
      type: 'user',
      availability_status: 'offline',
      thumbnail: '',
    };
  }

  agent(account: AccountRecord, user: UserRecord): JsonObject {
    return {
      id: user.id,
      account_id: account.id,
      availability_status: 'offline',
      auto_offline: true,
      confirmed: true,
      email: user.email,
      available_name: user.displayName ?? user.name,
      name: user.name,
      role: account.members.get(user.id) ?? 'agent',
      thumbnail: '',
    };
  }

  profile(user: UserRecord): JsonObject {
    const memberships = [...this.state.accounts.values()].filter((account) => account.members.has(user.id));
    const first = memberships[0];
    return {
      id: user.id,
      access_token: user.accessToken,
      account_id: first?.id ?? null,
      available_name: user.displayName ?? user.name,
      avatar_url: '',
      confirmed: true,
      display_name: user.displayName,
      message_signature: null,
      email: user.email,
      hmac_identifier: '',
      inviter_id: null,
      name: user.name,
      provider: 'email',
      pubsub_token: createHash('sha256').update(`pubsub:${user.id}`).digest('hex').slice(0, 24),
      role: first?.members.get(user.id) ?? 'agent',
      ui_settings: {},
      uid: user.email,
      type: null,
      custom_attributes: {},
      accounts: memberships.map((account) => ({
        id: account.id,
        name: account.name,
        status: 'active',
        active_at: iso(user.createdAt),
        role: account.members.get(user.id) ?? 'agent',
        permissions: [account.members.get(user.id) ?? 'agent'],
        availability: 'offline',
        availability_status: 'offline',
        auto_offline: true,
        custom_role_id: null,
        custom_role: null,
      })),
    };
  }

  inboxSlim(inbox: InboxRecord): JsonObject {
    return {
      id: inbox.id,
      avatar_url: '',
      channel_id: inbox.channelId,
      name: inbox.name,
      channel_type: inbox.channelType,
      provider: null,
    };
  }

  /** `render json: inbox`: the model's columns, as in the contact create response. */
  inboxModel(inbox: InboxRecord): JsonObject {
    return {
      id: inbox.id,
      channel_id: inbox.channelId,
      account_id: inbox.accountId,
      name: inbox.name,
      created_at: iso(inbox.createdAt),
      updated_at: iso(inbox.createdAt),
      channel_type: inbox.channelType,
      enable_auto_assignment: inbox.enableAutoAssignment,
      greeting_enabled: inbox.greetingEnabled,
      greeting_message: inbox.greetingMessage,
      email_address: null,
      working_hours_enabled: inbox.workingHoursEnabled,
      out_of_office_message: inbox.outOfOfficeMessage,
      timezone: inbox.timezone,
      enable_email_collect: inbox.enableEmailCollect,
      csat_survey_enabled: inbox.csatSurveyEnabled,
      allow_messages_after_resolved: inbox.allowMessagesAfterResolved,
      auto_assignment_config: {},
      lock_to_single_conversation: inbox.lockToSingleConversation,
      portal_id: null,
      sender_name_type: inbox.senderNameType,
      business_name: inbox.businessName,
    };
  }

  inbox(inbox: InboxRecord): JsonObject {
    const api = inbox.channelType === 'Channel::Api';
    const widget = inbox.channelType === 'Channel::WebWidget';
    return {
      id: inbox.id,
      avatar_url: '',
      channel_id: inbox.channelId,
      name: inbox.name,
      channel_type: inbox.channelType,
      greeting_enabled: inbox.greetingEnabled,
      greeting_message: inbox.greetingMessage,
      working_hours_enabled: inbox.workingHoursEnabled,
      enable_email_collect: inbox.enableEmailCollect,
      csat_survey_enabled: inbox.csatSurveyEnabled,
      csat_config: {},
      enable_auto_assignment: inbox.enableAutoAssignment,
      auto_assignment_config: {},
      out_of_office_message: inbox.outOfOfficeMessage,
      working_hours: [],
      timezone: inbox.timezone,
      callback_webhook_url: null,
      allow_messages_after_resolved: inbox.allowMessagesAfterResolved,
      lock_to_single_conversation: inbox.lockToSingleConversation,
      sender_name_type: inbox.senderNameType,
      business_name: inbox.businessName,
      widget_color: inbox.widgetColor,
      website_url: inbox.websiteUrl,
      hmac_mandatory: false,
      welcome_title: inbox.welcomeTitle,
      welcome_tagline: inbox.welcomeTagline,
      web_widget_script: widget ? `<script>/* ${inbox.inboxIdentifier} */</script>` : null,
      website_token: widget ? inbox.inboxIdentifier : null,
      selected_feature_flags: [],
      reply_time: 'in_a_few_minutes',
      messaging_service_sid: null,
      phone_number: null,
      hmac_token: inbox.hmacToken,
      webhook_url: api ? inbox.webhookUrl : null,
      inbox_identifier: api ? inbox.inboxIdentifier : null,
      additional_attributes: {},
      provider: null,
    };
  }

  contactInbox(contactInbox: ContactInboxRecord): JsonObject {
    const inbox = this.state.inboxById(contactInbox.inboxId);
    return { source_id: contactInbox.sourceId, inbox: inbox ? this.inboxSlim(inbox) : null };
  }

  contact(account: AccountRecord, contact: ContactRecord, withContactInboxes: boolean): JsonObject {
    const view: JsonObject = {
      additional_attributes: contact.additionalAttributes,
      availability_status: 'offline',
      email: contact.email,
      id: contact.id,
      name: contact.name,
      phone_number: contact.phoneNumber,
      blocked: contact.blocked,
      identifier: contact.identifier,
      thumbnail: '',
      custom_attributes: contact.customAttributes,
    };
    if (contact.lastActivityAt !== null) view.last_activity_at = seconds(contact.lastActivityAt);
    view.created_at = seconds(contact.createdAt);
    if (withContactInboxes) {
      view.contact_inboxes = this.state
        .contactInboxesOf(account, contact.id)
        .map((contactInbox) => this.contactInbox(contactInbox));
    }
    return view;
  }

  contactPush(contact: ContactRecord): JsonObject {
    return {
      additional_attributes: contact.additionalAttributes,
      custom_attributes: contact.customAttributes,
      email: contact.email,
      id: contact.id,
      identifier: contact.identifier,
      name: contact.name,
      phone_number: contact.phoneNumber,
      thumbnail: '',
      blocked: contact.blocked,
      type: 'contact',
    };
  }

  private senderPush(account: AccountRecord, message: MessageRecord): JsonObject | null {
    if (!message.sender) return null;
    if (message.sender.type === 'User') {
      const user = this.state.users.get(message.sender.id);
      return user ? this.userPush(user) : null;
    }
    const contact = this.state.contactById(account, message.sender.id);
    return contact ? this.contactPush(contact) : null;
  }

  private attachments(message: MessageRecord): JsonObject[] {
    return message.attachments.map((attachment) => {
      const extension = /\.([^.]+)$/.exec(attachment.fileName)?.[1] ?? null;
      return {
        id: attachment.id,
        message_id: attachment.messageId,
        file_type: attachment.fileType,
        account_id: attachment.accountId,
        extension,
        data_url: `${this.baseUrl()}/rails/active_storage/blobs/redirect/${attachment.id}/${encodeURIComponent(attachment.fileName)}`,
        thumb_url: '',
        file_size: attachment.size,
        width: null,
        height: null,
      };
    });
  }

  /** api/v1/models/_message. */
  message(account: AccountRecord, conversation: ConversationRecord, message: MessageRecord): JsonObject {
    const view: JsonObject = {
      id: message.id,
      content: message.content,
      inbox_id: message.inboxId,
      conversation_id: conversation.displayId,
      message_type: MESSAGE_TYPES.indexOf(message.messageType),
      content_type: message.contentType,
      status: message.status,
      content_attributes: message.contentAttributes,
      created_at: seconds(message.createdAt),
      private: message.private,
      source_id: message.sourceId,
      sender: this.senderPush(account, message),
    };
    if (message.attachments.length > 0) view.attachments = this.attachments(message);
    return view;
  }

  /** Message#push_event_data, embedded in conversations. */
  messagePush(account: AccountRecord, conversation: ConversationRecord, message: MessageRecord): JsonObject {
    const contactInbox = account.contactInboxes.find(
      (candidate) => candidate.id === conversation.contactInboxId,
    );
    const view: JsonObject = {
      id: message.id,
      content: message.content,
      account_id: message.accountId,
      inbox_id: message.inboxId,
      conversation_id: conversation.displayId,
      message_type: MESSAGE_TYPES.indexOf(message.messageType),
      created_at: seconds(message.createdAt),
      updated_at: iso(message.updatedAt),
      private: message.private,
      status: message.status,
      source_id: message.sourceId,
      content_type: message.contentType,
      content_attributes: message.contentAttributes,
      sender_type: message.sender?.type ?? null,
      sender_id: message.sender?.id ?? null,
      external_source_ids: {},
      additional_attributes: message.additionalAttributes,
      processed_message_content: message.content,
      sentiment: {},
      conversation: {
        assignee_id: conversation.assigneeId,
        unread_count: conversation.messages.filter((candidate) => candidate.messageType === 'incoming')
          .length,
        last_activity_at: seconds(conversation.lastActivityAt),
        contact_inbox: contactInbox ? { source_id: contactInbox.sourceId } : {},
      },
    };
    if (message.attachments.length > 0) view.attachments = this.attachments(message);
    const sender = this.senderPush(account, message);
    if (sender) view.sender = sender;
    return view;
  }

  team(account: AccountRecord, team: TeamRecord, actor: ActingUser): JsonObject {
    return {
      id: team.id,
      name: team.name,
      description: team.description,
      allow_auto_assign: team.allowAutoAssign,
      account_id: account.id,
      is_member: team.memberIds.includes(actor.user.id),
    };
  }

  teamModel(team: TeamRecord): JsonObject {
    return {
      id: team.id,
      name: team.name,
      description: team.description,
      allow_auto_assign: team.allowAutoAssign,
      account_id: team.accountId,
      created_at: iso(team.createdAt),
      updated_at: iso(team.createdAt),
    };
  }

  /** api/v1/conversations/partials/_conversation. */
  conversation(account: AccountRecord, conversation: ConversationRecord, actor: ActingUser): JsonObject {
    const contact = this.state.contactById(account, conversation.contactId);
    const inbox = this.state.inboxById(conversation.inboxId);
    const meta: JsonObject = {
      sender: contact ? this.contact(account, contact, false) : null,
      channel: inbox?.channelType ?? null,
    };
    const assignee =
      conversation.assigneeId === null ? undefined : this.state.users.get(conversation.assigneeId);
    if (assignee) meta.assignee = this.agent(account, assignee);
    const team = account.teams.find((candidate) => candidate.id === conversation.teamId);
    if (team) meta.team = this.team(account, team, actor);
    meta.hmac_verified = false;
    const ordered = [...conversation.messages].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    const last = ordered.at(-1);
    const lastNonActivity = [...ordered].reverse().find((message) => message.messageType !== 'activity');
    return {
      meta,
      id: conversation.displayId,
      messages: last ? [this.messagePush(account, conversation, last)] : [],
      account_id: account.id,
      uuid: conversation.uuid,
      additional_attributes: conversation.additionalAttributes,
      agent_last_seen_at: 0,
      assignee_last_seen_at: 0,
      can_reply: true,
      contact_last_seen_at: 0,
      custom_attributes: conversation.customAttributes,
      inbox_id: conversation.inboxId,
      labels: conversation.labels,
      muted: false,
      snoozed_until: iso(conversation.snoozedUntil),
      status: conversation.status,
      created_at: seconds(conversation.createdAt),
      updated_at: conversation.updatedAt / 1000,
      timestamp: seconds(conversation.lastActivityAt),
      first_reply_created_at: seconds(conversation.firstReplyCreatedAt),
      unread_count: conversation.messages.filter((message) => message.messageType === 'incoming').length,
      last_non_activity_message: lastNonActivity
        ? this.messagePush(account, conversation, lastNonActivity)
        : null,
      last_activity_at: seconds(conversation.lastActivityAt),
      priority: conversation.priority,
      waiting_since: 0,
      sla_policy_id: null,
    };
  }

  customAttributeDefinition(definition: CustomAttributeDefinitionRecord): JsonObject {
    return {
      id: definition.id,
      attribute_display_name: definition.attributeDisplayName,
      attribute_display_type: definition.attributeDisplayType,
      attribute_description: definition.attributeDescription,
      attribute_key: definition.attributeKey,
      regex_pattern: definition.regexPattern,
      regex_cue: definition.regexCue,
      attribute_values: definition.attributeValues,
      attribute_model: definition.attributeModel,
      default_value: definition.defaultValue,
      created_at: iso(definition.createdAt),
      updated_at: iso(definition.updatedAt),
    };
  }

  label(label: LabelRecord): JsonObject {
    return {
      id: label.id,
      title: label.title,
      description: label.description,
      color: label.color,
      show_on_sidebar: label.showOnSidebar,
    };
  }

  portal(portal: PortalRecord): JsonObject {
    const count = (status: ArticleRecord['status']) =>
      portal.articles.filter((article) => article.status === status).length;
    const config = portal.config;
    return {
      id: portal.id,
      archived: portal.archived,
      color: portal.color,
      config,
      custom_domain: portal.customDomain,
      header_text: portal.headerText,
      homepage_link: portal.homepageLink,
      name: portal.name,
      page_title: portal.pageTitle,
      slug: portal.slug,
      account_id: portal.accountId,
      inbox: null,
      logo: null,
      meta: {
        all_articles_count: portal.articles.length,
        archived_articles_count: count('archived'),
        published_count: count('published'),
        draft_articles_count: count('draft'),
        categories_count: portal.categories.length,
        default_locale: typeof config.default_locale === 'string' ? config.default_locale : 'en',
      },
    };
  }

  category(portal: PortalRecord, category: CategoryRecord): JsonObject {
    return {
      id: category.id,
      name: category.name,
      slug: category.slug,
      locale: category.locale,
      description: category.description,
      position: category.position,
      portal_id: portal.id,
      account_id: category.accountId,
      icon: '',
      parent_category_id: category.parentCategoryId,
      associated_category_id: category.associatedCategoryId,
      meta: {
        articles_count: portal.articles.filter((article) => article.categoryId === category.id).length,
      },
    };
  }

  article(account: AccountRecord, portal: PortalRecord, article: ArticleRecord): JsonObject {
    const category = portal.categories.find((candidate) => candidate.id === article.categoryId);
    const author = this.state.users.get(article.authorId);
    return {
      id: article.id,
      slug: article.slug,
      title: article.title,
      content: article.content,
      description: article.description,
      status: article.status,
      position: article.position,
      account_id: article.accountId,
      updated_at: seconds(article.updatedAt),
      meta: article.meta,
      category: category
        ? { id: category.id, name: category.name, slug: category.slug, locale: category.locale }
        : null,
      views: article.views,
      author: author ? this.agent(account, author) : null,
      portal_id: portal.id,
      locale: article.locale,
    };
  }

  csat(account: AccountRecord, response: CsatResponseRecord): JsonObject {
    const contact = this.state.contactById(account, response.contactId);
    const agent =
      response.assignedAgentId === null ? undefined : this.state.users.get(response.assignedAgentId);
    const view: JsonObject = {
      id: response.id,
      rating: response.rating,
      feedback_message: response.feedbackMessage,
      account_id: account.id,
      message_id: response.messageId,
    };
    if (contact) view.contact = this.contact(account, contact, false);
    view.conversation_id = response.conversationDisplayId;
    if (agent) view.assigned_agent = this.agent(account, agent);
    view.created_at = iso(response.createdAt);
    return view;
  }
}

// ---------------------------------------------------------------------------------------------
// Routing.

interface Context {
  req: IncomingMessage;
  params: Params;
  path: Record<string, string>;
  actor: ActingUser;
  account: AccountRecord;
}

type Handler = (context: Context) => Reply | Promise<Reply>;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  scope: 'account' | 'profile';
  handler: Handler;
}

function page(params: Params): number {
  const value = integerParam(params.page);
  return value !== null && value > 0 ? value : 1;
}

/** Rails echoes the page param as given (a string), or 1 when there was none. */
function currentPage(params: Params): JsonValue {
  return typeof params.page === 'string' || typeof params.page === 'number' ? params.page : 1;
}

function paginate<T>(items: T[], params: Params, perPage: number): T[] {
  const start = (page(params) - 1) * perPage;
  return items.slice(start, start + perPage);
}

function buildRoutes(state: ChatwootState, views: Views): Route[] {
  const routes: Route[] = [];
  const add = (method: string, pattern: string, handler: Handler, scope: Route['scope'] = 'account') => {
    routes.push({ method, pattern, segments: pattern.split('/').filter(Boolean), scope, handler });
  };
  const base = '/api/v1/accounts/:account_id';
  const conversationOf = (context: Context) =>
    state.conversation(context.account, context.path.conversation_id ?? context.path.id);

  add('GET', '/api/v1/profile', ({ actor }) => ok(views.profile(actor.user)), 'profile');

  // Inboxes.
  add('GET', `${base}/inboxes`, ({ account }) =>
    ok({ payload: account.inboxes.map((inbox) => views.inbox(inbox)) }),
  );
  add('POST', `${base}/inboxes`, ({ account, params, actor }) =>
    ok(views.inbox(state.createInbox(account, params, actor))),
  );
  add('GET', `${base}/inboxes/:id`, ({ account, path }) => ok(views.inbox(state.inbox(account, path.id))));

  // Custom attribute definitions.
  add('GET', `${base}/custom_attribute_definitions`, ({ account, params }) =>
    ok(
      state
        .listCustomAttributeDefinitions(account, params.attribute_model)
        .map((definition) => views.customAttributeDefinition(definition)),
    ),
  );
  add('POST', `${base}/custom_attribute_definitions`, ({ account, params, actor }) =>
    ok(views.customAttributeDefinition(state.createCustomAttributeDefinition(account, params, actor))),
  );

  // Contacts.
  const contactList = (account: AccountRecord, contacts: ContactRecord[], params: Params) => {
    const withInboxes =
      params.include_contact_inboxes === undefined || params.include_contact_inboxes === 'true';
    return ok({
      meta: { count: contacts.length, current_page: currentPage(params) },
      payload: paginate(contacts, params, CHATWOOT_LIMITS.contactsPerPage).map((contact) =>
        views.contact(account, contact, withInboxes),
      ),
    });
  };
  add('GET', `${base}/contacts`, ({ account, params }) =>
    contactList(account, state.resolvedContacts(account), params),
  );
  add('POST', `${base}/contacts`, async ({ account, params }) => {
    const { contact, contactInbox } = await state.createContact(account, params);
    const inbox = contactInbox ? state.inboxById(contactInbox.inboxId) : undefined;
    return ok({
      payload: {
        contact: views.contact(account, contact, true),
        contact_inbox: {
          inbox: inbox ? views.inboxModel(inbox) : null,
          source_id: contactInbox?.sourceId ?? null,
        },
      },
    });
  });
  add('GET', `${base}/contacts/search`, ({ account, params }) => {
    const found = state.searchContacts(account, params.q);
    const start = (page(params) - 1) * CHATWOOT_LIMITS.contactsPerPage;
    const slice = found.slice(start, start + CHATWOOT_LIMITS.contactsPerPage);
    return ok({
      meta: {
        count: slice.length,
        current_page: currentPage(params),
        has_more: found.length > start + CHATWOOT_LIMITS.contactsPerPage,
      },
      payload: slice.map((contact) => views.contact(account, contact, true)),
    });
  });
  add('POST', `${base}/contacts/filter`, ({ account, params }) =>
    contactList(account, state.filterContacts(account, params), params),
  );
  add('GET', `${base}/contacts/:id`, ({ account, path }) =>
    ok({ payload: views.contact(account, state.contact(account, path.id), true) }),
  );
  const updateContact: Handler = ({ account, path, params }) =>
    ok({ payload: views.contact(account, state.updateContact(account, path.id, params), true) });
  add('PUT', `${base}/contacts/:id`, updateContact);
  add('PATCH', `${base}/contacts/:id`, updateContact);
  add('GET', `${base}/contacts/:id/conversations`, ({ account, path, actor }) => {
    const contact = state.contact(account, path.id);
    const conversations = state.sortLatest(
      account.conversations.filter((conversation) => conversation.contactId === contact.id),
    );
    return ok({
      payload: conversations.map((conversation) => views.conversation(account, conversation, actor)),
    });
  });
  add('POST', `${base}/contacts/:id/contact_inboxes`, ({ account, path, params }) =>
    ok(views.contactInbox(state.createContactInbox(account, path.id, params))),
  );

  // Conversations.
  const conversationCounts = (conversations: ConversationRecord[], actor: ActingUser) => {
    const unassigned = conversations.filter((conversation) => conversation.assigneeId === null).length;
    return {
      mine_count: conversations.filter((conversation) => conversation.assigneeId === actor.user.id).length,
      assigned_count: conversations.length - unassigned,
      unassigned_count: unassigned,
      all_count: conversations.length,
    };
  };
  add('GET', `${base}/conversations`, ({ account, params, actor }) => {
    const conversations = state.listConversations(account, params, actor);
    return ok({
      data: {
        meta: conversationCounts(conversations, actor),
        payload: paginate(conversations, params, CHATWOOT_LIMITS.conversationsPerPage).map((conversation) =>
          views.conversation(account, conversation, actor),
        ),
      },
    });
  });
  add('POST', `${base}/conversations`, ({ account, params, actor }) =>
    ok(views.conversation(account, state.createConversation(account, params, actor), actor)),
  );
  add('POST', `${base}/conversations/filter`, ({ account, params, actor }) => {
    const conversations = state.filterConversations(account, params);
    return ok({
      meta: conversationCounts(conversations, actor),
      payload: paginate(conversations, params, CHATWOOT_LIMITS.conversationsPerPage).map((conversation) =>
        views.conversation(account, conversation, actor),
      ),
    });
  });
  add('GET', `${base}/conversations/:id`, (context) =>
    ok(views.conversation(context.account, conversationOf(context), context.actor)),
  );
  add('POST', `${base}/conversations/:id/toggle_status`, (context) => {
    const conversation = state.toggleStatus(
      context.account,
      conversationOf(context),
      context.params,
      context.actor,
    );
    return ok({
      meta: {},
      payload: {
        success: true,
        conversation_id: conversation.displayId,
        current_status: conversation.status,
        snoozed_until: iso(conversation.snoozedUntil),
      },
    });
  });
  add('GET', `${base}/conversations/:id/labels`, (context) =>
    ok({ payload: conversationOf(context).labels }),
  );
  add('POST', `${base}/conversations/:id/labels`, (context) =>
    ok({
      payload: state.setConversationLabels(
        context.account,
        conversationOf(context),
        context.params.labels,
        context.actor,
      ),
    }),
  );
  add('POST', `${base}/conversations/:id/assignments`, (context) => {
    const result = state.assign(context.account, conversationOf(context), context.params, context.actor);
    if (result.kind === 'agent') {
      const user = state.users.get(result.userId);
      return ok(user ? views.agent(context.account, user) : null);
    }
    if (result.kind === 'team') return ok(result.team ? views.teamModel(result.team) : null);
    return ok(null);
  });
  add('POST', `${base}/conversations/:id/custom_attributes`, (context) =>
    ok({ custom_attributes: state.setConversationCustomAttributes(conversationOf(context), context.params) }),
  );

  // Messages.
  add('GET', `${base}/conversations/:id/messages`, (context) => {
    const conversation = conversationOf(context);
    const contact = state.contactById(context.account, conversation.contactId);
    const assignee = conversation.assigneeId === null ? undefined : state.users.get(conversation.assigneeId);
    const meta: JsonObject = {
      labels: conversation.labels,
      additional_attributes: conversation.additionalAttributes,
      contact: contact ? views.contactPush(contact) : null,
    };
    if (assignee) meta.assignee = views.userPush(assignee);
    meta.agent_last_seen_at = null;
    meta.assignee_last_seen_at = null;
    return ok({
      meta,
      payload: state
        .listMessages(conversation, context.params)
        .map((message) => views.message(context.account, conversation, message)),
    });
  });
  add('POST', `${base}/conversations/:id/messages`, (context) => {
    const conversation = conversationOf(context);
    const attachments = context.params.attachments;
    const files = Array.isArray(attachments) ? attachments.filter(isUploadedFile) : [];
    try {
      const message = state.createMessage(
        context.account,
        conversation,
        context.params,
        context.actor,
        files,
      );
      return ok(views.message(context.account, conversation, message));
    } catch (error) {
      // MessagesController#create rescues every StandardError into 422 {error: message}.
      if (error instanceof RecordInvalidError || error instanceof RubyStandardError) {
        throw new ChatwootApiError(422, { error: error.message });
      }
      throw error;
    }
  });

  // Labels, teams, agents, canned responses.
  add('GET', `${base}/labels`, ({ account }) =>
    ok({ payload: account.labels.map((label) => views.label(label)) }),
  );
  add('POST', `${base}/labels`, ({ account, params, actor }) =>
    ok(views.label(state.createLabel(account, params, actor))),
  );
  add('GET', `${base}/teams`, ({ account, actor }) =>
    ok(account.teams.map((team) => views.team(account, team, actor))),
  );
  add('POST', `${base}/teams`, ({ account, params, actor }) =>
    ok(views.team(account, state.createTeam(account, params, actor), actor)),
  );
  add('GET', `${base}/teams/:team_id`, ({ account, path, actor }) =>
    ok(views.team(account, state.team(account, path.team_id), actor)),
  );
  add('GET', `${base}/teams/:team_id/team_members`, ({ account, path }) =>
    ok(state.teamMembers(state.team(account, path.team_id)).map((user) => views.agent(account, user))),
  );
  add('POST', `${base}/teams/:team_id/team_members`, ({ account, path, params, actor }) =>
    ok(
      state
        .addTeamMembers(account, state.team(account, path.team_id), params, actor)
        .map((user) => views.agent(account, user)),
    ),
  );
  add('GET', `${base}/agents`, ({ account }) =>
    ok(state.accountUsers(account).map(({ user }) => views.agent(account, user))),
  );
  add('POST', `${base}/agents`, ({ account, params, actor }) =>
    ok(views.agent(account, state.createAgent(account, params, actor).user)),
  );
  add('GET', `${base}/canned_responses`, ({ account }) =>
    ok(
      account.cannedResponses.map((canned) => ({
        id: canned.id,
        account_id: canned.accountId,
        short_code: canned.shortCode,
        content: canned.content,
        created_at: iso(canned.createdAt),
        updated_at: iso(canned.updatedAt),
      })),
    ),
  );
  add('POST', `${base}/canned_responses`, ({ account, params }) => {
    const canned = state.createCannedResponse(account, params);
    return ok({
      id: canned.id,
      account_id: canned.accountId,
      short_code: canned.shortCode,
      content: canned.content,
      created_at: iso(canned.createdAt),
      updated_at: iso(canned.updatedAt),
    });
  });

  // Help center.
  add('GET', `${base}/portals`, ({ account }) =>
    ok({ payload: account.portals.map((portal) => views.portal(portal)) }),
  );
  add('POST', `${base}/portals`, ({ account, params, actor }) =>
    ok(views.portal(state.createPortal(account, params, actor))),
  );
  add('GET', `${base}/portals/:portal_id/categories`, ({ account, path }) => {
    const portal = state.portal(account, path.portal_id);
    return ok({
      payload: portal.categories.map((category) => views.category(portal, category)),
      meta: { current_page: 1, categories_count: portal.categories.length },
    });
  });
  add('POST', `${base}/portals/:portal_id/categories`, ({ account, path, params, actor }) => {
    const portal = state.portal(account, path.portal_id);
    return ok({ payload: views.category(portal, state.createCategory(account, portal, params, actor)) });
  });
  add('GET', `${base}/portals/:portal_id/articles`, ({ account, path, params, actor }) => {
    const portal = state.portal(account, path.portal_id);
    const count = (status: ArticleRecord['status']) =>
      portal.articles.filter((article) => article.status === status).length;
    return ok({
      payload: paginate(portal.articles, params, CHATWOOT_LIMITS.articlesPerPage).map((article) =>
        views.article(account, portal, article),
      ),
      meta: {
        all_articles_count: portal.articles.length,
        archived_articles_count: count('archived'),
        articles_count: portal.articles.length,
        current_page: currentPage(params),
        draft_articles_count: count('draft'),
        mine_articles_count: portal.articles.filter((article) => article.authorId === actor.user.id).length,
        published_count: count('published'),
      },
    });
  });
  add('POST', `${base}/portals/:portal_id/articles`, ({ account, path, params }) => {
    const portal = state.portal(account, path.portal_id);
    return ok({ payload: views.article(account, portal, state.createArticle(account, portal, params)) });
  });

  // CSAT.
  add('GET', `${base}/csat_survey_responses`, ({ account, params, actor }) => {
    state.requireAdministrator(actor);
    return ok(
      paginate(state.filterCsat(account, params), params, CHATWOOT_LIMITS.csatPerPage).map((response) =>
        views.csat(account, response),
      ),
    );
  });
  add('GET', `${base}/csat_survey_responses/metrics`, ({ account, params, actor }) => {
    state.requireAdministrator(actor);
    const responses = state.filterCsat(account, params);
    const ratingsCount: JsonObject = {};
    for (const response of responses) {
      const key = String(response.rating);
      ratingsCount[key] = ((ratingsCount[key] as number | undefined) ?? 0) + 1;
    }
    return ok({
      total_count: responses.length,
      ratings_count: ratingsCount,
      total_sent_messages_count: state.csatSentCount(account, params),
    });
  });

  return routes;
}

function matchRoute(
  routes: Route[],
  method: string,
  pathname: string,
): { route: Route; path: Record<string, string> } | undefined {
  const segments = pathname.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method || route.segments.length !== segments.length) continue;
    const path: Record<string, string> = {};
    const matched = route.segments.every((segment, index) => {
      const actual = segments[index] ?? '';
      if (segment.startsWith(':')) {
        path[segment.slice(1)] = decodeURIComponent(actual);
        return true;
      }
      return segment === actual;
    });
    if (matched) return { route, path };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The server.

function sendJson(
  res: ServerResponse,
  status: number,
  body: JsonValue,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Rack::Attack's throttled response: 429, text/plain, "Retry later", no Retry-After. */
function answerThrottled(res: ServerResponse): void {
  sendText(res, 429, 'text/plain', 'Retry later\n');
}

function answerServerError(res: ServerResponse, status: number): void {
  if (status === 500) {
    sendJson(res, 500, internalServerError);
    return;
  }
  // 502/503 come from the reverse proxy in front of Rails, as HTML.
  const reason = status === 502 ? 'Bad Gateway' : 'Service Temporarily Unavailable';
  sendText(
    res,
    status,
    'text/html',
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  );
}

/** A fixed-window counter per key, windows aligned to the clock minute as Rack::Attack's are. */
class MinuteThrottle {
  private readonly windows = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  /** Counts the request; true when it is over the limit. */
  hit(key: string): boolean {
    const window = Math.floor(this.now() / 60_000);
    const entry = this.windows.get(key);
    if (!entry || entry.window !== window) {
      this.windows.set(key, { window, count: 1 });
      return 1 > this.limit;
    }
    entry.count += 1;
    return entry.count > this.limit;
  }
}

export async function startChatwootSandbox(options: ChatwootSandboxOptions = {}): Promise<ChatwootSandbox> {
  const state = new ChatwootState({
    accounts: options.accounts,
    now: options.now,
    floodLimitPerMinute: options.floodLimitPerMinute,
    writeLatencyMs: options.writeLatencyMs,
  });
  const clock = () => state.now();
  const faults = new FaultInjector(options.faults);
  const stats: SandboxStats = { requests: 0, byRoute: {}, throttled: 0 };
  const ipThrottle = new MinuteThrottle(options.throttlePerMinute ?? 3000, clock);
  const searchThrottle = new MinuteThrottle(options.contactSearchPerMinute ?? 100, clock);
  let baseUrl = '';
  const views = new Views(state, () => baseUrl);
  const routes = buildRoutes(state, views);

  const handleControl = async (
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
  ): Promise<void> => {
    const raw = await readBody(req);
    const body = parseBody(raw, req.headers['content-type'] ?? 'application/json');
    if (req.method === 'GET' && pathname === '/__sandbox/dump')
      return sendJson(res, 200, toJson(state.dump()));
    if (req.method === 'GET' && pathname === '/__sandbox/stats') {
      return sendJson(res, 200, toJson({ ...stats, faults: faults.counts }));
    }
    if (req.method === 'POST' && pathname === '/__sandbox/faults') {
      return sendJson(res, 200, toJson(faults.configure(faultConfigFrom(body))));
    }
    if (req.method === 'POST' && pathname === '/__sandbox/csat') {
      const created = state.seedCsat(body);
      return sendJson(res, 200, { payload: created.map((response) => response.id) });
    }
    sendJson(res, 404, { status: 404, error: 'Not Found' });
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const pathname = url.pathname.replace(/\.json$/, '').replace(/\/+$/, '') || '/';
    stats.requests += 1;
    options.onApiRequest?.(Date.now());
    if (ipThrottle.hit(req.socket.remoteAddress ?? 'unknown')) {
      stats.throttled += 1;
      req.resume();
      return answerThrottled(res);
    }
    const searchAccount = /^\/api\/v1\/accounts\/(\d+)\/contacts\/search/.exec(pathname)?.[1];
    if (searchAccount !== undefined && searchThrottle.hit(searchAccount)) {
      stats.throttled += 1;
      req.resume();
      return answerThrottled(res);
    }
    const handled = await faults.apply(req, res, answerThrottled, answerServerError);
    if (handled) {
      req.resume();
      return;
    }
    const raw = await readBody(req);
    const matched = matchRoute(routes, method, pathname);
    const routeKey = matched ? `${method} ${matched.route.pattern}` : 'unmatched';
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
    if (!matched) return sendJson(res, 404, { status: 404, error: 'Not Found' });

    // Api::BaseController: a present token is looked up; without one Devise answers for the session.
    const tokenHeader = req.headers.api_access_token;
    const token = (Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader)?.trim() ?? '';
    if (token === '') {
      return sendJson(res, 401, { errors: ['You need to sign in or sign up before continuing.'] });
    }
    const user = state.userByToken(token);
    if (!user) return sendJson(res, 401, { error: 'Invalid Access Token' });

    let actor: ActingUser;
    let account: AccountRecord;
    if (matched.route.scope === 'account') {
      const found = state.accounts.get(integerParam(matched.path.account_id) ?? -1);
      if (!found) return sendJson(res, 404, { error: 'Resource could not be found' });
      const role: UserRole | undefined = found.members.get(user.id);
      if (!role) return sendJson(res, 401, { error: 'You are not authorized to access this account' });
      account = found;
      actor = { user, role };
    } else {
      const first = [...state.accounts.values()].find((candidate) => candidate.members.has(user.id));
      if (!first) return sendJson(res, 401, { error: 'You are not authorized to access this account' });
      account = first;
      actor = { user, role: first.members.get(user.id) ?? 'agent' };
    }
    const query = parseSearchParams(url.searchParams);
    const body = parseBody(raw, req.headers['content-type'] ?? '');
    refuseUnstorableText(body);
    const params: Params = { ...query, ...body, ...matched.path };
    const reply = await matched.route.handler({ req, params, path: matched.path, actor, account });
    sendJson(res, reply.status, reply.body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const isControl = url.pathname.startsWith('/__sandbox/');
    const work = isControl ? handleControl(req, res, url.pathname) : handleApi(req, res, url);
    work.catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ChatwootApiError) return sendJson(res, error.status, error.body);
      if (error instanceof RecordInvalidError) return sendJson(res, 422, error.body);
      if (error instanceof PlainResponse) return sendText(res, error.status, error.contentType, error.text);
      if (error instanceof RubyStandardError || error instanceof RecordNotUniqueError) {
        return sendJson(res, 500, internalServerError);
      }
      sendJson(res, 500, { ...internalServerError, exception: String(error) });
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: baseUrl,
    port,
    state,
    faults,
    stats,
    dump: () => state.dump(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function faultConfigFrom(body: Params): Partial<FaultConfig> {
  const config: Partial<FaultConfig> = {};
  for (const key of ['latencyMs', 'jitterMs', 'rate429', 'rate5xx', 'rateDrop', 'seed'] as const) {
    const value = body[key];
    if (typeof value === 'number' && Number.isFinite(value)) config[key] = value;
    else if (!isBlank(value)) throw new ChatwootApiError(422, { error: `${key} must be a number` });
  }
  return config;
}

/**
 * Typed client of the Chatwoot 4.10 application API for one account. Conversation ids are the
 * per-account display ids that Chatwoot returns as `id` and every conversation route takes.
 * Creates are not replayed in-process after an ambiguous failure (5xx, timeout, dropped connection):
 * Chatwoot has no idempotency key, so the activity's retry looks the object up before creating it.
 */
import { type ClientTuning, HttpCore, type RequestStats, route } from '../httpCore.js';
import { type AgentBotCalls, agentBotCalls } from './agentBots.js';
import { type BulkActionCalls, bulkActionCalls } from './bulkActions.js';
import { type ContactExtraCalls, contactExtraCalls } from './contactNotes.js';
import { attributeFormFields } from './conversationForm.js';
import { type ErasureCalls, erasureCalls } from './erasure.js';
import { classifyChatwootFailure } from './failures.js';
import { type HelpCenterCalls, helpCenterCalls } from './helpCenter.js';
import { multipartBody, type OutgoingAttachment } from './multipart.js';
import { type NumberedPage, type NumberedPagesOptions, numberedPages } from './pages.js';

export type { OutgoingAttachment } from './multipart.js';

import {
  type Agent,
  AgentList,
  AssignmentResult,
  type AutomationRule,
  AutomationRuleList,
  type CannedResponse,
  CannedResponseList,
  CannedResponse as CannedResponseSchema,
  CONTACTS_PER_PAGE,
  type Contact,
  ContactCreated,
  ContactPage,
  ContactSearchPage,
  ContactUpdated,
  Conversation,
  ConversationLabels,
  ConversationPage,
  type CsatMetrics,
  CsatMetrics as CsatMetricsSchema,
  type CustomAttributeDefinition,
  CustomAttributeDefinitionList,
  CustomAttributeDefinition as CustomAttributeDefinitionSchema,
  Inbox,
  InboxList,
  InboxMembers,
  type Label,
  LabelCreated,
  LabelList,
  Message,
  MessageList,
  Profile,
  type Team,
  TeamList,
  Team as TeamSchema,
  ToggleStatusResult,
  type Webhook,
  WebhookList,
} from './schemas.js';

export interface ChatwootClientOptions extends ClientTuning {
  baseUrl: string;
  accountId: number;
  token: string;
  /**
   * Where the token came from, named in the 401 message so the operator knows which one to replace
   * (default "CHATWOOT_TOKEN").
   */
  tokenSource?: string;
  /** How long to wait after the per-conversation flood guard (200 messages a minute) trips; default 60 s. */
  floodWaitMs?: number;
  /** Idle (no bytes moving) timeout of attachment uploads; default 120 s. */
  uploadIdleTimeoutMs?: number;
}

export type AttributeModel = 'conversation' | 'contact';
export type AttributeDisplayType =
  | 'text'
  | 'number'
  | 'currency'
  | 'percent'
  | 'link'
  | 'date'
  | 'list'
  | 'checkbox';

/** The integers of Chatwoot's enums, which the swagger asks for on create. */
const ATTRIBUTE_MODEL_CODES: Record<AttributeModel, number> = { conversation: 0, contact: 1 };
const DISPLAY_TYPE_CODES: Record<AttributeDisplayType, number> = {
  text: 0,
  number: 1,
  currency: 2,
  percent: 3,
  link: 4,
  date: 5,
  list: 6,
  checkbox: 7,
};

export interface NewCustomAttributeDefinition {
  model: AttributeModel;
  key: string;
  displayName: string;
  displayType: AttributeDisplayType;
  description?: string;
  /** Choices of a list attribute. */
  values?: string[];
}

/**
 * A JSON object sent as it is. `object` rather than Record<string, unknown> so that the mapping's
 * interface types (which have no index signature) are accepted.
 */
export type AttributeBag = object;

export interface ContactFields {
  name?: string;
  email?: string;
  phone_number?: string;
  identifier?: string;
  avatar_url?: string;
  custom_attributes?: AttributeBag;
  additional_attributes?: AttributeBag;
}

export interface NewContact extends ContactFields {
  /** Also creates the contact inbox (its source_id comes back in contact_inboxes); Chatwoot does not require it. */
  inbox_id?: number;
}

export type ConversationStatus = 'open' | 'resolved' | 'pending' | 'snoozed';

export interface NewConversation {
  inbox_id: number;
  contact_id: number;
  status?: Exclude<ConversationStatus, 'snoozed'>;
  custom_attributes?: AttributeBag;
  additional_attributes?: AttributeBag;
  /** The contact-inbox source id; Chatwoot finds or creates it from contact_id when absent. */
  source_id?: string;
  assignee_id?: number;
  team_id?: number;
  /**
   * The first message, created in the same transaction (ConversationsController#create runs
   * Messages::MessageBuilder on params[:message]); with attachments the request goes as multipart,
   * where numbers (and additional_attributes' booleans) are stored as text (conversationForm.ts).
   */
  message?: NewMessage;
}

export interface NewMessage {
  content: string;
  /** 'activity' gives the grey line Chatwoot writes for its own changes; its sender is the contact. */
  message_type: 'incoming' | 'outgoing' | 'activity';
  private: boolean;
  /** An outgoing message in the name of an agent bot of the account (MessageBuilder#message_sender). */
  sender_type?: 'AgentBot';
  sender_id?: number;
  /** The Intercom part id: stored by Chatwoot (not unique), used to find already-written messages. */
  source_id?: string;
  content_attributes?: AttributeBag;
  attachments?: OutgoingAttachment[];
}

/** The inbox settings the migration checks; an API channel's webhook_url goes under `channel`. */
export interface InboxSettings {
  enable_auto_assignment?: boolean;
  greeting_enabled?: boolean;
  csat_survey_enabled?: boolean;
  channel?: { webhook_url?: string };
}

/** Chatwoot's messages?after= answers at most this many. */
const MESSAGES_PAGE_SIZE = 100;
/** messages?after=&before= (MessageFinder#messages_between) answers at most this many. */
const MESSAGES_BETWEEN_PAGE_SIZE = 1000;
/**
 * `before` for "no upper bound": the finder compares it in SQL (`id < ?`, a literal, so no integer
 * range check), and message ids stay far below it.
 */
const MESSAGE_ID_CEILING = Number.MAX_SAFE_INTEGER;

export class ChatwootClient {
  private readonly core: HttpCore;
  private readonly accountId: number;
  private readonly uploadIdleTimeoutMs: number;

  constructor(options: ChatwootClientOptions) {
    this.accountId = options.accountId;
    this.uploadIdleTimeoutMs = options.uploadIdleTimeoutMs ?? 120_000;
    const floodWaitMs = options.floodWaitMs ?? 60_000;
    this.core = new HttpCore({
      ...options,
      service: 'chatwoot',
      headers: {
        api_access_token: options.token,
        accept: 'application/json',
        'user-agent': 'intercom-to-chatwoot',
      },
      classify: (response) =>
        classifyChatwootFailure(response, options.accountId, floodWaitMs, options.tokenSource),
    });
  }

  /** Requests sent so far by this instance (benchmarks compare them with the minimum). */
  get stats(): RequestStats {
    return this.core.stats;
  }

  /** GET and POST /agent_bots (./agentBots.ts). */
  get agentBots(): AgentBotCalls {
    return agentBotCalls(this.core, this.accountId);
  }

  /** POST /bulk_actions: labels and status of many conversations, applied later (bulkActions.ts). */
  get bulkActions(): BulkActionCalls {
    return bulkActionCalls(this.core, this.accountId);
  }

  /** A contact's notes and labels, and one contact (contactNotes.ts). */
  get contactExtras(): ContactExtraCalls {
    return contactExtraCalls(this.core, this.accountId);
  }

  /** A contact's conversations, and the deletes of an erasure request (erasure.ts). */
  get erasure(): ErasureCalls {
    return erasureCalls(this.core, this.accountId);
  }

  /** Portals, categories and articles (helpCenter.ts). */
  get helpCenter(): HelpCenterCalls {
    return helpCenterCalls(this.core, this.accountId);
  }

  profile(): Promise<Profile> {
    return this.core.request({ method: 'GET', route: route('/api/v1/profile') }, Profile);
  }

  async listInboxes(): Promise<Inbox[]> {
    return (await this.core.request({ method: 'GET', route: this.accountRoute('/inboxes') }, InboxList))
      .payload;
  }

  /** An API-channel inbox (the only kind that takes incoming messages through the API), kept quiet. */
  createApiInbox({ name }: { name: string }): Promise<Inbox> {
    return this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/inboxes'),
        json: {
          name,
          channel: { type: 'api' },
          enable_auto_assignment: false,
          csat_survey_enabled: false,
          greeting_enabled: false,
        },
      },
      Inbox,
    );
  }

  /** GET /inbox_members/{inbox_id}: administrators, and the inbox's own members, may ask (InboxPolicy#show?). */
  async listInboxMembers(inboxId: number): Promise<Agent[]> {
    const membersRoute = this.accountRoute('/inbox_members/{inbox_id}', { inbox_id: inboxId });
    return (await this.core.request({ method: 'GET', route: membersRoute }, InboxMembers)).payload;
  }

  /**
   * POST /inbox_members adds the ids that are not members yet and removes no one (PATCH is the call
   * that replaces); answers every member. Sending ids already in changes nothing, so it is replay-safe.
   */
  async addInboxMembers(inboxId: number, userIds: number[]): Promise<Agent[]> {
    const answer = await this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/inbox_members'),
        json: { inbox_id: inboxId, user_ids: userIds },
        replaySafe: true,
      },
      InboxMembers,
    );
    return answer.payload;
  }

  /** PATCH /inboxes/{id}: the settings InboxesController#update permits (and an API channel's webhook). */
  updateInbox(id: number, settings: InboxSettings): Promise<Inbox> {
    const inboxRoute = this.accountRoute('/inboxes/{id}', { id });
    return this.core.request({ method: 'PATCH', route: inboxRoute, json: settings, replaySafe: true }, Inbox);
  }

  /** Account automation rules, active or not (administrators only). */
  async listAutomationRules(): Promise<AutomationRule[]> {
    const rulesRoute = this.accountRoute('/automation_rules');
    return (await this.core.request({ method: 'GET', route: rulesRoute }, AutomationRuleList)).payload;
  }

  /** Account and inbox webhooks (administrators only); Chatwoot has no switch to pause one. */
  async listWebhooks(): Promise<Webhook[]> {
    const webhooksRoute = this.accountRoute('/webhooks');
    return (await this.core.request({ method: 'GET', route: webhooksRoute }, WebhookList)).payload.webhooks;
  }

  listCustomAttributeDefinitions(model: AttributeModel): Promise<CustomAttributeDefinition[]> {
    return this.core.request(
      {
        method: 'GET',
        route: this.accountRoute('/custom_attribute_definitions'),
        query: { attribute_model: ATTRIBUTE_MODEL_CODES[model] },
      },
      CustomAttributeDefinitionList,
    );
  }

  createCustomAttributeDefinition(
    definition: NewCustomAttributeDefinition,
  ): Promise<CustomAttributeDefinition> {
    return this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/custom_attribute_definitions'),
        json: {
          attribute_display_name: definition.displayName,
          attribute_display_type: DISPLAY_TYPE_CODES[definition.displayType],
          attribute_description: definition.description,
          attribute_key: definition.key,
          attribute_values: definition.values,
          attribute_model: ATTRIBUTE_MODEL_CODES[definition.model],
        },
      },
      CustomAttributeDefinitionSchema,
    );
  }

  /**
   * One page of GET /contacts/search (ContactsController#search: name, e-mail and phone ILIKE
   * `%q%`, identifier LIKE `%q%`, 15 a page). `hasMore` is the controller's has_more where it renders
   * one; without it, a full page counts as possibly more.
   */
  async searchContactsPage(query: string, page = 1): Promise<{ contacts: Contact[]; hasMore: boolean }> {
    const answer = await this.core.request(
      {
        method: 'GET',
        route: this.accountRoute('/contacts/search'),
        query: { q: query, page, include_contact_inboxes: 'false' },
      },
      ContactSearchPage,
    );
    const hasMore = answer.meta?.has_more ?? answer.payload.length >= CONTACTS_PER_PAGE;
    return { contacts: answer.payload, hasMore };
  }

  /** Exact look-up (equal_to) on one standard contact attribute; every page of matches. */
  filterContacts(key: 'identifier' | 'email' | 'phone_number', value: string): Promise<Contact[]> {
    return this.filteredContacts({ key, value });
  }

  /**
   * Contacts whose identifier is any of `identifiers`, in one request: equal_to conditions joined by
   * OR (Contacts::FilterService compares LOWER(identifier), so the caller picks the exact one).
   */
  async filterContactsByIdentifiers(identifiers: readonly string[]): Promise<Contact[]> {
    return this.filteredContacts(anyOf('identifier', identifiers));
  }

  /** POST /contacts; answers payload.contact (with its contact_inboxes). */
  async createContact(contact: NewContact): Promise<Contact> {
    const answer = await this.core.request(
      { method: 'POST', route: this.accountRoute('/contacts'), json: contact },
      ContactCreated,
    );
    return answer.payload.contact;
  }

  updateContact(id: number, fields: ContactFields): Promise<Contact> {
    return this.core.request(
      { method: 'PUT', route: this.accountRoute('/contacts/{id}', { id }), json: fields },
      ContactUpdated,
    );
  }

  /**
   * POST /actions/contact_merge (ContactMergeAction): the base takes the mergee's conversations,
   * messages and contact inboxes, keeps its own non-blank fields, and the mergee is deleted. A second
   * call for the same mergee is a 404.
   */
  mergeContacts(baseContactId: number, mergeeContactId: number): Promise<Contact> {
    return this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/actions/contact_merge'),
        json: { base_contact_id: baseContactId, mergee_contact_id: mergeeContactId },
      },
      ContactUpdated,
    );
  }

  /**
   * GET /contacts?page=: Chatwoot lists only contacts with an email, a phone number or an identifier,
   * 15 a page. `sort` is Sift's (ContactsController's sort_on: `created_at` keeps pages still while
   * contacts are written to); `contactInboxes: false` leaves each contact's inboxes out.
   */
  async *listContactPages(
    startPage = 1,
    options: { sort?: 'created_at'; contactInboxes?: boolean } & NumberedPagesOptions = {},
  ): AsyncGenerator<NumberedPage<Contact>> {
    const include =
      options.contactInboxes === undefined ? undefined : options.contactInboxes ? 'true' : 'false';
    yield* numberedPages(
      startPage,
      async (page) => {
        const answer = await this.core.request(
          {
            method: 'GET',
            route: this.accountRoute('/contacts'),
            query: { page, sort: options.sort, include_contact_inboxes: include },
          },
          ContactPage,
        );
        return { items: answer.payload, total: answer.meta?.count ?? undefined };
      },
      'GET /contacts',
      options,
    );
  }

  /** Conversations whose conversation custom attribute `key` equals `value` (needs an attribute definition). */
  filterConversationsByCustomAttribute(key: string, value: string | number): Promise<Conversation[]> {
    return this.filteredConversations({ key, value });
  }

  /**
   * Conversations whose text attribute `key` is any of `values`, in one request a page: one equal_to
   * condition per value joined by OR (for a text attribute Conversations::FilterService keeps only a
   * condition's first value, so a list of values in one condition would match the first alone).
   */
  async filterConversationsByCustomAttributeValues(
    key: string,
    values: readonly string[],
  ): Promise<Conversation[]> {
    const distinct = [...new Set(values)];
    const matches: Conversation[] = [];
    // At most 25 conditions a request: the SQL grows with each, and 25 is a page of answers.
    for (let start = 0; start < distinct.length; start += 25) {
      matches.push(...(await this.filteredConversations(anyOf(key, distinct.slice(start, start + 25)))));
    }
    return matches;
  }

  /** Whether any conversation of the account has attribute `key` at all (is_present), in one request. */
  async anyConversationWithCustomAttribute(key: string): Promise<boolean> {
    const answer = await this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/conversations/filter'),
        query: { page: 1 },
        json: { payload: [{ attribute_key: key, filter_operator: 'is_present', values: [] }] },
        replaySafe: true,
      },
      ConversationPage,
    );
    return answer.payload.length > 0 || (answer.meta?.all_count ?? 0) > 0;
  }

  createConversation(conversation: NewConversation): Promise<Conversation> {
    const route = this.accountRoute('/conversations');
    const { message, ...fields } = conversation;
    if (!message?.attachments?.length) {
      const json = message ? { ...fields, message: { ...message, attachments: undefined } } : fields;
      return this.core.request({ method: 'POST', route, json }, Conversation);
    }
    const { attachments, ...first } = message;
    const form: [string, string][] = [
      ['inbox_id', String(fields.inbox_id)],
      ['contact_id', String(fields.contact_id)],
    ];
    for (const key of ['status', 'source_id', 'assignee_id', 'team_id'] as const) {
      if (fields[key] !== undefined) form.push([key, String(fields[key])]);
    }
    for (const key of ['custom_attributes', 'additional_attributes'] as const) {
      const bag = fields[key];
      if (bag === undefined || Object.keys(bag).length === 0) continue;
      const encoded = attributeFormFields(key, bag);
      if (!encoded) {
        throw new TypeError(`${key} holds a value a form cannot carry: send the first message on its own`);
      }
      form.push(...encoded);
    }
    form.push(['message[content]', first.content], ['message[message_type]', first.message_type]);
    form.push(['message[private]', String(first.private)]);
    if (first.source_id !== undefined) form.push(['message[source_id]', first.source_id]);
    if (first.sender_type !== undefined) form.push(['message[sender_type]', first.sender_type]);
    if (first.sender_id !== undefined) form.push(['message[sender_id]', String(first.sender_id)]);
    if (first.content_attributes !== undefined) {
      form.push(['message[content_attributes]', JSON.stringify(first.content_attributes)]);
    }
    return this.core.request(
      {
        method: 'POST',
        route,
        body: () => multipartBody(form, attachments, 'message[attachments][]'),
        timeout: { connect: this.uploadIdleTimeoutMs, socket: this.uploadIdleTimeoutMs },
      },
      Conversation,
    );
  }

  getConversation(id: number): Promise<Conversation> {
    return this.core.request(
      {
        method: 'GET',
        route: this.accountRoute('/conversations/{conversation_id}', { conversation_id: id }),
      },
      Conversation,
    );
  }

  /** Sets the status; snoozedUntil is unix seconds. */
  async toggleStatus(
    id: number,
    status: ConversationStatus,
    snoozedUntil?: number,
  ): Promise<ToggleStatusResult['payload']> {
    const answer = await this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/conversations/{conversation_id}/toggle_status', { conversation_id: id }),
        json: snoozedUntil === undefined ? { status } : { status, snoozed_until: snoozedUntil },
        replaySafe: true,
      },
      ToggleStatusResult,
    );
    return answer.payload;
  }

  /** Replaces the conversation's labels with exactly these; answers the labels now set. */
  async setLabels(id: number, labels: string[]): Promise<string[]> {
    const answer = await this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/conversations/{conversation_id}/labels', { conversation_id: id }),
        json: { labels },
        replaySafe: true,
      },
      ConversationLabels,
    );
    return answer.payload;
  }

  /**
   * Chatwoot's assignment route handles one of assignee_id or team_id per request, and a team change
   * drops an assignee who is not in the team: so the team goes first, then the agent. null unassigns
   * (AssignmentsController: Conversations::AssignmentService with a blank id, teams.find_by(id: nil)).
   */
  async assign(id: number, target: { assignee_id?: number | null; team_id?: number | null }): Promise<void> {
    const assignmentRoute = this.accountRoute('/conversations/{conversation_id}/assignments', {
      conversation_id: id,
    });
    if (target.team_id !== undefined) {
      await this.core.request(
        { method: 'POST', route: assignmentRoute, json: { team_id: target.team_id }, replaySafe: true },
        AssignmentResult,
      );
    }
    if (target.assignee_id !== undefined) {
      await this.core.request(
        {
          method: 'POST',
          route: assignmentRoute,
          json: { assignee_id: target.assignee_id },
          replaySafe: true,
        },
        AssignmentResult,
      );
    }
  }

  /**
   * GET /conversations?status=all&assignee_type=all&page=, 25 a page (CONVERSATION_RESULTS_PER_PAGE),
   * most recent activity first unless `sortBy` names another of ConversationFinder::SORT_OPTIONS:
   * `created_at_asc` keeps pages still while conversations are created or written to.
   */
  async *listConversationPages(
    options: {
      status?: ConversationStatus | 'all';
      inboxId?: number;
      startPage?: number;
      sortBy?: 'created_at_asc' | 'created_at_desc' | 'last_activity_at_desc';
    } & NumberedPagesOptions = {},
  ): AsyncGenerator<NumberedPage<Conversation>> {
    yield* numberedPages(
      options.startPage ?? 1,
      async (page) => {
        const answer = await this.core.request(
          {
            method: 'GET',
            route: this.accountRoute('/conversations'),
            query: {
              status: options.status ?? 'all',
              assignee_type: 'all',
              inbox_id: options.inboxId,
              sort_by: options.sortBy,
              page,
            },
          },
          ConversationPage,
        );
        return { items: answer.payload, total: answer.meta?.all_count ?? undefined };
      },
      'GET /conversations',
      options,
    );
  }

  /**
   * Messages with an id above `afterId`, oldest first, one page (up to 100) at a time. The next page
   * starts after the highest id seen, so a message is never listed twice.
   */
  async *messagesAfter(conversationId: number, afterId = 0): AsyncGenerator<Message[]> {
    const messagesRoute = this.accountRoute('/conversations/{conversation_id}/messages', {
      conversation_id: conversationId,
    });
    let after = afterId;
    for (;;) {
      const answer = await this.core.request(
        { method: 'GET', route: messagesRoute, query: { after } },
        MessageList,
      );
      const messages = answer.payload;
      if (messages.length === 0) return;
      yield messages;
      const highest = Math.max(...messages.map((message) => message.id));
      if (messages.length < MESSAGES_PAGE_SIZE || highest <= after) return;
      after = highest;
    }
  }

  /**
   * Every message of a conversation, oldest first, in as few requests as Chatwoot allows: with both
   * `after` and `before`, MessageFinder#messages_between answers up to 1,000 messages with
   * after <= id < before (app/finders/message_finder.rb), against 100 for `after` alone. A page of
   * 1,000 goes on from the highest id seen.
   */
  async *allMessages(conversationId: number): AsyncGenerator<Message[]> {
    const messagesRoute = this.accountRoute('/conversations/{conversation_id}/messages', {
      conversation_id: conversationId,
    });
    let after = 0;
    for (;;) {
      const answer = await this.core.request(
        { method: 'GET', route: messagesRoute, query: { after, before: MESSAGE_ID_CEILING } },
        MessageList,
      );
      const messages = answer.payload;
      if (messages.length === 0) return;
      yield messages;
      const highest = Math.max(...messages.map((message) => message.id));
      if (messages.length < MESSAGES_BETWEEN_PAGE_SIZE || highest < after) return;
      after = highest + 1;
    }
  }

  /** JSON without attachments; multipart (attachments[]) with them, streamed part by part. */
  createMessage(conversationId: number, message: NewMessage): Promise<Message> {
    const messagesRoute = this.accountRoute('/conversations/{conversation_id}/messages', {
      conversation_id: conversationId,
    });
    const { attachments, ...fields } = message;
    if (!attachments || attachments.length === 0) {
      return this.core.request({ method: 'POST', route: messagesRoute, json: fields }, Message);
    }
    const formFields: [string, string][] = [
      ['content', fields.content],
      ['message_type', fields.message_type],
      ['private', String(fields.private)],
    ];
    if (fields.source_id !== undefined) formFields.push(['source_id', fields.source_id]);
    if (fields.sender_type !== undefined) formFields.push(['sender_type', fields.sender_type]);
    if (fields.sender_id !== undefined) formFields.push(['sender_id', String(fields.sender_id)]);
    if (fields.content_attributes !== undefined) {
      formFields.push(['content_attributes', JSON.stringify(fields.content_attributes)]);
    }
    return this.core.request(
      {
        method: 'POST',
        route: messagesRoute,
        body: () => multipartBody(formFields, attachments),
        timeout: { connect: this.uploadIdleTimeoutMs, socket: this.uploadIdleTimeoutMs },
      },
      Message,
    );
  }

  async listLabels(): Promise<Label[]> {
    return (await this.core.request({ method: 'GET', route: this.accountRoute('/labels') }, LabelList))
      .payload;
  }

  /** Titles must be lower-case without spaces or dots (Chatwoot rejects others with a 422). */
  createLabel(
    title: string,
    options: { description?: string; color?: string; show_on_sidebar?: boolean } = {},
  ): Promise<Label> {
    return this.core.request(
      { method: 'POST', route: this.accountRoute('/labels'), json: { title, ...options } },
      LabelCreated,
    );
  }

  listTeams(): Promise<Team[]> {
    return this.core.request({ method: 'GET', route: this.accountRoute('/teams') }, TeamList);
  }

  createTeam(
    name: string,
    options: { description?: string; allow_auto_assign?: boolean } = {},
  ): Promise<Team> {
    return this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/teams'),
        json: { name, allow_auto_assign: false, ...options },
      },
      TeamSchema,
    );
  }

  updateTeam(teamId: number, fields: { allow_auto_assign?: boolean; description?: string }): Promise<Team> {
    const teamRoute = this.accountRoute('/teams/{team_id}', { team_id: teamId });
    return this.core.request(
      { method: 'PATCH', route: teamRoute, json: fields, replaySafe: true },
      TeamSchema,
    );
  }

  /** Adds agents to a team (members already in it stay); answers the members added. */
  addTeamMembers(teamId: number, userIds: number[]): Promise<Agent[]> {
    return this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/teams/{team_id}/team_members', { team_id: teamId }),
        json: { user_ids: userIds },
        replaySafe: true,
      },
      AgentList,
    );
  }

  listTeamMembers(teamId: number): Promise<Agent[]> {
    return this.core.request(
      { method: 'GET', route: this.accountRoute('/teams/{team_id}/team_members', { team_id: teamId }) },
      AgentList,
    );
  }

  listAgents(): Promise<Agent[]> {
    return this.core.request({ method: 'GET', route: this.accountRoute('/agents') }, AgentList);
  }

  listCannedResponses(): Promise<CannedResponse[]> {
    return this.core.request(
      { method: 'GET', route: this.accountRoute('/canned_responses') },
      CannedResponseList,
    );
  }

  createCannedResponse(shortCode: string, content: string): Promise<CannedResponse> {
    return this.core.request(
      {
        method: 'POST',
        route: this.accountRoute('/canned_responses'),
        json: { short_code: shortCode, content },
      },
      CannedResponseSchema,
    );
  }

  /** CSAT ratings between two unix times (seconds), optionally of one inbox. */
  csatMetrics(range: { since: number; until: number; inboxId?: number }): Promise<CsatMetrics> {
    return this.core.request(
      {
        method: 'GET',
        route: this.accountRoute('/csat_survey_responses/metrics'),
        query: { since: range.since, until: range.until, inbox_id: range.inboxId },
      },
      CsatMetricsSchema,
    );
  }

  private accountRoute(suffix: string, params: Record<string, string | number> = {}) {
    return route(`/api/v1/accounts/{account_id}${suffix}`, { account_id: this.accountId, ...params });
  }

  /** POST /contacts/filter (15 a page, the total in meta.count): every page of matches. */
  private filteredContacts(condition: FilterBody): Promise<Contact[]> {
    const filterRoute = this.accountRoute('/contacts/filter');
    return this.collectFiltered(filterRoute.path, condition, async (page, body) => {
      const answer = await this.core.request(
        { method: 'POST', route: filterRoute, query: { page }, json: body, replaySafe: true },
        ContactPage,
      );
      return { items: answer.payload, total: answer.meta?.count ?? undefined };
    });
  }

  /** POST /conversations/filter (25 a page, the total in meta.all_count): every page of matches. */
  private filteredConversations(condition: FilterBody): Promise<Conversation[]> {
    const filterRoute = this.accountRoute('/conversations/filter');
    return this.collectFiltered(filterRoute.path, condition, async (page, body) => {
      const answer = await this.core.request(
        { method: 'POST', route: filterRoute, query: { page }, json: body, replaySafe: true },
        ConversationPage,
      );
      return { items: answer.payload, total: answer.meta?.all_count ?? undefined };
    });
  }

  /** Runs a filter (one equal_to condition, or `anyOf`'s) and gathers every page of matches. */
  private async collectFiltered<T extends { id: number }>(
    label: string,
    condition: FilterBody,
    fetchPage: (page: number, body: unknown) => Promise<{ items: T[]; total?: number }>,
  ): Promise<T[]> {
    // query_operator is omitted on the last (or only) condition: there Chatwoot expects none.
    const body =
      'payload' in condition
        ? condition
        : {
            payload: [
              { attribute_key: condition.key, filter_operator: 'equal_to', values: [condition.value] },
            ],
          };
    const matches: T[] = [];
    for await (const page of numberedPages(1, (page) => fetchPage(page, body), `POST ${label}`)) {
      matches.push(...page.items);
    }
    return matches;
  }
}

/** One equal_to condition, or a whole payload of conditions (anyOf). */
type FilterBody = { key: string; value: string | number } | { payload: FilterCondition[] };

interface FilterCondition {
  attribute_key: string;
  filter_operator: string;
  values: (string | number)[];
  query_operator?: 'OR';
}

/**
 * A filter matching any of `values` of `key`: one equal_to condition per distinct value joined by OR.
 * Not one condition with every value: for a text attribute the filter services keep only its first.
 * No query_operator on the last condition: Chatwoot would leave a dangling OR in its SQL.
 */
function anyOf(key: string, values: readonly string[]): { payload: FilterCondition[] } {
  const distinct = [...new Set(values)];
  return {
    payload: distinct.map((value, index) => ({
      attribute_key: key,
      filter_operator: 'equal_to',
      values: [value],
      ...(index < distinct.length - 1 ? { query_operator: 'OR' as const } : {}),
    })),
  };
}

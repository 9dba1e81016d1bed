/** Views: the jbuilder templates, field for field where it matters to a client. */
import { createHash } from 'node:crypto';
import { agentBotPush } from './agentBots.js';
import type { ActingUser } from './auth.js';
import {
  type AccountRecord,
  type ArticleRecord,
  type CannedResponseRecord,
  type CategoryRecord,
  type ContactInboxRecord,
  type ContactRecord,
  type ConversationRecord,
  type CsatResponseRecord,
  type CustomAttributeDefinitionRecord,
  type InboxRecord,
  type JsonObject,
  type LabelRecord,
  MESSAGE_TYPES,
  type MessageRecord,
  type PortalRecord,
  type TeamRecord,
  type UserRecord,
} from './records.js';
import type { ChatwootState } from './state.js';

const seconds = (time: number | null): number => (time === null ? 0 : Math.floor(time / 1000));
export const iso = (time: number | null): string | null =>
  time === null ? null : new Date(time).toISOString();

export class Views {
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
      hmac_mandatory: inbox.hmacMandatory,
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
    if (message.sender.type === 'AgentBot') {
      const bot = this.state.agentBotById(message.sender.id);
      return bot ? agentBotPush(bot) : null;
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

  cannedResponse(canned: CannedResponseRecord): JsonObject {
    return {
      id: canned.id,
      account_id: canned.accountId,
      short_code: canned.shortCode,
      content: canned.content,
      created_at: iso(canned.createdAt),
      updated_at: iso(canned.updatedAt),
    };
  }

  /**
   * app/views/api/v1/accounts/portals/_portal.json.jbuilder: the config is rendered, not returned as
   * stored. `allowed_locales` is a list of api/v1/models/_portal_config.json.jbuilder objects
   * ({code, articles_count, categories_count}), never the plain codes the portal was given, so a
   * client that reads the codes back must take each one's `code`.
   */
  portal(portal: PortalRecord): JsonObject {
    const count = (status: ArticleRecord['status']) =>
      portal.articles.filter((article) => article.status === status).length;
    const config = portal.config;
    const codes = Array.isArray(config.allowed_locales)
      ? config.allowed_locales.filter((code): code is string => typeof code === 'string')
      : [];
    return {
      id: portal.id,
      archived: portal.archived,
      color: portal.color,
      config: {
        allowed_locales: codes.map((code) => ({
          code,
          articles_count: portal.articles.filter((article) => article.locale === code).length,
          categories_count: portal.categories.filter((category) => category.locale === code).length,
        })),
        default_locale: typeof config.default_locale === 'string' ? config.default_locale : 'en',
      },
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

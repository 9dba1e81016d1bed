/**
 * The sandbox's dump (GET /__sandbox/dump): every account's rows as the migration's checks read them,
 * in snake_case and Unix seconds, copied so that a caller cannot change the state through it.
 */
import { agentBotsOf } from './agentBots.js';
import { accountUsers } from './auth.js';
import { contactInboxesOf } from './contacts.js';
import type {
  ArticleStatus,
  AttributeDisplayType,
  AttributeModel,
  ChannelType,
  ConversationStatus,
  JsonObject,
  JsonValue,
  MessageContentType,
  MessageType,
  UserRole,
} from './records.js';
import type { SandboxStore } from './store.js';

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
  sender: { type: 'user' | 'contact' | 'agent_bot'; id: number } | null;
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
  /** Its label_list (contact labels). */
  labels: string[];
  /** Its notes, oldest first (contactNotes.ts). */
  notes: Array<{ id: number; content: string; user_id: number; created_at: number }>;
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
  /** The account's agent bots and the system ones (account_id null) it sees. */
  agent_bots: Array<{
    id: number;
    name: string | null;
    description: string | null;
    account_id: number | null;
  }>;
  /** Every notification Chatwoot would have created for an agent (sideEffects.ts). */
  notifications: Array<{
    id: number;
    user_id: number;
    notification_type: string;
    conversation_id: number;
    message_id: number | null;
  }>;
}

export interface SandboxDump {
  accounts: DumpAccount[];
}

/** How the dump names a message's sender_type (as push_event_data's `type` does). */
const SENDER_TYPES = { User: 'user', Contact: 'contact', AgentBot: 'agent_bot' } as const;

export function dumpState(store: SandboxStore): SandboxDump {
  const seconds = (time: number) => Math.floor(time / 1000);
  const accounts = [...store.accounts.values()].map(
    (account): DumpAccount => ({
      id: account.id,
      name: account.name,
      users: accountUsers(store, account).map(({ user, role }) => ({
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
        contact_inboxes: contactInboxesOf(account, contact.id).map((contactInbox) => ({
          inbox_id: contactInbox.inboxId,
          source_id: contactInbox.sourceId,
        })),
        labels: [...(contact.labels ?? [])],
        notes: (account.notes ?? [])
          .filter((note) => note.contactId === contact.id)
          .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
          .map((note) => ({
            id: note.id,
            content: note.content,
            user_id: note.userId,
            created_at: seconds(note.createdAt),
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
                  type: SENDER_TYPES[message.sender.type],
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
      agent_bots: agentBotsOf(store, account).map((bot) => ({
        id: bot.id,
        name: bot.name,
        description: bot.description,
        account_id: bot.accountId,
      })),
      notifications: account.notifications.map((notification) => ({
        id: notification.id,
        user_id: notification.userId,
        notification_type: notification.notificationType,
        conversation_id: notification.conversationDisplayId,
        message_id: notification.messageId,
      })),
    }),
  );
  return { accounts };
}

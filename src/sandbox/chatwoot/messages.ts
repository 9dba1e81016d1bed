/** Messages (message.rb, Messages::MessageBuilder, MessageFinder). */
import { floodCount, setStatus } from './activities.js';
import { messageSenderBot } from './agentBots.js';
import type { ActingUser } from './auth.js';
import { contactById } from './contacts.js';
import { type FieldError, RecordInvalidError, RubyStandardError } from './errors.js';
import { inboxById } from './inboxes.js';
import { CHATWOOT_LIMITS } from './limits.js';
import {
  booleanParam,
  enumParam,
  integerParam,
  isBlank,
  objectParam,
  type Params,
  stringParam,
  toJsonValue,
  type UploadedFile,
} from './params.js';
import {
  type AccountRecord,
  type AttachmentRecord,
  type ConversationRecord,
  type JsonObject,
  MESSAGE_CONTENT_TYPES,
  MESSAGE_TYPES,
  type MessageRecord,
} from './records.js';
import { messageCreated, runAutoAssignment } from './sideEffects.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

export interface PreparedMessage {
  message: MessageRecord;
  errors: FieldError[];
}

function fileTypeOf(contentType: string): AttachmentRecord['fileType'] {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'file';
}

/**
 * Messages::MessageBuilder and the Message validations. Raises what the builder raises (bad enum,
 * incoming outside API inboxes, unsigned blob ids); returns validation errors for the caller to
 * raise the way its controller does.
 */
export function prepareMessage(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  params: Params,
  actor: ActingUser,
  files: UploadedFile[] = [],
): PreparedMessage {
  const inbox = inboxById(store, conversation.inboxId);
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
  const now = store.now();
  const id = store.nextId('message');
  const content = stringParam(params.content);
  // MessageBuilder#sender: `outgoing ? (message_sender || @user) : @conversation.contact`.
  const bot = messageType === 'outgoing' ? messageSenderBot(store, account, params) : undefined;
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
    sender: bot
      ? { type: 'AgentBot', id: bot.id }
      : messageType === 'outgoing'
        ? { type: 'User', id: actor.user.id }
        : { type: 'Contact', id: conversation.contactId },
    createdAt: now,
    updatedAt: now,
    attachments: files.map((file) => ({
      id: store.nextId('attachment'),
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
  if (floodCount(store, conversation) >= store.floodLimitPerMinute)
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
export function commitMessage(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  message: MessageRecord,
  actor: ActingUser,
): MessageRecord {
  conversation.messages.push(message);
  conversation.lastActivityAt = message.createdAt;
  conversation.updatedAt = message.createdAt;
  if (isValidFirstReply(conversation, message)) conversation.firstReplyCreatedAt = message.createdAt;
  // Message#update_contact_activity: any message whose sender is a contact, activity ones included.
  if (message.sender?.type === 'Contact') {
    const contact = contactById(account, message.sender.id);
    if (contact) contact.lastActivityAt = message.createdAt;
  }
  if (message.messageType === 'incoming') {
    const reopenedFrom = conversation.status;
    // Message#reopen_conversation: snoozed reopens as the token's user, resolved as the contact
    // ("system"); pending stays pending (it only moves when an agent bot hands off).
    if (conversation.status === 'snoozed')
      setStatus(store, account, conversation, 'open', { kind: 'user', actor });
    if (conversation.status === 'resolved') {
      setStatus(store, account, conversation, 'open', { kind: 'system_auto_open' });
    }
    if (reopenedFrom !== 'open' && conversation.status === 'open') {
      runAutoAssignment(store, account, conversation, actor);
    }
  }
  messageCreated(store, account, conversation, message);
  return message;
}

/**
 * Message#human_response? and #valid_first_reply? (app/models/message.rb, 4.x): an outgoing message
 * of a user (not an agent bot, an automation rule or a campaign), public, while the conversation has
 * no first reply and at most this one outgoing public message not sent by a bot. Only such a message
 * dispatches FIRST_REPLY_CREATED, the `first_response` reporting event agents' reports count.
 */
function isValidFirstReply(conversation: ConversationRecord, message: MessageRecord): boolean {
  const humanResponse =
    message.messageType === 'outgoing' &&
    isBlank(message.contentAttributes.automation_rule_id) &&
    isBlank(message.additionalAttributes.campaign_id) &&
    message.sender?.type === 'User';
  if (!humanResponse || message.private || conversation.firstReplyCreatedAt !== null) return false;
  const counted = conversation.messages.filter(
    (candidate) =>
      candidate.messageType === 'outgoing' &&
      candidate.sender?.type !== 'AgentBot' &&
      !candidate.private &&
      candidate.additionalAttributes.campaign_id == null,
  );
  return counted.length <= 1;
}

export function createMessage(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  params: Params,
  actor: ActingUser,
  files: UploadedFile[] = [],
): MessageRecord {
  const prepared = prepareMessage(store, account, conversation, params, actor, files);
  if (prepared.errors.length > 0) throw new RecordInvalidError(prepared.errors);
  return commitMessage(store, account, conversation, prepared.message, actor);
}

/** MessageFinder: after= gives up to 100 ascending; before= and the default give the latest 20. */
export function listMessages(conversation: ConversationRecord, params: Params): MessageRecord[] {
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

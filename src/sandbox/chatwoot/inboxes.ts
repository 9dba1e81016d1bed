/** Inboxes (inbox.rb, Channel::Api, Channel::WebWidget, Channel::Email). */
import { randomBytes } from 'node:crypto';
import { type ActingUser, requireAdministrator } from './auth.js';
import { couldNotCreate, notFound } from './errors.js';
import { CHATWOOT_LIMITS, INBOX_NAME_FORBIDDEN, WORD_CHAR } from './limits.js';
import { booleanParam, integerParam, isPlainObject, type Params, stringParam } from './params.js';
import { type AccountRecord, CHANNEL_TYPES, type ChannelKind, type InboxRecord } from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

export function findInbox(account: AccountRecord, id: unknown): InboxRecord {
  const wanted = integerParam(id);
  const inbox = account.inboxes.find((candidate) => candidate.id === wanted);
  if (!inbox) throw notFound();
  return inbox;
}

export function inboxById(store: SandboxStore, id: number): InboxRecord | undefined {
  for (const account of store.accounts.values()) {
    const inbox = account.inboxes.find((candidate) => candidate.id === id);
    if (inbox) return inbox;
  }
  return undefined;
}

export function createInbox(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): InboxRecord {
  requireAdministrator(actor);
  return insertInbox(store, account, params);
}

/** Inbox creation without the role check: seeds use it too. */
export function insertInbox(store: SandboxStore, account: AccountRecord, params: Params): InboxRecord {
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
    (INBOX_NAME_FORBIDDEN.test(name) || !WORD_CHAR.test(name[0] ?? '') || !WORD_CHAR.test(name.at(-1) ?? ''))
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
    id: store.nextId('inbox'),
    accountId: account.id,
    channelId: store.nextId(`channel:${channelType}`),
    name,
    channelType,
    webhookUrl: channelType === 'Channel::Api' ? stringParam(channel.webhook_url) : null,
    inboxIdentifier: randomBytes(12).toString('base64url'),
    hmacToken: randomBytes(12).toString('base64url'),
    hmacMandatory: channelType === 'Channel::WebWidget' && booleanParam(channel.hmac_mandatory) === true,
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
    // InboxesController#create adds no one: agents are added afterwards through /inbox_members.
    memberIds: [],
    createdAt: store.now(),
  };
  account.inboxes.push(inbox);
  return inbox;
}

/**
 * InboxesController#update (4.x): `@inbox.update!(permitted_params.except(:channel, :csat_config))`,
 * then the channel's editable attributes (an API channel's webhook_url). InboxPolicy#update?: administrators.
 */
export function updateInbox(inbox: InboxRecord, params: Params, actor: ActingUser): InboxRecord {
  requireAdministrator(actor);
  const name = 'name' in params ? (stringParam(params.name) ?? '') : inbox.name;
  const validation = new Validation();
  validation.presence('name', name);
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
  inbox.name = name;
  const bool = (key: string, current: boolean) =>
    key in params ? (booleanParam(params[key]) ?? current) : current;
  inbox.enableAutoAssignment = bool('enable_auto_assignment', inbox.enableAutoAssignment);
  inbox.greetingEnabled = bool('greeting_enabled', inbox.greetingEnabled);
  inbox.csatSurveyEnabled = bool('csat_survey_enabled', inbox.csatSurveyEnabled);
  inbox.enableEmailCollect = bool('enable_email_collect', inbox.enableEmailCollect);
  inbox.allowMessagesAfterResolved = bool('allow_messages_after_resolved', inbox.allowMessagesAfterResolved);
  inbox.lockToSingleConversation = bool('lock_to_single_conversation', inbox.lockToSingleConversation);
  inbox.workingHoursEnabled = bool('working_hours_enabled', inbox.workingHoursEnabled);
  if ('greeting_message' in params) inbox.greetingMessage = stringParam(params.greeting_message);
  const channel = isPlainObject(params.channel) ? params.channel : {};
  if (inbox.channelType === 'Channel::WebWidget' && 'hmac_mandatory' in channel) {
    inbox.hmacMandatory = booleanParam(channel.hmac_mandatory) === true;
  }
  if (inbox.channelType === 'Channel::Api' && 'webhook_url' in channel) {
    inbox.webhookUrl = stringParam(channel.webhook_url) || null;
  }
  return inbox;
}

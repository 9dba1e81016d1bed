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
    createdAt: store.now(),
  };
  account.inboxes.push(inbox);
  return inbox;
}

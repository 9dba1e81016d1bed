/**
 * What Chatwoot does on its own when conversations and messages are written: the notifications its
 * agents get, the auto-assignment that picks an online agent, and the account's automation rules and
 * webhooks that listen to the same events. A migration that writes years of history must set none of
 * them off; the sandbox records the notifications so that a rehearsal can prove it.
 *
 * - NotificationListener (app/listeners/notification_listener.rb, 4.x):
 *   conversation_created: `return if conversation.pending?`, then a `conversation_creation`
 *   notification for every member of the inbox (inbox.members: inbox_members, not administrators);
 *   assignee_changed: `return if event.data[:notifiable_assignee_change].blank?` and
 *   `return if conversation.pending?`, then `conversation_assignment` for the assignee;
 *   message_created: Messages::MentionService, then Messages::NewMessageNotificationService.
 * - Conversation#notifiable_assignee_change? (app/models/conversation.rb): the assignee changed, is
 *   present, and is not `Current.user` (self-assignment never notifies).
 * - Messages::NewMessageNotificationService (app/services/messages/new_message_notification_service.rb):
 *   only `message.notifiable?` messages (incoming or outgoing, not private: MessageFilterHelpers);
 *   `assigned_conversation_new_message` to the assignee unless the assignee sent it, then
 *   `participating_conversation_new_message` to every participant but the sender, each user once
 *   per message. No status is exempt: a pending conversation notifies its assignee too.
 * - AssignmentHandler (app/models/concerns/assignment_handler.rb): the assignee becomes a conversation
 *   participant (process_participant_assignment); a team change drops an assignee outside the team
 *   and, when the team `allow_auto_assign`s, picks one of its online members with capacity.
 * - AutoAssignmentHandler (app/models/concerns/auto_assignment_handler.rb) and
 *   AutoAssignment::AgentAssignmentService: when a conversation becomes open without an assignee (or
 *   with one outside the inbox) and the inbox has `enable_auto_assignment`, the least busy online
 *   inbox member (of the team, if the conversation has one and the team allows it) is assigned.
 * - NotificationBuilder (app/builders/notification_builder.rb) creates the notification when the
 *   user subscribed to its e-mail or push flag. Users may subscribe to any type, so the sandbox
 *   records every notification as if they had: a migration must not depend on agents' settings.
 * - Listeners run in Sidekiq jobs after the request (the async dispatcher). The sandbox runs them at
 *   once, which is the common case; see the README on assignment order.
 */
import type { ActingUser } from './auth.js';
import { notFound, RecordInvalidError } from './errors.js';
import { booleanParam, integerParam, type Params, stringParam } from './params.js';
import type {
  AccountRecord,
  AutomationRuleRecord,
  ConversationRecord,
  JsonObject,
  JsonValue,
  MessageRecord,
  NotificationRecord,
  WebhookRecord,
} from './records.js';
import type { SandboxStore } from './store.js';

export interface SandboxAutomationRuleSeed {
  name: string;
  eventName: string;
  active?: boolean;
  conditions?: JsonValue[];
  actions?: JsonValue[];
}

export interface SandboxWebhookSeed {
  url: string;
  subscriptions?: string[];
  inboxId?: number;
}

/** Webhook::ALLOWED_WEBHOOK_EVENTS (app/models/webhook.rb). */
const WEBHOOK_EVENTS = [
  'conversation_status_changed',
  'conversation_updated',
  'conversation_created',
  'contact_created',
  'contact_updated',
  'message_created',
  'message_updated',
  'webwidget_triggered',
  'inbox_created',
  'inbox_updated',
  'conversation_typing_on',
  'conversation_typing_off',
];

export function seedSideEffects(
  store: SandboxStore,
  account: AccountRecord,
  seed: {
    automationRules?: SandboxAutomationRuleSeed[];
    webhooks?: SandboxWebhookSeed[];
    onlineUserIds?: number[];
  },
): void {
  const now = store.now();
  for (const rule of seed.automationRules ?? []) {
    account.automationRules.push({
      id: store.nextId('automation_rule'),
      accountId: account.id,
      name: rule.name,
      description: null,
      eventName: rule.eventName,
      conditions: rule.conditions ?? [],
      actions: rule.actions ?? [{ action_name: 'add_label', action_params: ['triaged'] }],
      active: rule.active ?? true,
      createdAt: now,
    });
  }
  for (const webhook of seed.webhooks ?? []) {
    account.webhooks.push({
      id: store.nextId('webhook'),
      accountId: account.id,
      inboxId: webhook.inboxId ?? null,
      name: null,
      url: webhook.url,
      subscriptions: webhook.subscriptions ?? [...WEBHOOK_EVENTS],
      webhookType: webhook.inboxId === undefined ? 'account_type' : 'inbox_type',
      createdAt: now,
    });
  }
  account.onlineUserIds = [...(seed.onlineUserIds ?? [])];
}

// ----- automation rules and webhooks (AutomationRulesController, WebhooksController)

export function findAutomationRule(account: AccountRecord, id: unknown): AutomationRuleRecord {
  const wanted = integerParam(id);
  const rule = account.automationRules.find((candidate) => candidate.id === wanted);
  // fetch_automation_rule uses find_by: a missing rule is nil, and update! on nil raises NoMethodError.
  if (!rule) throw notFound();
  return rule;
}

/** AutomationRulesController#update: `update!(automation_rules_permit)`; `active` is permitted. */
export function updateAutomationRule(rule: AutomationRuleRecord, params: Params): AutomationRuleRecord {
  if ('active' in params) {
    const active = booleanParam(params.active);
    if (active === null)
      throw new RecordInvalidError([{ attribute: 'active', message: 'is not included in the list' }]);
    rule.active = active;
  }
  const name = stringParam(params.name);
  if (name) rule.name = name;
  return rule;
}

/** api/v1/accounts/automation_rules/partials/_automation_rule.json.jbuilder */
export function automationRuleView(rule: AutomationRuleRecord): JsonObject {
  return {
    id: rule.id,
    account_id: rule.accountId,
    name: rule.name,
    description: rule.description,
    event_name: rule.eventName,
    conditions: rule.conditions,
    actions: rule.actions,
    created_on: Math.floor(rule.createdAt / 1000),
    active: rule.active,
  };
}

export function findWebhook(account: AccountRecord, id: unknown): WebhookRecord {
  const wanted = integerParam(id);
  const webhook = account.webhooks.find((candidate) => candidate.id === wanted);
  if (!webhook) throw notFound();
  return webhook;
}

/** api/v1/accounts/webhooks/_webhook.json.jbuilder */
export function webhookView(account: AccountRecord, webhook: WebhookRecord): JsonObject {
  const view: JsonObject = {
    id: webhook.id,
    name: webhook.name,
    url: webhook.url,
    account_id: webhook.accountId,
    subscriptions: [...webhook.subscriptions],
  };
  const inbox = account.inboxes.find((candidate) => candidate.id === webhook.inboxId);
  if (inbox) view.inbox = { id: inbox.id, name: inbox.name, channel_type: inbox.channelType };
  return view;
}

// ----- notifications (NotificationListener, NewMessageNotificationService)

/** conversation_participants, which only this module reads. */
const participants = new WeakMap<ConversationRecord, Set<number>>();

function participantsOf(conversation: ConversationRecord): Set<number> {
  let set = participants.get(conversation);
  if (!set) {
    set = new Set();
    participants.set(conversation, set);
  }
  return set;
}

function notify(
  store: SandboxStore,
  account: AccountRecord,
  userId: number,
  notificationType: NotificationRecord['notificationType'],
  conversation: ConversationRecord,
  message: MessageRecord | null = null,
): void {
  // The assignee may have left the account: NotificationBuilder finds no setting and skips.
  if (!account.members.has(userId)) return;
  account.notifications.push({
    id: store.nextId('notification'),
    accountId: account.id,
    userId,
    notificationType,
    conversationDisplayId: conversation.displayId,
    messageId: message?.id ?? null,
    createdAt: store.now(),
  });
}

function inboxMemberIds(account: AccountRecord, conversation: ConversationRecord): number[] {
  const inbox = account.inboxes.find((candidate) => candidate.id === conversation.inboxId);
  return (inbox?.memberIds ?? []).filter((id) => account.members.has(id));
}

/** Conversation#after_create_commit: auto-assignment (after_save) first, then conversation_created. */
export function conversationCreated(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): void {
  if (conversation.assigneeId !== null) assigneeChanged(store, account, conversation, actor);
  if (conversation.status === 'open') runAutoAssignment(store, account, conversation, actor);
  if (conversation.status === 'pending') return;
  for (const userId of inboxMemberIds(account, conversation)) {
    notify(store, account, userId, 'conversation_creation', conversation);
  }
}

/** After any save that changed assignee_id: the participant, then NotificationListener#assignee_changed. */
export function assigneeChanged(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): void {
  const assigneeId = conversation.assigneeId;
  if (assigneeId === null) return;
  participantsOf(conversation).add(assigneeId);
  // notifiable_assignee_change? is computed when the event is dispatched (Current.user is the actor).
  if (assigneeId === actor.user.id) return;
  // NotificationListener is one of the AsyncDispatcher's listeners (app/dispatchers/async_dispatcher.rb):
  // it runs in EventDispatcherJob, which reloads the conversation, so `pending?` is read when the job
  // runs, by which time the request that follows may have changed the status.
  store.enqueueJob(() => {
    const current = conversation.assigneeId;
    if (current === null || conversation.status === 'pending') return;
    notify(store, account, current, 'conversation_assignment', conversation);
  });
}

/** AgentAssignmentService#find_assignee: online, allowed, fewest unresolved conversations, then lowest id. */
function findOnlineAssignee(account: AccountRecord, allowed: number[]): number | null {
  const candidates = allowed.filter((id) => account.onlineUserIds.includes(id));
  if (candidates.length === 0) return null;
  const load = (id: number) =>
    account.conversations.filter((c) => c.assigneeId === id && c.status !== 'resolved').length;
  return [...candidates].sort((a, b) => load(a) - load(b) || a - b)[0] ?? null;
}

/** AutoAssignmentHandler#run_auto_assignment, on a conversation whose status became open. */
export function runAutoAssignment(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): void {
  const inbox = account.inboxes.find((candidate) => candidate.id === conversation.inboxId);
  if (!inbox?.enableAutoAssignment || conversation.status !== 'open') return;
  const members = inboxMemberIds(account, conversation);
  if (conversation.assigneeId !== null && members.includes(conversation.assigneeId)) return;
  let allowed = members;
  if (conversation.teamId !== null) {
    const team = account.teams.find((candidate) => candidate.id === conversation.teamId);
    allowed = team?.allowAutoAssign ? members.filter((id) => team.memberIds.includes(id)) : [];
  }
  const picked = findOnlineAssignee(account, allowed);
  if (picked === null) return;
  conversation.assigneeId = picked;
  conversation.updatedAt = store.now();
  assigneeChanged(store, account, conversation, actor);
}

/** AssignmentHandler#find_assignee_from_team, when a team change left the conversation unassigned. */
export function assignFromTeam(account: AccountRecord, conversation: ConversationRecord): number | null {
  const team = account.teams.find((candidate) => candidate.id === conversation.teamId);
  if (!team?.allowAutoAssign || conversation.assigneeId !== null) return null;
  const members = inboxMemberIds(account, conversation).filter((id) => team.memberIds.includes(id));
  return findOnlineAssignee(account, members);
}

const MENTION = /\(mention:\/\/(user|team)\/(\d+)\/[^)]*\)/g;

/** NotificationListener#message_created: MentionService, then NewMessageNotificationService. */
export function messageCreated(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  message: MessageRecord,
): void {
  const notified = new Set<number>();
  if (message.private && message.content) {
    // Messages::MentionService: mentioned administrators and inbox members become participants.
    const valid = new Set([
      ...[...account.members].filter(([, role]) => role === 'administrator').map(([id]) => id),
      ...inboxMemberIds(account, conversation),
    ]);
    for (const match of message.content.matchAll(MENTION)) {
      const userId = Number(match[2]);
      if (match[1] !== 'user' || !valid.has(userId) || notified.has(userId)) continue;
      notified.add(userId);
      participantsOf(conversation).add(userId);
      notify(store, account, userId, 'conversation_mention', conversation, message);
    }
  }
  // Message#notifiable? (MessageFilterHelpers): incoming or outgoing, and not private.
  if (message.private || (message.messageType !== 'incoming' && message.messageType !== 'outgoing')) return;
  const senderUserId = message.sender?.type === 'User' ? message.sender.id : null;
  const assigneeId = conversation.assigneeId;
  if (assigneeId !== null && !notified.has(assigneeId) && assigneeId !== senderUserId) {
    notified.add(assigneeId);
    notify(store, account, assigneeId, 'assigned_conversation_new_message', conversation, message);
  }
  for (const userId of participantsOf(conversation)) {
    if (userId === senderUserId || notified.has(userId)) continue;
    notified.add(userId);
    notify(store, account, userId, 'participating_conversation_new_message', conversation, message);
  }
}

/** The notifications record, as GET /__sandbox/notifications and the dump give it. */
export function notificationsView(account: AccountRecord): JsonObject[] {
  return account.notifications.map((notification) => ({
    id: notification.id,
    user_id: notification.userId,
    notification_type: notification.notificationType,
    conversation_id: notification.conversationDisplayId,
    message_id: notification.messageId,
    created_at: Math.floor(notification.createdAt / 1000),
  }));
}

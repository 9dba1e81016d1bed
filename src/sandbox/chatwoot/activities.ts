/**
 * Activity messages: the status, assignee and team changes that leave one, their wording, and the
 * flood guard they share with every other message.
 */
import type { ActingUser } from './auth.js';
import type { AccountRecord, ConversationRecord, ConversationStatus } from './records.js';
import type { SandboxStore } from './store.js';

/** Message#prevent_message_flooding counts the conversation's messages of the last minute. */
export function floodCount(store: SandboxStore, conversation: ConversationRecord): number {
  const since = store.now() - 60_000;
  return conversation.messages.filter((message) => message.createdAt >= since).length;
}

/**
 * Activity messages come from Conversations::ActivityMessageJob, which the callbacks enqueue with
 * `perform_later` (app/models/concerns/activity_message_handler.rb): the wording is fixed when the
 * change is saved, the message is created when the job runs, after the request has answered. It goes
 * through the same validations, so a flooded conversation silently loses it (the job fails).
 */
export function addActivity(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  content: string,
): void {
  store.enqueueJob(() => createActivityMessage(store, account, conversation, content));
}

function createActivityMessage(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  content: string,
): void {
  if (floodCount(store, conversation) >= store.floodLimitPerMinute) return;
  const now = store.now();
  conversation.messages.push({
    id: store.nextId('message'),
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

/** A status change and the activity message it leaves when the status really changes. */
export function setStatus(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  status: ConversationStatus,
  activity: { kind: 'user'; actor: ActingUser } | { kind: 'system_auto_open' },
): void {
  const previous = conversation.status;
  conversation.status = status;
  if (status !== 'snoozed') conversation.snoozedUntil = null;
  conversation.updatedAt = store.now();
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
  addActivity(store, account, conversation, content);
}

export function assigneeChangeActivity(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): void {
  const userName = actor.user.name;
  const assignee = conversation.assigneeId === null ? undefined : store.users.get(conversation.assigneeId);
  let content: string;
  if (!assignee) content = `Conversation unassigned by ${userName}`;
  else if (assignee.id === actor.user.id) content = `${userName} self-assigned this conversation`;
  else content = `Assigned to ${assignee.name} by ${userName}`;
  addActivity(store, account, conversation, content);
}

export function teamChangeActivity(
  store: SandboxStore,
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
    const assignee = conversation.assigneeId === null ? undefined : store.users.get(conversation.assigneeId);
    content = assignee
      ? `Assigned to ${assignee.name} via ${team.name} by ${userName}`
      : `Assigned to ${team.name} by ${userName}`;
  }
  addActivity(store, account, conversation, content);
}

/**
 * Conversations (conversation.rb, ConversationBuilder, the conversations controller's status, assignment,
 * label and custom attribute actions, ConversationFinder's listing).
 */
import { randomUUID } from 'node:crypto';
import { addActivity, assigneeChangeActivity, setStatus, teamChangeActivity } from './activities.js';
import { type ActingUser, accountUserId } from './auth.js';
import { contactById, findContact, prepareContactInbox } from './contacts.js';
import {
  ChatwootApiError,
  couldNotCreate,
  notAuthorizedForAction,
  notFound,
  RecordInvalidError,
} from './errors.js';
import { findInbox, inboxById } from './inboxes.js';
import { authorizeInbox, listsConversation } from './inboxMembers.js';
import { checkConversationAttributes } from './jsonbAttributes.js';
import { findByAscendingKey } from './lookup.js';
import { commitMessage, prepareMessage } from './messages.js';
import {
  enumParam,
  has,
  integerParam,
  isBlank,
  isPlainObject,
  isUploadedFile,
  objectParam,
  type Params,
  parseTime,
  stringParam,
} from './params.js';
import {
  type AccountRecord,
  CONVERSATION_STATUSES,
  type ContactInboxRecord,
  type ConversationRecord,
  type JsonObject,
  type TeamRecord,
} from './records.js';
import { assigneeChanged, assignFromTeam, conversationCreated, runAutoAssignment } from './sideEffects.js';
import type { SandboxStore } from './store.js';

export function findConversation(account: AccountRecord, displayId: unknown): ConversationRecord {
  const wanted = integerParam(displayId);
  const conversation = findByAscendingKey(account.conversations, (candidate) => candidate.displayId, wanted);
  if (!conversation) throw notFound();
  return conversation;
}

export function createConversation(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): ConversationRecord {
  const inbox = isBlank(params.inbox_id) ? null : findInbox(account, params.inbox_id);
  // ConversationsController#inbox: `authorize @inbox, :show?` before the contact is looked up.
  if (inbox) authorizeInbox(account, inbox, actor);
  const contact = isBlank(params.contact_id) ? null : findContact(account, params.contact_id);
  let contactInbox: ContactInboxRecord | undefined;
  let newContactInbox = false;
  if (inbox && contact) {
    const prepared = prepareContactInbox(store, account, contact, inbox, params.source_id);
    if (!prepared.isNew && prepared.record.contactId !== contact.id) {
      throw new ChatwootApiError(422, { error: 'source_id should be unique' });
    }
    contactInbox = prepared.record;
    newContactInbox = prepared.isNew;
  } else {
    // The legacy look-up by source_id alone, across the whole installation.
    const sourceId = stringParam(params.source_id);
    for (const candidateAccount of store.accounts.values()) {
      contactInbox ??= candidateAccount.contactInboxes.find((candidate) => candidate.sourceId === sourceId);
    }
    if (!contactInbox) throw notFound();
    // `authorize @contact_inbox.inbox, :show?`: an inbox of another account, or one the agent is not in.
    const found = account.inboxes.find((candidate) => candidate.id === contactInbox?.inboxId);
    if (!found) throw notAuthorizedForAction();
    authorizeInbox(account, found, actor);
  }
  const conversationInbox = inboxById(store, contactInbox.inboxId) ?? inbox;
  if (!conversationInbox) throw notFound();
  if (conversationInbox.lockToSingleConversation) {
    const existing = account.conversations.find((candidate) => candidate.contactInboxId === contactInbox?.id);
    if (existing) return existing;
  }
  let status = isBlank(params.status) ? 'open' : enumParam(CONVERSATION_STATUSES, params.status, 'status');
  // Conversation#determine_conversation_status (before_create): a blocked contact's is resolved.
  if (contactById(account, contactInbox.contactId)?.blocked) status = 'resolved';
  const team = isBlank(params.team_id) ? null : teamOrInvalid(account, params.team_id);
  let assigneeId = accountUserId(account, params.assignee_id);
  // AssignmentHandler#ensure_assignee_is_from_team (before_save, so on create too: team_id_changed?):
  // a team drops an assignee outside it, and one that allow_auto_assign picks an online member
  // (app/models/concerns/assignment_handler.rb, find_assignee_from_team).
  if (team && assigneeId !== null && !team.memberIds.includes(assigneeId)) assigneeId = null;
  const now = store.now();
  const conversation: ConversationRecord = {
    id: store.nextId('conversation'),
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
    snoozedUntil: status === 'snoozed' ? parseTime(params.snoozed_until) : null,
    priority: null,
    firstReplyCreatedAt: null,
    createdAt: now,
    updatedAt: now,
    lastActivityAt: now,
    messages: [],
  };
  if (team && assigneeId === null) conversation.assigneeId = assignFromTeam(account, conversation);
  // ConversationBuilder's create! validates the conversation before the message is built.
  checkConversationAttributes(conversation);
  // One transaction (ConversationsController#create): Messages::MessageBuilder on params[:message],
  // files included (message[attachments][] in a multipart create); an invalid one rolls both back.
  const initial = isPlainObject(params.message) && !isBlank(params.message) ? params.message : null;
  const initialFiles = Array.isArray(initial?.attachments) ? initial.attachments.filter(isUploadedFile) : [];
  const prepared = initial
    ? prepareMessage(store, account, conversation, initial, actor, initialFiles)
    : null;
  if (prepared && prepared.errors.length > 0) throw new RecordInvalidError(prepared.errors);
  account.nextDisplayId += 1;
  if (newContactInbox) account.contactInboxes.push(contactInbox);
  account.conversations.push(conversation);
  if (prepared) commitMessage(store, account, conversation, prepared.message, actor);
  if (conversation.teamId !== null) teamChangeActivity(store, account, conversation, null, actor);
  else if (conversation.assigneeId !== null) assigneeChangeActivity(store, account, conversation, actor);
  conversationCreated(store, account, conversation, actor);
  return conversation;
}

function teamOrInvalid(account: AccountRecord, id: unknown): TeamRecord {
  const wanted = integerParam(id);
  const team = account.teams.find((candidate) => candidate.id === wanted);
  if (!team) throw new RecordInvalidError([{ attribute: 'team', message: 'must exist' }]);
  return team;
}

export function toggleStatus(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  params: Params,
  actor: ActingUser,
): ConversationRecord {
  const previousStatus = conversation.status;
  if (!isBlank(params.status)) {
    const status = enumParam(CONVERSATION_STATUSES, params.status, 'status');
    const snoozedUntil = has(params, 'snoozed_until')
      ? parseTime(params.snoozed_until)
      : conversation.snoozedUntil;
    setStatus(store, account, conversation, status, { kind: 'user', actor });
    if (status === 'snoozed') conversation.snoozedUntil = snoozedUntil;
  } else {
    setStatus(store, account, conversation, conversation.status === 'open' ? 'resolved' : 'open', {
      kind: 'user',
      actor,
    });
  }
  if (previousStatus !== 'open') runAutoAssignment(store, account, conversation, actor);
  // Opening a conversation with an agent's token assigns it to that agent.
  if (conversation.status === 'open' && actor.role === 'agent' && conversation.assigneeId !== actor.user.id) {
    conversation.assigneeId = actor.user.id;
    assigneeChangeActivity(store, account, conversation, actor);
    assigneeChanged(store, account, conversation, actor);
  }
  return conversation;
}

/** POST /assignments: assignee_id wins over team_id; returns what the controller renders. */
export function assign(
  store: SandboxStore,
  account: AccountRecord,
  conversation: ConversationRecord,
  params: Params,
  actor: ActingUser,
): { kind: 'agent'; userId: number } | { kind: 'team'; team: TeamRecord | null } | { kind: 'none' } {
  if (has(params, 'assignee_id')) {
    const assigneeId = accountUserId(account, params.assignee_id);
    if (assigneeId !== conversation.assigneeId) {
      conversation.assigneeId = assigneeId;
      conversation.updatedAt = store.now();
      assigneeChangeActivity(store, account, conversation, actor);
      assigneeChanged(store, account, conversation, actor);
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
      const fromTeam = assignFromTeam(account, conversation);
      if (fromTeam !== null) conversation.assigneeId = fromTeam;
      conversation.updatedAt = store.now();
      teamChangeActivity(store, account, conversation, previousTeamId, actor);
      if (fromTeam !== null) assigneeChanged(store, account, conversation, actor);
    }
    return { kind: 'team', team };
  }
  return { kind: 'none' };
}

/**
 * POST /labels on a conversation replaces the list. acts-as-taggable joins the array with commas
 * and splits it again, strips blanks and drops case-insensitive duplicates; labels need not exist.
 */
export function setConversationLabels(
  store: SandboxStore,
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
  if (added.length > 0 || removed.length > 0) conversation.updatedAt = store.now();
  if (added.length > 0)
    addActivity(store, account, conversation, `${actor.user.name} added ${added.join(', ')}`);
  if (removed.length > 0) {
    addActivity(store, account, conversation, `${actor.user.name} removed ${removed.join(', ')}`);
  }
  return conversation.labels;
}

/** POST /custom_attributes assigns the whole hash: keys not sent are gone. */
export function setConversationCustomAttributes(
  store: SandboxStore,
  conversation: ConversationRecord,
  params: Params,
): JsonObject {
  if (!has(params, 'custom_attributes')) {
    throw couldNotCreate('param is missing or the value is empty: custom_attributes');
  }
  const customAttributes = objectParam(params.custom_attributes) ?? {};
  // save! runs every validation, additional_attributes' included.
  checkConversationAttributes({ ...conversation, customAttributes });
  conversation.customAttributes = customAttributes;
  conversation.updatedAt = store.now();
  return conversation.customAttributes;
}

export function listConversations(
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): ConversationRecord[] {
  const status = stringParam(params.status) ?? 'open';
  const inboxId = integerParam(params.inbox_id);
  const teamId = integerParam(params.team_id);
  const labels = Array.isArray(params.labels) ? params.labels.map((label) => stringParam(label)) : null;
  const assigneeType = stringParam(params.assignee_type) ?? 'all';
  // ConversationFinder: inbox_id within the user's assigned inboxes, then PermissionFilterService.
  return sortConversations(
    params.sort_by,
    account.conversations.filter(
      (conversation) =>
        listsConversation(account, conversation, actor) &&
        (status === 'all' || conversation.status === status) &&
        (inboxId === null || conversation.inboxId === inboxId) &&
        (teamId === null || conversation.teamId === teamId) &&
        // filter_by_labels: tagged_with(params[:labels], any: true).
        (labels === null || labels.some((label) => label !== null && conversation.labels.includes(label))) &&
        (assigneeType === 'all' ||
          (assigneeType === 'me' && conversation.assigneeId === actor.user.id) ||
          (assigneeType === 'unassigned' && conversation.assigneeId === null) ||
          (assigneeType === 'assigned' && conversation.assigneeId !== null)),
    ),
  );
}

/**
 * ConversationFinder#conversations: `sort_by` picks one of SORT_OPTIONS (app/finders/conversation_finder.rb,
 * the scopes in app/models/concerns/sort_handler.rb); an unknown or missing one is last_activity_at_desc.
 * Postgres leaves ties in no particular order; the sandbox breaks them by id in the same direction.
 * The waiting_since sorts are not simulated (the sandbox keeps no waiting_since) and fall back too.
 */
export function sortConversations(
  sortBy: unknown,
  conversations: ConversationRecord[],
): ConversationRecord[] {
  const key = stringParam(sortBy) ?? '';
  const [field, direction] = Object.hasOwn(CONVERSATION_SORT_OPTIONS, key)
    ? CONVERSATION_SORT_OPTIONS[key]
    : CONVERSATION_SORT_OPTIONS.last_activity_at_desc;
  const sign = direction === 'asc' ? 1 : -1;
  const value = (conversation: ConversationRecord) =>
    field === 'created_at'
      ? conversation.createdAt
      : field === 'priority'
        ? (PRIORITY_RANK[conversation.priority ?? ''] ?? 0)
        : conversation.lastActivityAt;
  return [...conversations].sort(
    (a, b) =>
      sign * (value(a) - value(b)) ||
      // sort_on_priority orders by last_activity_at in the same direction after the priority.
      (field === 'priority' ? sign * (a.lastActivityAt - b.lastActivityAt) : 0) ||
      sign * (a.id - b.id),
  );
}

const CONVERSATION_SORT_OPTIONS: Record<
  string,
  readonly ['last_activity_at' | 'created_at' | 'priority', 'asc' | 'desc']
> = {
  last_activity_at_asc: ['last_activity_at', 'asc'],
  last_activity_at_desc: ['last_activity_at', 'desc'],
  created_at_asc: ['created_at', 'asc'],
  created_at_desc: ['created_at', 'desc'],
  priority_asc: ['priority', 'asc'],
  priority_desc: ['priority', 'desc'],
  // Legacy aliases kept by ConversationFinder::SORT_OPTIONS.
  latest: ['last_activity_at', 'desc'],
  sort_on_created_at: ['created_at', 'asc'],
  sort_on_priority: ['priority', 'desc'],
};

/** Conversation.priorities (low 0 .. urgent 3); NULL sorts as 0 (CASE WHEN priority IS NULL THEN 0). */
const PRIORITY_RANK: Record<string, number> = { low: 0, medium: 1, high: 2, urgent: 3 };

/** The conversation lists' order: latest activity first. */
export function sortLatest(conversations: ConversationRecord[]): ConversationRecord[] {
  return [...conversations].sort((a, b) => b.lastActivityAt - a.lastActivityAt || b.id - a.id);
}

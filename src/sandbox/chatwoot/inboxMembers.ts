/**
 * Inbox members and the policies that read them. In Chatwoot an agent (not an administrator) sees and
 * acts on a conversation only through the inbox it is in or the team it belongs to, so a migration
 * that writes with agents' tokens must make them members first.
 *
 * - InboxMembersController (app/controllers/api/v1/accounts/inbox_members_controller.rb): POST adds
 *   `user_ids - current members` (Inbox#add_members, `inbox_members.create!` in one transaction), PATCH
 *   also removes the members not listed; both answer the inbox's members in the account.
 * - InboxMember (app/models/inbox_member.rb): belongs_to :user ("User must exist"), user_id unique per
 *   inbox ("User has already been taken").
 * - InboxPolicy (app/policies/inbox_policy.rb): create?/update?/destroy? need an administrator; show?
 *   is `Current.user.assigned_inboxes.include?(inbox)`: any inbox of the account for an administrator,
 *   the inboxes it is a member of for an agent (User#assigned_inboxes).
 * - ConversationPolicy#show? (app/policies/conversation_policy.rb): administrator, or a member of the
 *   conversation's inbox (inbox_access?), or a member of its team (team_access?). Every conversation
 *   route authorizes it (Conversations::BaseController#conversation, ConversationsController#conversation);
 *   Pundit::NotAuthorizedError is answered 401 "You are not authorized to do this action".
 * - Conversations::PermissionFilterService: lists (index, filter, a contact's conversations) show an
 *   agent only the conversations of its inboxes; team membership does not list a conversation.
 */
import type { ActingUser } from './auth.js';
import { notAuthorizedForAction, RecordInvalidError, RubyStandardError } from './errors.js';
import { integerParam, type Params } from './params.js';
import type { AccountRecord, ConversationRecord, InboxRecord, UserRecord } from './records.js';
import type { SandboxStore } from './store.js';

const isAdministrator = (actor: ActingUser): boolean => actor.role === 'administrator';

/** InboxPolicy#show? (User#assigned_inboxes). */
export function canShowInbox(account: AccountRecord, inbox: InboxRecord, actor: ActingUser): boolean {
  if (inbox.accountId !== account.id) return false;
  return isAdministrator(actor) || inbox.memberIds.includes(actor.user.id);
}

export function authorizeInbox(account: AccountRecord, inbox: InboxRecord, actor: ActingUser): void {
  if (!canShowInbox(account, inbox, actor)) throw notAuthorizedForAction();
}

/** ConversationPolicy#show?: administrator, inbox_access? or team_access?. */
export function canShowConversation(
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): boolean {
  if (isAdministrator(actor)) return true;
  const inbox = account.inboxes.find((candidate) => candidate.id === conversation.inboxId);
  if (inbox?.memberIds.includes(actor.user.id)) return true;
  if (conversation.teamId === null) return false;
  const team = account.teams.find((candidate) => candidate.id === conversation.teamId);
  return team?.memberIds.includes(actor.user.id) ?? false;
}

export function authorizeConversation(
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): void {
  if (!canShowConversation(account, conversation, actor)) throw notAuthorizedForAction();
}

/** Conversations::PermissionFilterService: whether a list shows the conversation to the actor. */
export function listsConversation(
  account: AccountRecord,
  conversation: ConversationRecord,
  actor: ActingUser,
): boolean {
  if (isAdministrator(actor)) return true;
  const inbox = account.inboxes.find((candidate) => candidate.id === conversation.inboxId);
  return inbox?.memberIds.includes(actor.user.id) ?? false;
}

/** `Current.account.users.where(id: @inbox.members.select(:user_id))`: members outside the account are not shown. */
export function inboxMembers(store: SandboxStore, account: AccountRecord, inbox: InboxRecord): UserRecord[] {
  return inbox.memberIds
    .filter((id) => account.members.has(id))
    .sort((a, b) => a - b)
    .map((id) => store.users.get(id))
    .filter((user): user is UserRecord => user !== undefined);
}

/**
 * `params[:user_ids] - @current_agents_ids`: Ruby's Array#- compares by value and type, so an id sent
 * as a string is never "already there" and its insert meets the uniqueness validation. A missing or
 * non-array user_ids raises NoMethodError/TypeError, which nothing rescues.
 */
function requestedIds(inbox: InboxRecord, params: Params): { toAdd: unknown[]; requested: unknown[] } {
  const requested = params.user_ids;
  if (!Array.isArray(requested)) {
    throw new RubyStandardError("NoMethodError: undefined method `-' for user_ids");
  }
  return {
    requested,
    toAdd: requested.filter((id) => !(typeof id === 'number' && inbox.memberIds.includes(id))),
  };
}

/** Inbox#add_members: `inbox_members.create!` for each id, all or none. */
function addMembers(store: SandboxStore, inbox: InboxRecord, ids: unknown[]): void {
  const added: number[] = [];
  for (const raw of ids) {
    const id = integerParam(raw);
    if (id === null || !store.users.has(id)) {
      throw new RecordInvalidError([{ attribute: 'user', message: 'must exist' }]);
    }
    if (inbox.memberIds.includes(id) || added.includes(id)) {
      throw new RecordInvalidError([{ attribute: 'user_id', message: 'has already been taken' }]);
    }
    added.push(id);
  }
  inbox.memberIds.push(...added);
}

export function addInboxMembers(
  store: SandboxStore,
  account: AccountRecord,
  inbox: InboxRecord,
  params: Params,
  actor: ActingUser,
): UserRecord[] {
  if (!isAdministrator(actor)) throw notAuthorizedForAction();
  const { toAdd } = requestedIds(inbox, params);
  addMembers(store, inbox, toAdd);
  return inboxMembers(store, account, inbox);
}

/** PATCH: the members become exactly user_ids (added, then the others removed, in one transaction). */
export function updateInboxMembers(
  store: SandboxStore,
  account: AccountRecord,
  inbox: InboxRecord,
  params: Params,
  actor: ActingUser,
): UserRecord[] {
  if (!isAdministrator(actor)) throw notAuthorizedForAction();
  const { toAdd, requested } = requestedIds(inbox, params);
  const keep = new Set(requested.filter((id): id is number => typeof id === 'number'));
  const before = [...inbox.memberIds];
  addMembers(store, inbox, toAdd);
  inbox.memberIds = inbox.memberIds.filter((id) => keep.has(id) || !before.includes(id));
  return inboxMembers(store, account, inbox);
}

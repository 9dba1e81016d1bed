/**
 * In-memory model of a Chatwoot 4.10 installation: accounts, users, inboxes, contacts, conversations,
 * messages, labels, teams, custom attribute definitions, canned responses, help-center portals and
 * CSAT responses. Its rules are Chatwoot's own model validations and callbacks (contact.rb,
 * message.rb, conversation.rb, label.rb, team.rb, the message and conversation builders, the filter
 * services), because a migration rehearsed against a lenient fake fails on the real service.
 *
 * ChatwootState is the one object the server and the tests hold; each resource's rules live in its
 * own module (contacts.ts, conversations.ts, messages.ts, ...), which this class only delegates to.
 */
import { createAgentBot, findAgentBot, listAgentBots, seedSystemAgentBot } from './agentBots.js';
import {
  type ActingUser,
  accountUsers,
  createAgent,
  findAccount,
  requireAdministrator,
  resetAccessToken,
  userByToken,
} from './auth.js';
import { BulkActionJobs, createBulkAction } from './bulkActions.js';
import { mergeContactsByIds } from './contactMerge.js';
import { createContactNote, setContactLabels, updateContactNote } from './contactNotes.js';
import {
  contactById,
  contactInboxesOf,
  createContact,
  createContactInbox,
  findContact,
  resolvedContacts,
  searchContacts,
  updateContact,
} from './contacts.js';
import {
  assign,
  createConversation,
  findConversation,
  listConversations,
  setConversationCustomAttributes,
  setConversationLabels,
  sortLatest,
  toggleStatus,
} from './conversations.js';
import { csatSentCount, filterCsat, seedCsat } from './csat.js';
import { createCustomAttributeDefinition, listCustomAttributeDefinitions } from './customAttributes.js';
import { destroyContact } from './erasure.js';
import { filterContacts, filterConversations } from './filters.js';
import { createArticle, createCategory, createPortal, findPortal } from './helpCenter.js';
import { createInbox, findInbox, inboxById } from './inboxes.js';
import {
  addInboxMembers,
  authorizeConversation,
  authorizeInbox,
  inboxMembers,
  listsConversation,
  updateInboxMembers,
} from './inboxMembers.js';
import {
  addTeamMembers,
  createCannedResponse,
  createLabel,
  createTeam,
  findTeam,
  teamMembers,
} from './labelsTeams.js';
import {
  commitMessage,
  createMessage,
  listMessages,
  type PreparedMessage,
  prepareMessage,
} from './messages.js';
import type { Params, UploadedFile } from './params.js';
import type {
  AccountRecord,
  AgentBotRecord,
  ArticleRecord,
  CannedResponseRecord,
  CategoryRecord,
  ContactInboxRecord,
  ContactRecord,
  ConversationRecord,
  CsatResponseRecord,
  CustomAttributeDefinitionRecord,
  InboxRecord,
  JsonObject,
  LabelRecord,
  MessageRecord,
  NoteRecord,
  PortalRecord,
  TeamRecord,
  UserRecord,
  UserRole,
} from './records.js';
import { DEFAULT_CHATWOOT_ACCOUNTS, type SandboxAccountSeed, seedAccount } from './seed.js';
import { dumpState, type SandboxDump } from './stateDump.js';
import { SandboxStore, type SandboxStoreOptions } from './store.js';
import {
  openWidget,
  type SetUserAnswer,
  setWidgetUser,
  type WidgetSession,
  widgetRequestSession,
} from './widget.js';

export type { ActingUser } from './auth.js';
export {
  ChatwootApiError,
  type FieldError,
  notAuthorizedForAction,
  notFound,
  RecordInvalidError,
  RecordNotUniqueError,
  RubyStandardError,
} from './errors.js';
export { CHATWOOT_LIMITS } from './limits.js';
export {
  booleanParam,
  integerParam,
  isBlank,
  isUploadedFile,
  type Params,
  stringParam,
  toJsonValue,
  type UploadedFile,
} from './params.js';
export * from './records.js';
export {
  DEFAULT_CHATWOOT_ACCOUNTS,
  type SandboxAccountSeed,
  type SandboxInboxSeed,
  type SandboxUserSeed,
} from './seed.js';
export type {
  DumpAccount,
  DumpAttachment,
  DumpContact,
  DumpConversation,
  DumpMessage,
  SandboxDump,
} from './stateDump.js';

export interface ChatwootStateOptions extends SandboxStoreOptions {
  accounts?: readonly SandboxAccountSeed[];
}

export class ChatwootState {
  readonly accounts: Map<number, AccountRecord>;
  readonly users: Map<number, UserRecord>;
  readonly floodLimitPerMinute: number;
  readonly writeLatencyMs: number;
  /** BulkActionsJob's queue delay, and jobs to lose (bulkActions.ts). */
  readonly bulkActionJobs = new BulkActionJobs();
  /** Contacts::BulkActionJob's (contactBulkActions.ts), apart: tests may lose one kind only. */
  readonly contactBulkActionJobs = new BulkActionJobs();
  private readonly store: SandboxStore;

  constructor(options: ChatwootStateOptions = {}) {
    this.store = new SandboxStore(options);
    this.accounts = this.store.accounts;
    this.users = this.store.users;
    this.floodLimitPerMinute = this.store.floodLimitPerMinute;
    this.writeLatencyMs = this.store.writeLatencyMs;
    for (const seed of options.accounts ?? DEFAULT_CHATWOOT_ACCOUNTS) seedAccount(this.store, seed);
  }

  /** Resolves once the enqueued jobs (activity messages) have run. */
  jobsSettled(): Promise<void> {
    return this.store.jobsSettled();
  }

  /** A `perform_later` (or a `dependent: :destroy_async`): runs after the request has answered. */
  performLater(job: () => void): void {
    this.store.enqueueJob(job);
  }

  now(): number {
    return this.store.now();
  }

  // ----- accounts, users, authorization (auth.ts)

  resetAccessToken(email: string): string {
    return resetAccessToken(this.store, email);
  }

  userByToken(token: string): UserRecord | undefined {
    return userByToken(this.store, token);
  }

  account(id: number): AccountRecord {
    return findAccount(this.store, id);
  }

  accountUsers(account: AccountRecord): Array<{ user: UserRecord; role: UserRole }> {
    return accountUsers(this.store, account);
  }

  requireAdministrator(actor: ActingUser): void {
    requireAdministrator(actor);
  }

  createAgent(
    account: AccountRecord,
    params: Params,
    actor: ActingUser,
  ): { user: UserRecord; role: UserRole } {
    return createAgent(this.store, account, params, actor);
  }

  // ----- inboxes (inboxes.ts) and custom attribute definitions (customAttributes.ts)

  inbox(account: AccountRecord, id: unknown): InboxRecord {
    return findInbox(account, id);
  }

  inboxById(id: number): InboxRecord | undefined {
    return inboxById(this.store, id);
  }

  createInbox(account: AccountRecord, params: Params, actor: ActingUser): InboxRecord {
    return createInbox(this.store, account, params, actor);
  }

  // ----- inbox members and the policies that read them (inboxMembers.ts)

  inboxMembers(account: AccountRecord, inbox: InboxRecord): UserRecord[] {
    return inboxMembers(this.store, account, inbox);
  }

  addInboxMembers(
    account: AccountRecord,
    inbox: InboxRecord,
    params: Params,
    actor: ActingUser,
  ): UserRecord[] {
    return addInboxMembers(this.store, account, inbox, params, actor);
  }

  updateInboxMembers(
    account: AccountRecord,
    inbox: InboxRecord,
    params: Params,
    actor: ActingUser,
  ): UserRecord[] {
    return updateInboxMembers(this.store, account, inbox, params, actor);
  }

  /** InboxPolicy#show?: 401 unless an administrator or a member of the inbox. */
  authorizeInbox(account: AccountRecord, inbox: InboxRecord, actor: ActingUser): void {
    authorizeInbox(account, inbox, actor);
  }

  /** ConversationPolicy#show?: 401 unless an administrator, or a member of its inbox or team. */
  authorizeConversation(account: AccountRecord, conversation: ConversationRecord, actor: ActingUser): void {
    authorizeConversation(account, conversation, actor);
  }

  /** Whether the conversation lists (index, filter) show it to the actor. */
  listsConversation(account: AccountRecord, conversation: ConversationRecord, actor: ActingUser): boolean {
    return listsConversation(account, conversation, actor);
  }

  listCustomAttributeDefinitions(account: AccountRecord, model: unknown): CustomAttributeDefinitionRecord[] {
    return listCustomAttributeDefinitions(account, model);
  }

  createCustomAttributeDefinition(
    account: AccountRecord,
    params: Params,
    actor: ActingUser,
  ): CustomAttributeDefinitionRecord {
    return createCustomAttributeDefinition(this.store, account, params, actor);
  }

  // ----- contacts (contacts.ts)

  contact(account: AccountRecord, id: unknown): ContactRecord {
    return findContact(account, id);
  }

  contactById(account: AccountRecord, id: number): ContactRecord | undefined {
    return contactById(account, id);
  }

  contactInboxesOf(account: AccountRecord, contactId: number): ContactInboxRecord[] {
    return contactInboxesOf(account, contactId);
  }

  createContact(
    account: AccountRecord,
    params: Params,
  ): Promise<{ contact: ContactRecord; contactInbox: ContactInboxRecord | null }> {
    return createContact(this.store, account, params);
  }

  updateContact(account: AccountRecord, id: unknown, params: Params): ContactRecord {
    return updateContact(this.store, account, id, params);
  }

  resolvedContacts(account: AccountRecord): ContactRecord[] {
    return resolvedContacts(account);
  }

  searchContacts(account: AccountRecord, query: unknown): ContactRecord[] {
    return searchContacts(account, query);
  }

  filterContacts(account: AccountRecord, params: Params): ContactRecord[] {
    return filterContacts(this.store, account, params);
  }

  createContactInbox(account: AccountRecord, contactId: unknown, params: Params): ContactInboxRecord {
    return createContactInbox(this.store, account, contactId, params);
  }

  // ----- contact notes and labels (contactNotes.ts)

  createContactNote(
    account: AccountRecord,
    contact: ContactRecord,
    params: Params,
    actor: ActingUser,
  ): NoteRecord {
    return createContactNote(this.store, account, contact, params, actor);
  }

  updateContactNote(note: NoteRecord, params: Params): NoteRecord {
    return updateContactNote(this.store, note, params);
  }

  setContactLabels(contact: ContactRecord, labels: unknown): string[] {
    return setContactLabels(this.store, contact, labels);
  }

  /** POST /actions/contact_merge (contactMerge.ts). */
  mergeContacts(account: AccountRecord, params: Params): ContactRecord {
    return mergeContactsByIds(this.store, account, params);
  }

  // ----- the website widget (widget.ts)

  openWidget(websiteToken: unknown, cwConversation: unknown): WidgetSession {
    return openWidget(this.store, websiteToken, cwConversation);
  }

  widgetSession(websiteToken: unknown, authToken: string | undefined): WidgetSession {
    return widgetRequestSession(this.store, websiteToken, authToken);
  }

  setWidgetUser(session: WidgetSession, params: Params): SetUserAnswer {
    return setWidgetUser(this.store, session, params);
  }

  // ----- conversations (conversations.ts)

  conversation(account: AccountRecord, displayId: unknown): ConversationRecord {
    return findConversation(account, displayId);
  }

  createConversation(account: AccountRecord, params: Params, actor: ActingUser): ConversationRecord {
    return createConversation(this.store, account, params, actor);
  }

  /** POST /bulk_actions: validated now, applied later by BulkActionsJob (bulkActions.ts). */
  bulkActions(account: AccountRecord, params: Params, actor: ActingUser): void {
    createBulkAction(this.store, this.bulkActionJobs, account, params, actor, {
      jobs: this.contactBulkActionJobs,
      destroy: (contactId) => destroyContact(this, account, contactId, actor),
    });
  }

  toggleStatus(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
  ): ConversationRecord {
    return toggleStatus(this.store, account, conversation, params, actor);
  }

  assign(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
  ): { kind: 'agent'; userId: number } | { kind: 'team'; team: TeamRecord | null } | { kind: 'none' } {
    return assign(this.store, account, conversation, params, actor);
  }

  setConversationLabels(
    account: AccountRecord,
    conversation: ConversationRecord,
    labels: unknown,
    actor: ActingUser,
  ): string[] {
    return setConversationLabels(this.store, account, conversation, labels, actor);
  }

  setConversationCustomAttributes(conversation: ConversationRecord, params: Params): JsonObject {
    return setConversationCustomAttributes(this.store, conversation, params);
  }

  listConversations(account: AccountRecord, params: Params, actor: ActingUser): ConversationRecord[] {
    return listConversations(account, params, actor);
  }

  sortLatest(conversations: ConversationRecord[]): ConversationRecord[] {
    return sortLatest(conversations);
  }

  filterConversations(account: AccountRecord, params: Params): ConversationRecord[] {
    return filterConversations(this.store, account, params);
  }

  // ----- messages (messages.ts)

  prepareMessage(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
    files: UploadedFile[] = [],
  ): PreparedMessage {
    return prepareMessage(this.store, account, conversation, params, actor, files);
  }

  commitMessage(
    account: AccountRecord,
    conversation: ConversationRecord,
    message: MessageRecord,
    actor: ActingUser,
  ): MessageRecord {
    return commitMessage(this.store, account, conversation, message, actor);
  }

  createMessage(
    account: AccountRecord,
    conversation: ConversationRecord,
    params: Params,
    actor: ActingUser,
    files: UploadedFile[] = [],
  ): MessageRecord {
    return createMessage(this.store, account, conversation, params, actor, files);
  }

  listMessages(conversation: ConversationRecord, params: Params): MessageRecord[] {
    return listMessages(conversation, params);
  }

  // ----- agent bots (agentBots.ts)

  listAgentBots(account: AccountRecord, actor: ActingUser): AgentBotRecord[] {
    return listAgentBots(this.store, account, actor);
  }

  agentBot(account: AccountRecord, id: unknown, actor: ActingUser): AgentBotRecord {
    return findAgentBot(this.store, account, id, actor);
  }

  agentBotById(id: number): AgentBotRecord | undefined {
    return this.store.agentBots.get(id);
  }

  createAgentBot(account: AccountRecord, params: Params, actor: ActingUser): AgentBotRecord {
    return createAgentBot(this.store, account, params, actor);
  }

  /** A system bot (account_id nil), as a super admin makes one: every account sees it. */
  seedSystemAgentBot(params: Params): AgentBotRecord {
    return seedSystemAgentBot(this.store, params);
  }

  // ----- labels, teams, canned responses (labelsTeams.ts)

  createLabel(account: AccountRecord, params: Params, actor: ActingUser): LabelRecord {
    return createLabel(this.store, account, params, actor);
  }

  team(account: AccountRecord, id: unknown): TeamRecord {
    return findTeam(account, id);
  }

  createTeam(account: AccountRecord, params: Params, actor: ActingUser): TeamRecord {
    return createTeam(this.store, account, params, actor);
  }

  addTeamMembers(account: AccountRecord, team: TeamRecord, params: Params, actor: ActingUser): UserRecord[] {
    return addTeamMembers(this.store, account, team, params, actor);
  }

  teamMembers(team: TeamRecord): UserRecord[] {
    return teamMembers(this.store, team);
  }

  createCannedResponse(account: AccountRecord, params: Params): CannedResponseRecord {
    return createCannedResponse(this.store, account, params);
  }

  // ----- help center (helpCenter.ts)

  portal(account: AccountRecord, slug: unknown): PortalRecord {
    return findPortal(account, slug);
  }

  createPortal(account: AccountRecord, params: Params, actor: ActingUser): PortalRecord {
    return createPortal(this.store, account, params, actor);
  }

  createCategory(
    account: AccountRecord,
    portal: PortalRecord,
    params: Params,
    actor: ActingUser,
  ): CategoryRecord {
    return createCategory(this.store, account, portal, params, actor);
  }

  createArticle(account: AccountRecord, portal: PortalRecord, params: Params): ArticleRecord {
    return createArticle(this.store, account, portal, params);
  }

  // ----- CSAT (csat.ts)

  seedCsat(params: Params): CsatResponseRecord[] {
    return seedCsat(this.store, params);
  }

  filterCsat(account: AccountRecord, params: Params): CsatResponseRecord[] {
    return filterCsat(account, params);
  }

  csatSentCount(account: AccountRecord, params: Params): number {
    return csatSentCount(account, params);
  }

  // ----- dump (stateDump.ts)

  dump(): SandboxDump {
    return dumpState(this.store);
  }
}

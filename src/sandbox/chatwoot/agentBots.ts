/**
 * Agent bots (Chatwoot 4.10) and the messages the API lets a user post in a bot's name.
 *
 * - Api::V1::Accounts::AgentBotsController (app/controllers/api/v1/accounts/agent_bots_controller.rb):
 *   index lists `AgentBot.where(account_id: [nil, Current.account.id])` (the account's bots and the
 *   system bots); show finds in the same scope; create is `Current.account.agent_bots.create!` with
 *   name, description, outgoing_url, bot_type and bot_config permitted.
 * - AgentBotPolicy (app/policies/agent_bot_policy.rb): create, update and destroy are for
 *   administrators; index and show for administrators or a custom role with the `agent_bots`
 *   feature, which a community installation does not have, so an agent gets 401.
 * - AgentBot (app/models/agent_bot.rb): the only validation is outgoing_url's length
 *   (Limits::URL_LENGTH_LIMIT, 2048); no presence of name. `enum bot_type: { webhook: 0 }`, so any
 *   other bot_type raises ArgumentError (a 500). AccessTokenable gives it an access token.
 *   push_event_data: {id, name, avatar_url, type: 'agent_bot'} (Avatarable's avatar_url is '' without
 *   an avatar).
 * - Messages::MessageBuilder#message_sender (app/builders/messages/message_builder.rb): an outgoing
 *   message with `sender_type: 'AgentBot'` is the bot's when `sender_id` names one of that scope;
 *   an unknown or another account's id gives nil, and the sender falls back to the token's user.
 *   Only outgoing messages look at it: incoming, activity and template ones are the contact's.
 * - api/v1/models/_agent_bot.json.jbuilder: id, name, description, thumbnail, outgoing_url (not for
 *   system bots), bot_type, bot_config, account_id, access_token (administrators), system_bot.
 */
import { randomBytes } from 'node:crypto';
import type { ActingUser } from './auth.js';
import { notAuthorizedForAction, notFound } from './errors.js';
import { enumParam, has, integerParam, isBlank, objectParam, type Params, stringParam } from './params.js';
import type { AccountRecord, AgentBotRecord, JsonObject } from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

/** Limits::URL_LENGTH_LIMIT (lib/limits.rb). */
const URL_LENGTH_LIMIT = 2048;

/** `AgentBot.where(account_id: [nil, account.id])`, by id. */
export function agentBotsOf(store: SandboxStore, account: AccountRecord): AgentBotRecord[] {
  return [...store.agentBots.values()]
    .filter((bot) => bot.accountId === null || bot.accountId === account.id)
    .sort((a, b) => a.id - b.id);
}

/** AgentBotPolicy#index? and #show?: administrators (custom roles are an enterprise feature). */
function requireReader(actor: ActingUser): void {
  if (actor.role !== 'administrator') throw notAuthorizedForAction();
}

export function listAgentBots(
  store: SandboxStore,
  account: AccountRecord,
  actor: ActingUser,
): AgentBotRecord[] {
  requireReader(actor);
  return agentBotsOf(store, account);
}

export function findAgentBot(
  store: SandboxStore,
  account: AccountRecord,
  id: unknown,
  actor: ActingUser,
): AgentBotRecord {
  // check_authorization runs before the agent_bot look-up.
  requireReader(actor);
  const wanted = integerParam(id);
  const bot = agentBotsOf(store, account).find((candidate) => candidate.id === wanted);
  if (!bot) throw notFound();
  return bot;
}

function insertAgentBot(store: SandboxStore, accountId: number | null, params: Params): AgentBotRecord {
  const outgoingUrl = stringParam(params.outgoing_url);
  const botType = has(params, 'bot_type') && !isBlank(params.bot_type) ? params.bot_type : 'webhook';
  const bot: AgentBotRecord = {
    id: 0,
    accountId,
    name: stringParam(params.name),
    description: stringParam(params.description),
    outgoingUrl,
    botType: enumParam(['webhook'] as const, botType, 'bot_type'),
    botConfig: objectParam(params.bot_config) ?? {},
    accessToken: randomBytes(18).toString('base64url'),
    createdAt: store.now(),
  };
  const validation = new Validation();
  validation.maxLength('outgoing_url', outgoingUrl, URL_LENGTH_LIMIT);
  validation.check();
  bot.id = store.nextId('agent_bot');
  store.agentBots.set(bot.id, bot);
  return bot;
}

export function createAgentBot(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): AgentBotRecord {
  if (actor.role !== 'administrator') throw notAuthorizedForAction();
  return insertAgentBot(store, account.id, params);
}

/** A system bot (account_id nil), as a super admin creates one: every account sees it. */
export function seedSystemAgentBot(store: SandboxStore, params: Params): AgentBotRecord {
  return insertAgentBot(store, null, params);
}

/** MessageBuilder#message_sender: the bot a `sender_type: 'AgentBot'` message names, if in scope. */
export function messageSenderBot(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
): AgentBotRecord | undefined {
  if (params.sender_type !== 'AgentBot') return undefined;
  const wanted = integerParam(params.sender_id);
  if (wanted === null) return undefined;
  return agentBotsOf(store, account).find((bot) => bot.id === wanted);
}

/** AgentBot#push_event_data, how a message renders its bot sender. */
export function agentBotPush(bot: AgentBotRecord): JsonObject {
  return { id: bot.id, name: bot.name, avatar_url: '', type: 'agent_bot' };
}

/** api/v1/models/_agent_bot.json.jbuilder. */
export function agentBotView(bot: AgentBotRecord, actor: ActingUser): JsonObject {
  const systemBot = bot.accountId === null;
  const view: JsonObject = {
    id: bot.id,
    name: bot.name,
    description: bot.description,
    thumbnail: '',
  };
  if (!systemBot) view.outgoing_url = bot.outgoingUrl;
  view.bot_type = bot.botType;
  view.bot_config = bot.botConfig;
  view.account_id = bot.accountId;
  if (actor.role === 'administrator') view.access_token = bot.accessToken;
  view.system_bot = systemBot;
  return view;
}

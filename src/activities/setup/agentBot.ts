/**
 * The agent bot that carries the answers of Intercom's bots (Fin, workflows, custom bots) into
 * Chatwoot. Posted as an agent, they would count in that agent's reports (messages sent, first
 * response); posted as an agent bot they count for no one (Message#human_response? is false for a
 * bot sender), and the conversation shows a bot's answer as a bot's. It has no outgoing URL and is
 * in no inbox, so Chatwoot sends it nothing and it never answers anyone.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';

export const INTERCOM_BOTS_NAME = 'Intercom bots';
export const INTERCOM_BOTS_DESCRIPTION =
  'Carries the answers of Intercom bots (Fin, workflows, custom bots) migrated from Intercom. ' +
  'It is in no inbox and answers nobody.';

/**
 * The account's bot of that name, created the first time (the list is read first, so a retry after
 * an answer lost on the way finds the bot instead of making another). A system bot of the same name
 * is someone else's: the account gets its own.
 */
export async function ensureIntercomBot(chatwoot: ChatwootClient, accountId: number): Promise<number> {
  const existing = (await chatwoot.agentBots.list())
    .filter((bot) => bot.account_id === accountId && bot.name === INTERCOM_BOTS_NAME)
    .sort((a, b) => a.id - b.id)[0];
  if (existing) return existing.id;
  const created = await chatwoot.agentBots.create({
    name: INTERCOM_BOTS_NAME,
    description: INTERCOM_BOTS_DESCRIPTION,
  });
  return created.id;
}

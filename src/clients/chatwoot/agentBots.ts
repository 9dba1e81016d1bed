/**
 * Agent bots of the account (Api::V1::Accounts::AgentBotsController): the migration posts the
 * answers of Intercom's bots as one, so that Chatwoot's reports do not count them as an agent's.
 * Administrators only (AgentBotPolicy). Apart from client.ts to keep that file within its size.
 */
import { z } from 'zod';
import { type HttpCore, type RouteRef, route } from '../httpCore.js';

/** api/v1/models/_agent_bot.json.jbuilder; account_id is null for a system bot. */
export const AgentBot = z.looseObject({
  id: z.number().int(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  account_id: z.number().int().nullish(),
  system_bot: z.boolean().nullish(),
});
export type AgentBot = z.infer<typeof AgentBot>;

export interface AgentBotCalls {
  /** The account's bots and the system bots (index renders a bare array). */
  list(): Promise<AgentBot[]>;
  /** A bot with no outgoing_url and in no inbox: it receives no events and answers nobody. */
  create(bot: { name: string; description: string }): Promise<AgentBot>;
}

export function agentBotCalls(core: HttpCore, accountId: number): AgentBotCalls {
  const botsRoute: RouteRef = route('/api/v1/accounts/{account_id}/agent_bots', { account_id: accountId });
  return {
    list: () => core.request({ method: 'GET', route: botsRoute }, z.array(AgentBot)),
    create: (bot) => core.request({ method: 'POST', route: botsRoute, json: bot }, AgentBot),
  };
}

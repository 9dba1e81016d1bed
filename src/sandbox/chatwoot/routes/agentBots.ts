/** Agent bot routes (Api::V1::Accounts::AgentBotsController; rules in ../agentBots.ts). */
import { agentBotView } from '../agentBots.js';
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addAgentBotRoutes({ add, state }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/agent_bots`, ({ account, actor }) =>
    ok(state.listAgentBots(account, actor).map((bot) => agentBotView(bot, actor))),
  );
  add('POST', `${ACCOUNT_BASE}/agent_bots`, ({ account, params, actor }) =>
    ok(agentBotView(state.createAgentBot(account, params, actor), actor)),
  );
  add('GET', `${ACCOUNT_BASE}/agent_bots/:id`, ({ account, path, actor }) =>
    ok(agentBotView(state.agentBot(account, path.id, actor), actor)),
  );
}

/**
 * The account settings a migration must check before it writes: inbox, team and portal updates
 * (InboxesController#update, TeamsController#update, PortalsController#update), automation rules
 * (AutomationRulesController: index, show, update with `active`) and webhooks (WebhooksController:
 * index, destroy; a webhook has no on/off switch). Each policy lets administrators only.
 */
import { requireAdministrator } from '../auth.js';
import { updatePortal } from '../helpCenter.js';
import { updateInbox } from '../inboxes.js';
import { updateTeam } from '../labelsTeams.js';
import {
  automationRuleView,
  findAutomationRule,
  findWebhook,
  updateAutomationRule,
  webhookView,
} from '../sideEffects.js';
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addSettingsRoutes({ add, state, views }: RouteTable): void {
  for (const method of ['PATCH', 'PUT']) {
    add(method, `${ACCOUNT_BASE}/inboxes/:id`, ({ account, path, params, actor }) =>
      ok(views.inbox(updateInbox(state.inbox(account, path.id), params, actor))),
    );
    add(method, `${ACCOUNT_BASE}/teams/:team_id`, ({ account, path, params, actor }) =>
      ok(views.team(account, updateTeam(account, state.team(account, path.team_id), params, actor), actor)),
    );
    add(method, `${ACCOUNT_BASE}/portals/:portal_id`, ({ account, path, params, actor }) =>
      ok(views.portal(updatePortal(state.portal(account, path.portal_id), params, actor))),
    );
    add(method, `${ACCOUNT_BASE}/automation_rules/:id`, ({ account, path, params, actor }) => {
      requireAdministrator(actor);
      return ok(automationRuleView(updateAutomationRule(findAutomationRule(account, path.id), params)));
    });
  }
  add('GET', `${ACCOUNT_BASE}/automation_rules`, ({ account, actor }) => {
    requireAdministrator(actor);
    return ok({ payload: account.automationRules.map(automationRuleView) });
  });
  add('GET', `${ACCOUNT_BASE}/automation_rules/:id`, ({ account, path, actor }) => {
    requireAdministrator(actor);
    return ok(automationRuleView(findAutomationRule(account, path.id)));
  });
  add('GET', `${ACCOUNT_BASE}/webhooks`, ({ account, actor }) => {
    requireAdministrator(actor);
    return ok({ payload: { webhooks: account.webhooks.map((webhook) => webhookView(account, webhook)) } });
  });
  add('DELETE', `${ACCOUNT_BASE}/webhooks/:id`, ({ account, path, actor }) => {
    requireAdministrator(actor);
    const webhook = findWebhook(account, path.id);
    account.webhooks = account.webhooks.filter((candidate) => candidate !== webhook);
    return ok(null);
  });
}

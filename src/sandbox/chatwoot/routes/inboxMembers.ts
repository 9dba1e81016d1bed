/**
 * Inbox member routes (config/routes.rb: `resources :inbox_members, only: [:create, :show],
 * param: :inbox_id` with collection `patch :update`): GET /inbox_members/:inbox_id, POST and PATCH
 * /inbox_members with inbox_id and user_ids in the body. Each finds the inbox first (404), then asks
 * InboxPolicy (401); the answer is `payload` with the members as agents (inbox_members/*.json.jbuilder).
 */
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addInboxMemberRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/inbox_members/:inbox_id`, ({ account, path, actor }) => {
    const inbox = state.inbox(account, path.inbox_id);
    state.authorizeInbox(account, inbox, actor);
    return ok({ payload: state.inboxMembers(account, inbox).map((user) => views.agent(account, user)) });
  });
  add('POST', `${ACCOUNT_BASE}/inbox_members`, ({ account, params, actor }) => {
    const inbox = state.inbox(account, params.inbox_id);
    const members = state.addInboxMembers(account, inbox, params, actor);
    return ok({ payload: members.map((user) => views.agent(account, user)) });
  });
  add('PATCH', `${ACCOUNT_BASE}/inbox_members`, ({ account, params, actor }) => {
    const inbox = state.inbox(account, params.inbox_id);
    const members = state.updateInboxMembers(account, inbox, params, actor);
    return ok({ payload: members.map((user) => views.agent(account, user)) });
  });
}

/** Inbox routes (Api::V1::Accounts::InboxesController). */
import { ACCOUNT_BASE, ok, type RouteTable } from './router.js';

export function addInboxRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/inboxes`, ({ account }) =>
    ok({ payload: account.inboxes.map((inbox) => views.inbox(inbox)) }),
  );
  add('POST', `${ACCOUNT_BASE}/inboxes`, ({ account, params, actor }) =>
    ok(views.inbox(state.createInbox(account, params, actor))),
  );
  add('GET', `${ACCOUNT_BASE}/inboxes/:id`, ({ account, path }) =>
    ok(views.inbox(state.inbox(account, path.id))),
  );
}

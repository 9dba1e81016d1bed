/** The delete routes of an erasure request (the behaviour and its sources are in erasure.ts). */
import { destroyContact, destroyConversation } from './erasure.js';
import { ACCOUNT_BASE, ok, type RouteTable } from './routes/router.js';

export function addErasureRoutes({ add, state }: RouteTable): void {
  add('DELETE', `${ACCOUNT_BASE}/contacts/:id`, ({ account, path, actor }) => {
    destroyContact(state, account, path.id, actor);
    // head :ok (rendered like the other head answers of the sandbox).
    return ok(null);
  });
  add('DELETE', `${ACCOUNT_BASE}/conversations/:id`, ({ account, path, actor }) => {
    destroyConversation(state, account, path.id, actor);
    return ok(null);
  });
}

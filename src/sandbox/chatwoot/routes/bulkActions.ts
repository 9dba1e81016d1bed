/** POST /bulk_actions (Api::V1::Accounts::BulkActionsController#create; the job in ../bulkActions.ts). */
import { ACCOUNT_BASE, type RouteTable } from './router.js';

export function addBulkActionRoutes({ add, state }: RouteTable): void {
  add('POST', `${ACCOUNT_BASE}/bulk_actions`, ({ account, params, actor }) => {
    state.bulkActions(account, params, actor);
    // head :ok: a 200 with an empty body (the sandbox sends it as an empty JSON text).
    return { status: 200, body: null, empty: true };
  });
}

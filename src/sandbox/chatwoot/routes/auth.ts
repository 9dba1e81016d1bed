/**
 * Who a request acts as, decided before any route runs, and the routes about users: the token's own
 * profile and the account's agents.
 */
import type { IncomingMessage } from 'node:http';
import type { ActingUser } from '../auth.js';
import { ChatwootApiError, notFound } from '../errors.js';
import { integerParam } from '../params.js';
import type { AccountRecord, UserRole } from '../records.js';
import type { ChatwootState } from '../state.js';
import { ACCOUNT_BASE, ok, type Route, type RouteTable } from './router.js';

const notAuthorizedForAccount = (): ChatwootApiError =>
  new ChatwootApiError(401, { error: 'You are not authorized to access this account' });

/**
 * Api::BaseController: a present token is looked up; without one Devise answers for the session.
 * Account routes then need a membership of that account; the profile acts in the user's first one.
 */
export function authenticate(
  state: ChatwootState,
  req: IncomingMessage,
  route: Route,
  path: Record<string, string>,
): { actor: ActingUser; account: AccountRecord } {
  const tokenHeader = req.headers.api_access_token;
  const token = (Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader)?.trim() ?? '';
  if (token === '') {
    throw new ChatwootApiError(401, { errors: ['You need to sign in or sign up before continuing.'] });
  }
  const user = state.userByToken(token);
  if (!user) throw new ChatwootApiError(401, { error: 'Invalid Access Token' });
  if (route.scope === 'account') {
    const account = state.accounts.get(integerParam(path.account_id) ?? -1);
    if (!account) throw notFound();
    const role: UserRole | undefined = account.members.get(user.id);
    if (!role) throw notAuthorizedForAccount();
    return { account, actor: { user, role } };
  }
  const first = [...state.accounts.values()].find((candidate) => candidate.members.has(user.id));
  if (!first) throw notAuthorizedForAccount();
  return { account: first, actor: { user, role: first.members.get(user.id) ?? 'agent' } };
}

export function addAuthRoutes({ add, state, views }: RouteTable): void {
  add('GET', '/api/v1/profile', ({ actor }) => ok(views.profile(actor.user)), 'profile');
  add('GET', `${ACCOUNT_BASE}/agents`, ({ account }) =>
    ok(state.accountUsers(account).map(({ user }) => views.agent(account, user))),
  );
  add('POST', `${ACCOUNT_BASE}/agents`, ({ account, params, actor }) =>
    ok(views.agent(account, state.createAgent(account, params, actor).user)),
  );
}

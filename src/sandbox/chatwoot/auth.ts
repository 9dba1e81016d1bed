/**
 * Accounts and their users: access tokens, account membership and roles (AccountUser), the
 * administrator-only actions' check, and the agents an administrator adds.
 */
import { randomBytes } from 'node:crypto';
import { notAuthorizedForAction, notFound, RecordInvalidError } from './errors.js';
import { CHATWOOT_LIMITS, DEVISE_EMAIL } from './limits.js';
import { enumParam, integerParam, type Params, stringParam } from './params.js';
import type { AccountRecord, UserRecord, UserRole } from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

export interface ActingUser {
  user: UserRecord;
  role: UserRole;
}

/**
 * A new access token for the user, as the profile page's "reset access token" does: the old one is
 * refused (401) from the next request on.
 */
export function resetAccessToken(store: SandboxStore, email: string): string {
  const user = [...store.users.values()].find((candidate) => candidate.email === email.toLowerCase());
  if (!user) throw notFound();
  user.accessToken = randomBytes(18).toString('base64url');
  return user.accessToken;
}

export function userByToken(store: SandboxStore, token: string): UserRecord | undefined {
  for (const user of store.users.values()) if (user.accessToken === token) return user;
  return undefined;
}

export function findAccount(store: SandboxStore, id: number): AccountRecord {
  const account = store.accounts.get(id);
  if (!account) throw notFound();
  return account;
}

export function accountUsers(
  store: SandboxStore,
  account: AccountRecord,
): Array<{ user: UserRecord; role: UserRole }> {
  const result: Array<{ user: UserRecord; role: UserRole }> = [];
  for (const [userId, role] of account.members) {
    const user = store.users.get(userId);
    if (user) result.push({ user, role });
  }
  return result.sort((a, b) => a.user.id - b.user.id);
}

/** A user id param that names a member of the account, else null (unknown ids are dropped, not refused). */
export function accountUserId(account: AccountRecord, id: unknown): number | null {
  const wanted = integerParam(id);
  return wanted !== null && account.members.has(wanted) ? wanted : null;
}

export function requireAdministrator(actor: ActingUser): void {
  if (actor.role !== 'administrator') throw notAuthorizedForAction();
}

/** AgentBuilder: finds or creates the user by e-mail, then adds it to the account. */
export function createAgent(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): { user: UserRecord; role: UserRole } {
  requireAdministrator(actor);
  const name = stringParam(params.name) ?? '';
  const email = (stringParam(params.email) ?? '').trim().toLowerCase();
  const role = enumParam(['agent', 'administrator'] as const, params.role ?? 'agent', 'role');
  const validation = new Validation();
  validation.presence('name', name);
  validation.presence('email', email);
  if (email !== '' && !DEVISE_EMAIL.test(email)) validation.add('email', 'is invalid');
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
  let user = [...store.users.values()].find((candidate) => candidate.email === email);
  if (user && account.members.has(user.id)) {
    throw new RecordInvalidError([{ attribute: 'user_id', message: 'has already been taken' }]);
  }
  if (!user) {
    user = {
      id: store.nextId('user'),
      name,
      displayName: null,
      email,
      accessToken: randomBytes(18).toString('base64url'),
      createdAt: store.now(),
    };
    store.users.set(user.id, user);
  }
  account.members.set(user.id, role);
  return { user, role };
}

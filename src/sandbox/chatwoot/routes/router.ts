/**
 * The route table of the application API (config/routes.rb, /api/v1): each resource's module adds
 * its handlers. The first route that matches wins, so fixed paths (contacts/search) go before the
 * :id ones next to them.
 */
import type { IncomingMessage } from 'node:http';
import type { ActingUser } from '../auth.js';
import { integerParam, type Params } from '../params.js';
import type { AccountRecord, JsonValue } from '../records.js';
import type { ChatwootState } from '../state.js';
import type { Views } from '../views.js';

export const ACCOUNT_BASE = '/api/v1/accounts/:account_id';

export interface Reply {
  status: number;
  body: JsonValue;
  /** `head :ok`: the status with no body at all (bulkActions.ts). */
  empty?: boolean;
}

export const ok = (body: JsonValue): Reply => ({ status: 200, body });

export interface Context {
  req: IncomingMessage;
  params: Params;
  path: Record<string, string>;
  actor: ActingUser;
  account: AccountRecord;
}

export type Handler = (context: Context) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: string;
  segments: string[];
  scope: 'account' | 'profile';
  handler: Handler;
}

export class RouteTable {
  readonly routes: Route[] = [];

  constructor(
    readonly state: ChatwootState,
    readonly views: Views,
  ) {}

  readonly add = (
    method: string,
    pattern: string,
    handler: Handler,
    scope: Route['scope'] = 'account',
  ): void => {
    this.routes.push({ method, pattern, segments: pattern.split('/').filter(Boolean), scope, handler });
  };

  match(method: string, pathname: string): { route: Route; path: Record<string, string> } | undefined {
    const segments = pathname.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const path: Record<string, string> = {};
      const matched = route.segments.every((segment, index) => {
        const actual = segments[index] ?? '';
        if (segment.startsWith(':')) {
          path[segment.slice(1)] = decodeURIComponent(actual);
          return true;
        }
        return segment === actual;
      });
      if (matched) return { route, path };
    }
    return undefined;
  }
}

export function page(params: Params): number {
  const value = integerParam(params.page);
  return value !== null && value > 0 ? value : 1;
}

/** Rails echoes the page param as given (a string), or 1 when there was none. */
export function currentPage(params: Params): JsonValue {
  return typeof params.page === 'string' || typeof params.page === 'number' ? params.page : 1;
}

export function paginate<T>(items: T[], params: Params, perPage: number): T[] {
  const start = (page(params) - 1) * perPage;
  return items.slice(start, start + perPage);
}

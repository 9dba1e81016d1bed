/**
 * The Chatwoot sandbox's HTTP face: the application API of Chatwoot 4.10 under /api/v1, with its
 * authentication, status codes and error bodies, Rack::Attack's throttle, fault injection, and the
 * sandbox's own /__sandbox control routes (no auth, never throttled or faulted).
 *
 * This file only wires the parts: request parsing (request.ts), the route table (routes/router.ts)
 * with one module of handlers per resource (routes/*.ts), the jbuilder views (views.ts), and the
 * answers for throttles, faults and errors (response.ts).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from '../../listen.js';
import { type FaultConfig, FaultInjector } from '../faults.js';
import { BusiestSecondMeter } from './busiestSecond.js';
import { addErasureRoutes } from './erasureRoutes.js';
import { RackAttack } from './rackAttack.js';
import { parseBody, parseSearchParams, readBody, refuseUnstorableText } from './request.js';
import { answerError, answerServerError, answerThrottled, sendJson, sendText } from './response.js';
import { addAgentBotRoutes } from './routes/agentBots.js';
import { addAuthRoutes, authenticate } from './routes/auth.js';
import { addBulkActionRoutes } from './routes/bulkActions.js';
import { addContactNoteRoutes } from './routes/contactNotes.js';
import { addContactRoutes } from './routes/contacts.js';
import { handleControl, type SandboxStats } from './routes/control.js';
import { addConversationRoutes } from './routes/conversations.js';
import { addCsatRoutes } from './routes/csat.js';
import { addCustomAttributeRoutes } from './routes/customAttributes.js';
import { addHelpCenterRoutes } from './routes/helpCenter.js';
import { addInboxRoutes } from './routes/inboxes.js';
import { addInboxMemberRoutes } from './routes/inboxMembers.js';
import { addLabelTeamRoutes } from './routes/labelsTeams.js';
import { addMessageRoutes } from './routes/messages.js';
import { RouteTable } from './routes/router.js';
import { addSettingsRoutes } from './routes/settings.js';
import { addContactMergeRoutes, handleWidget, isWidgetPath } from './routes/widget.js';
import { ChatwootState, type Params, type SandboxAccountSeed, type SandboxDump } from './state.js';
import { Views } from './views.js';

export interface ChatwootSandboxOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  accounts?: readonly SandboxAccountSeed[];
  faults?: Partial<FaultConfig>;
  /** Rack::Attack 'req/ip' (RACK_ATTACK_LIMIT): requests per IP per clock minute. */
  throttlePerMinute?: number;
  /** Rack::Attack on /contacts/search (RATE_LIMIT_CONTACT_SEARCH): per account per clock minute. */
  contactSearchPerMinute?: number;
  /** ENABLE_RACK_ATTACK (default true, as in production). */
  rackAttackEnabled?: boolean;
  /** RACK_ATTACK_ALLOWED_IPS, comma-separated exact addresses exempt from every throttle (see rackAttack.ts). */
  rackAttackAllowedIps?: string;
  /** REMOTE_ADDR as Rails sees it; default a non-loopback address, 'socket' for the real one (rackAttack.ts). */
  clientAddress?: string;
  /** CONVERSATION_MESSAGE_PER_MINUTE_LIMIT. */
  floodLimitPerMinute?: number;
  /** How long a contact insert stays uncommitted (the window for the duplicate-insert 500). */
  writeLatencyMs?: number;
  /** Sidekiq's delay before an enqueued activity message is created (default 0: right after the answer). */
  jobDelayMs?: number;
  /** Epoch milliseconds. */
  now?: () => number;
  /**
   * Told the arrival time of every API request, as Rack::Attack counts them: the benchmark finds the
   * busiest second from these exactly instead of from sampled counters.
   */
  onApiRequest?: (atMs: number, endpoint: string) => void;
  /**
   * Told each routed request's `METHOD pattern` and its parameters (query, body and path merged) as
   * the controller would see them, before it is handled: what exactly a rehearsal asked Chatwoot.
   */
  onApiCall?: (route: string, params: Readonly<Params>) => void;
}

export interface ChatwootSandbox {
  url: string;
  port: number;
  state: ChatwootState;
  faults: FaultInjector;
  stats: SandboxStats;
  /** The busiest 1,000 ms of API requests, also in GET /__sandbox/stats; restart() measures afresh. */
  busiestSecond: BusiestSecondMeter;
  dump(): SandboxDump;
  close(): Promise<void>;
}

function buildRoutes(state: ChatwootState, views: Views): RouteTable {
  const table = new RouteTable(state, views);
  for (const addRoutes of [
    addAuthRoutes,
    addInboxRoutes,
    addInboxMemberRoutes,
    addCustomAttributeRoutes,
    addContactRoutes,
    addContactNoteRoutes,
    addConversationRoutes,
    addMessageRoutes,
    addLabelTeamRoutes,
    addHelpCenterRoutes,
    addCsatRoutes,
    addSettingsRoutes,
    addAgentBotRoutes,
    addContactMergeRoutes,
    addErasureRoutes,
    addBulkActionRoutes,
  ]) {
    addRoutes(table);
  }
  return table;
}

export async function startChatwootSandbox(options: ChatwootSandboxOptions = {}): Promise<ChatwootSandbox> {
  const state = new ChatwootState({
    accounts: options.accounts,
    now: options.now,
    floodLimitPerMinute: options.floodLimitPerMinute,
    writeLatencyMs: options.writeLatencyMs,
    jobDelayMs: options.jobDelayMs,
  });
  const clock = () => state.now();
  const faults = new FaultInjector(options.faults);
  const busiestSecond = new BusiestSecondMeter();
  const stats: SandboxStats = {
    requests: 0,
    byRoute: {},
    throttled: 0,
    busiestSecond: busiestSecond.busiest,
  };
  const rackAttack = new RackAttack(
    {
      enabled: options.rackAttackEnabled,
      limitPerMinute: options.throttlePerMinute,
      contactSearchPerMinute: options.contactSearchPerMinute,
      allowedIps: options.rackAttackAllowedIps,
      clientAddress: options.clientAddress,
    },
    clock,
  );
  let baseUrl = '';
  const views = new Views(state, () => baseUrl);
  const routes = buildRoutes(state, views);

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const pathname = url.pathname.replace(/\.json$/, '').replace(/\/+$/, '') || '/';
    stats.requests += 1;
    const arrivedAt = Date.now();
    stats.busiestSecond = busiestSecond.record(arrivedAt);
    options.onApiRequest?.(arrivedAt, `${method} ${pathname}`);
    if (rackAttack.throttled(req, url.pathname)) {
      stats.throttled += 1;
      req.resume();
      return answerThrottled(res);
    }
    const handled = await faults.apply(req, res, answerThrottled, answerServerError);
    if (handled) {
      req.resume();
      return;
    }
    const raw = await readBody(req);
    const matched = routes.match(method, pathname);
    const routeKey = matched ? `${method} ${matched.route.pattern}` : 'unmatched';
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
    if (!matched) return sendJson(res, 404, { status: 404, error: 'Not Found' });
    const { actor, account } = authenticate(state, req, matched.route, matched.path);
    const query = parseSearchParams(url.searchParams);
    const body = parseBody(raw, req.headers['content-type'] ?? '');
    refuseUnstorableText(body);
    const params: Params = { ...query, ...body, ...matched.path };
    options.onApiCall?.(routeKey, params);
    const reply = await matched.route.handler({ req, params, path: matched.path, actor, account });
    if (reply.empty) return sendText(res, reply.status, 'application/json; charset=utf-8', '');
    sendJson(res, reply.status, reply.body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const isControl = url.pathname.startsWith('/__sandbox/');
    const work = isControl
      ? handleControl({ state, faults, stats, busiest: busiestSecond }, req, res, url.pathname)
      : isWidgetPath(url.pathname)
        ? handleWidget({ state, stats }, req, res, url)
        : handleApi(req, res, url);
    work.catch((error: unknown) => answerError(res, error));
  });

  const listening = await listen(server, options);
  baseUrl = listening.url;

  return {
    url: baseUrl,
    port: listening.port,
    state,
    faults,
    stats,
    busiestSecond,
    dump: () => state.dump(),
    close: listening.close,
  };
}

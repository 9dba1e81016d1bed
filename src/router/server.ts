/**
 * The widget router: a small HTTP service that websites call (from the loader script) to learn the
 * current rollout percentage of an account. The rollout workflow's activity writes that percentage to
 * the blob store at `rollout/<account>.json`; the router only reads it, so it needs no access to
 * Temporal and keeps answering if Temporal is down.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pino } from 'pino';
import { z } from 'zod';
import { listen } from '../listen.js';
import { type BlobStore, getJson } from '../storage/blobStore.js';
import { blobLayout } from '../storage/layout.js';
import { LOADER_SCRIPT } from './loader.js';

/** What the rollout workflow writes; extra fields (such as `history`) are allowed and not served. */
export const rolloutDocumentSchema = z.looseObject({
  account: z.union([z.string(), z.number()]).optional(),
  percentage: z.number().min(0).max(100),
  phase: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type RolloutDocument = z.infer<typeof rolloutDocumentSchema>;

/** What GET /rollout/<account>.json answers. */
export interface RolloutState {
  account: string;
  percentage: number;
  phase: string;
  updatedAt: string | null;
}

/** Account ids as they may appear in the URL and the blob key. */
const ACCOUNT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ROLLOUT_PATH = /^\/rollout\/([^/]+)\.json$/;

/** The served state of an account; an account without a rollout document has not started (0%). */
export async function readRolloutState(store: BlobStore, account: string): Promise<RolloutState> {
  const key = blobLayout.rolloutState(account);
  const raw = await getJson<unknown>(store, key);
  if (raw === undefined) return { account, percentage: 0, phase: 'not-started', updatedAt: null };
  const parsed = rolloutDocumentSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`${key} in ${store.url} is not a rollout document: ${parsed.error.message}`);
  return {
    account,
    percentage: parsed.data.percentage,
    phase: parsed.data.phase ?? 'unknown',
    updatedAt: parsed.data.updatedAt ?? null,
  };
}

/** The subset of a pino logger the router uses. */
export interface RouterLogger {
  error(details: object, message: string): void;
}

export interface WidgetRouterOptions {
  store: BlobStore;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1; use 0.0.0.0 behind a load balancer. */
  host?: string;
  /**
   * How long a percentage may be served from memory, and the max-age browsers and CDNs get: a change
   * of percentage reaches every visitor within about twice this. Default 15 s; 0 disables caching.
   */
  cacheMs?: number;
  logger?: RouterLogger;
}

export interface WidgetRouter {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const DEFAULT_CACHE_MS = 15_000;
/** Accounts are few; this only bounds memory against requests for made-up accounts. */
const MAX_CACHED_ACCOUNTS = 1_000;

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export function createWidgetRouterHandler(options: WidgetRouterOptions): Handler {
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const logger = options.logger ?? pino({ name: 'widget-router' });
  const maxAgeSeconds = Math.floor(cacheMs / 1000);
  const cache = new Map<string, { expiresAt: number; state: Promise<RolloutState> }>();

  function rolloutState(account: string): Promise<RolloutState> {
    const now = Date.now();
    const cached = cache.get(account);
    if (cached && cached.expiresAt > now) return cached.state;
    const state = readRolloutState(options.store, account);
    if (cacheMs > 0) {
      if (cache.size >= MAX_CACHED_ACCOUNTS) cache.clear();
      // Concurrent requests share one read; a failed read is not remembered.
      cache.set(account, { expiresAt: now + cacheMs, state });
      state.catch(() => {
        if (cache.get(account)?.state === state) cache.delete(account);
      });
    }
    return state;
  }

  function send(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    cacheControl: string,
  ): void {
    response.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': cacheControl,
      'Access-Control-Allow-Origin': '*',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  function sendJson(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    value: unknown,
    cacheControl = 'no-store',
  ): void {
    send(
      request,
      response,
      status,
      'application/json; charset=utf-8',
      `${JSON.stringify(value)}\n`,
      cacheControl,
    );
  }

  return (request, response) => {
    let path: string;
    try {
      path = new URL(request.url ?? '/', 'http://router.invalid').pathname;
    } catch {
      sendJson(request, response, 400, { error: 'malformed request target' });
      return;
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type',
        'Access-Control-Max-Age': '86400',
      });
      response.end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD, OPTIONS');
      sendJson(request, response, 405, { error: `method ${request.method} not allowed` });
      return;
    }
    if (path === '/healthz') {
      sendJson(request, response, 200, { status: 'ok' });
      return;
    }
    if (path === '/loader.js') {
      send(request, response, 200, 'text/javascript; charset=utf-8', LOADER_SCRIPT, 'public, max-age=300');
      return;
    }
    const rolloutMatch = ROLLOUT_PATH.exec(path);
    if (rolloutMatch) {
      const account = rolloutMatch[1] ?? '';
      if (!ACCOUNT_PATTERN.test(account)) {
        sendJson(request, response, 400, { error: 'account ids are 1-64 characters of [A-Za-z0-9_-]' });
        return;
      }
      rolloutState(account).then(
        (state) => sendJson(request, response, 200, state, `public, max-age=${maxAgeSeconds}`),
        (error: unknown) => {
          logger.error({ err: error, account }, 'cannot read the rollout state');
          // The loader sends visitors to Intercom on any failure, the state before the rollout began.
          sendJson(request, response, 500, { error: 'rollout state unavailable' });
        },
      );
      return;
    }
    sendJson(request, response, 404, { error: `no route for ${path}` });
  };
}

export async function startWidgetRouter(options: WidgetRouterOptions): Promise<WidgetRouter> {
  const server = createServer(createWidgetRouterHandler(options));
  return { ...(await listen(server, options)), server };
}

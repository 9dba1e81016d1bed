/**
 * The Intercom sandbox: a real HTTP server on loopback that answers like the Intercom REST API 2.16
 * over a dataset (generated or loaded from a folder), including the behaviours a migration trips on:
 *
 * - Bearer token on every API call; 401 with Intercom's error.list otherwise.
 * - A request budget per 10-second window with X-RateLimit-Limit/-Remaining/-Reset on every answer and
 *   429 rate_limit_exceeded beyond it; injected faults (latency, 429, 5xx, dropped connections).
 * - Intercom-Version: requests without it get the app's default version (older than 2.15 by default),
 *   under which /macros answers 404 and /conversations/deleted 400, as they need a recent version.
 * - GET /conversations has no parts; GET /conversations/{id} returns at most `partsCap` parts, the
 *   most recent ones ("we will return the 500 most recent conversation parts"), while
 *   statistics.count_conversation_parts keeps the real total.
 * - The companies scroll: one open scroll per workspace (400 scroll_exists), expiring after
 *   `scrollIdleMs` idle; an expired or unknown scroll_param answers 500, meaning "start over".
 * - POST /conversations/search pages with a cursor that is an offset into the live ordering, so a
 *   conversation updated while a client pages moves to the end: another one is skipped and the moved
 *   one comes twice. Date comparisons `>` and `<` include equality, as the API's operator table says.
 * - Attachment links are signed and expire (`attachmentLinkTtlMs`); expired or tampered links answer
 *   403 with an S3-style XML AccessDenied body. Inline <img> links in bodies are signed the same way.
 *
 * Control routes (no token, never faulted, not counted): GET /__sandbox/stats and
 * POST /__sandbox/faults with a JSON Partial<FaultConfig>.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type {
  Author,
  Conversation,
  ConversationPart,
  DataAttribute,
  PartAttachment,
} from '../../clients/intercom/schemas.js';
import { type FaultConfig, FaultInjector } from '../faults.js';
import type { IntercomDataset } from './generator.js';
import {
  adminToWire,
  articleToWire,
  compareIds,
  conversationAttributeToWire,
  conversationToWire,
  dataAttributeToWire,
  isSafeAttachmentPath,
  teamToWire,
} from './workspaceFiles.js';

export interface IntercomSandboxOptions {
  dataset: IntercomDataset;
  /** Requests must carry `Authorization: Bearer <token>`. */
  token: string;
  port?: number;
  host?: string;
  faults?: Partial<FaultConfig>;
  /** Requests allowed per 10-second window (default 1000). */
  rateLimitPer10s?: number;
  /** Lifetime of minted attachment links (default 30 minutes). */
  attachmentLinkTtlMs?: number;
  /** A companies scroll expires after this long unused (default 60 s). */
  scrollIdleMs?: number;
  /** Most parts GET /conversations/{id} returns (default 500). */
  partsCap?: number;
  /** Companies per scroll page (default 50). */
  scrollPageSize?: number;
  /** The version applied to requests without an Intercom-Version header (default '2.11'). */
  appDefaultVersion?: string;
  /** Key of the attachment link signatures (default: random per server). */
  attachmentSecret?: string;
  /** Clock in milliseconds (default Date.now); tests move it to expire links and scrolls. */
  now?: () => number;
}

export interface IntercomSandboxStats {
  /** API and attachment requests (control routes excluded). */
  requests: number;
  /** Per route template, e.g. "GET /conversations/{id}". */
  byRoute: Record<string, number>;
  /** API requests that came without an Intercom-Version header. */
  withoutVersionHeader: number;
  /** Attachment bytes served successfully. */
  attachmentDownloads: number;
  /** Requests answered 429 because the window's budget was spent (injected 429s not included). */
  rateLimited: number;
}

export interface NewConversationInput {
  /** The contact who writes the opening message (default: the first contact). */
  contactId?: string;
  /** HTML of the opening message. */
  body?: string;
  subject?: string;
}

export interface IntercomSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  /** The live dataset: mutations through the API and the methods below change it in place. */
  dataset: IntercomDataset;
  faults: FaultInjector;
  stats: IntercomSandboxStats;
  /** A new open conversation created now; it appears in lists and searches from now on. */
  addConversation(input?: NewConversationInput): Conversation;
  /** Adds a comment part now and bumps updated_at, as a reply in Intercom would. */
  replyToConversation(id: string, body: string, author: Author): ConversationPart;
  /** Removes the conversation and lists it under GET /conversations/deleted. */
  deleteConversation(id: string): void;
  /** A signed link to an attachment path, as the server publishes them. */
  signAttachmentUrl(path: string): string;
  /** A new access token for the workspace: the old one is refused (401) from now on. */
  rotateToken(newToken: string): void;
}

/** Versions the API accepts (the spec's enum). */
const API_VERSIONS = [
  '1.0',
  '1.1',
  '1.2',
  '1.3',
  '1.4',
  '2.0',
  '2.1',
  '2.2',
  '2.3',
  '2.4',
  '2.5',
  '2.6',
  '2.7',
  '2.8',
  '2.9',
  '2.10',
  '2.11',
  '2.12',
  '2.13',
  '2.14',
  '2.15',
  '2.16',
];
/** Macros and the deleted-conversations list need at least this version. */
const RECENT_VERSION = '2.15';
const WINDOW_SECONDS = 10;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

function versionRank(version: string): number {
  const [major, minor] = version.split('.').map(Number);
  return (major ?? 0) * 1000 + (minor ?? 0);
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (message = 'Resource Not Found') => new ApiError(404, 'not_found', message);
const invalid = (message: string) => new ApiError(400, 'parameter_invalid', message);

interface Reply {
  status?: number;
  body: unknown;
}

interface RequestContext {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  versionRank: number;
}

type Handler = (context: RequestContext) => Reply | Promise<Reply>;

interface Route {
  method: string;
  name: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

type ConversationT = Conversation;
type Cursor = z.infer<typeof KeysetCursor>;

const KeysetCursor = z.tuple([z.number(), z.string(), z.number().int().positive()]);
const OffsetCursor = z.tuple([
  z.literal('offset'),
  z.number().int().nonnegative(),
  z.number().int().positive(),
]);
const MacroCursor = z.tuple([z.number(), z.string()]);

function encodeCursor(value: unknown): string {
  // Standard base64 (with '+', '/', '='), as Intercom's cursors are: clients must URL-encode them.
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

function decodeCursor<T extends z.ZodType>(text: string, schema: T, what: string): z.infer<T> {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(text, 'base64').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Falls through to the API's answer for a cursor it did not issue.
  }
  throw invalid(`${what} is invalid`);
}

function perPage(url: URL, fallback: number, max: number): number {
  const raw = url.searchParams.get('per_page');
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`per_page must be an integer between 1 and ${max}`);
  }
  return value;
}

function pageNumber(url: URL): number {
  const raw = url.searchParams.get('page');
  if (raw === null || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw invalid('page must be a positive integer');
  return value;
}

function flag(url: URL, name: string): boolean {
  return url.searchParams.get(name) === 'true';
}

const S3_MESSAGES: Record<string, string> = {
  expired: 'Request has expired',
  signature: 'The request signature we calculated does not match the signature you provided.',
  missing: 'Query-string authentication requires the Signature and Expires parameters',
};

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startIntercomSandbox(options: IntercomSandboxOptions): Promise<IntercomSandbox> {
  const sandbox = new IntercomSandboxServer(options);
  await sandbox.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return sandbox;
}

class IntercomSandboxServer implements IntercomSandbox {
  url = '';
  port = 0;
  readonly dataset: IntercomDataset;
  readonly faults: FaultInjector;
  readonly stats: IntercomSandboxStats = {
    requests: 0,
    byRoute: {},
    withoutVersionHeader: 0,
    attachmentDownloads: 0,
    rateLimited: 0,
  };
  private readonly server: Server;
  private token: string;
  private readonly rateLimit: number;
  private readonly linkTtlMs: number;
  private readonly scrollIdleMs: number;
  private readonly partsCap: number;
  private readonly scrollPageSize: number;
  private readonly defaultVersionRank: number;
  private readonly secret: string;
  private readonly now: () => number;
  private readonly routes: Route[];
  private window = { start: 0, used: 0 };
  private scroll: { param: string; offset: number; lastUsedMs: number } | undefined;
  private revision = 0;
  private indexCache: { revision: number; length: number; byId: Map<string, ConversationT> } | undefined;
  private nextPartId: number;
  private nextSourceId: number;
  private closing: Promise<void> | undefined;

  /**
   * Regenerates the workspace's access token, as an admin does in the Developer Hub when a token
   * leaks: every request with the old token is refused (401) from now on.
   */
  rotateToken(newToken: string): void {
    this.token = newToken;
  }

  constructor(options: IntercomSandboxOptions) {
    this.dataset = options.dataset;
    this.token = options.token;
    this.rateLimit = options.rateLimitPer10s ?? 1000;
    this.linkTtlMs = options.attachmentLinkTtlMs ?? 30 * 60 * 1000;
    this.scrollIdleMs = options.scrollIdleMs ?? 60_000;
    this.partsCap = options.partsCap ?? 500;
    this.scrollPageSize = options.scrollPageSize ?? 50;
    const defaultVersion = options.appDefaultVersion ?? '2.11';
    if (!API_VERSIONS.includes(defaultVersion)) throw new Error(`unknown Intercom version ${defaultVersion}`);
    this.defaultVersionRank = versionRank(defaultVersion);
    this.secret = options.attachmentSecret ?? randomBytes(32).toString('hex');
    this.now = options.now ?? Date.now;
    this.faults = new FaultInjector(options.faults);
    let maxPart = 0;
    let maxSource = 0;
    for (const conversation of this.dataset.conversations) {
      maxSource = Math.max(maxSource, Number(conversation.source.id) || 0);
      for (const part of conversation.conversation_parts?.conversation_parts ?? []) {
        maxPart = Math.max(maxPart, Number(part.id) || 0);
      }
    }
    this.nextPartId = maxPart + 1;
    this.nextSourceId = maxSource + 1;
    this.routes = this.buildRoutes();
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          this.sendJson(res, 500, errorList('server_error', `sandbox failure: ${(error as Error).message}`));
        } else res.destroy();
      });
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address() as AddressInfo;
        this.port = address.port;
        this.url = `http://${host}:${address.port}`;
        resolve();
      });
    });
  }

  /** Stops listening and drops open connections; calling it again returns the same promise. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  // ---- request plumbing -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname.startsWith('/__sandbox/')) return this.handleControl(req, res, url);
    this.stats.requests++;
    if (url.pathname.startsWith('/attachments/')) return this.handleAttachment(req, res, url);

    const method = req.method ?? 'GET';
    const match = this.matchRoute(method, url.pathname);
    const routeName = match ? match.route.name : 'unmatched';
    this.stats.byRoute[routeName] = (this.stats.byRoute[routeName] ?? 0) + 1;
    const versionHeader = req.headers['intercom-version'];
    const version = Array.isArray(versionHeader) ? versionHeader[0] : versionHeader;
    if (version === undefined) this.stats.withoutVersionHeader++;

    // Every request spends the window's budget, whatever its answer.
    const overLimit = this.spendRateLimit();
    const injected = await this.faults.apply(
      req,
      res,
      (r) => this.sendJson(r, 429, errorList('rate_limit_exceeded', 'Exceeded rate limit')),
      (r, status) => this.sendServerError(r, status),
    );
    if (injected) return;
    if (overLimit) {
      this.stats.rateLimited++;
      return this.sendJson(
        res,
        429,
        errorList('rate_limit_exceeded', `Exceeded rate limit of ${this.rateLimit} in 10_seconds`),
      );
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return this.sendJson(res, 401, errorList('unauthorized', 'Access Token Invalid'));
    }
    if (version !== undefined && !API_VERSIONS.includes(version)) {
      return this.sendJson(
        res,
        400,
        errorList('intercom_version_invalid', 'The requested version could not be found'),
      );
    }
    try {
      if (!match) throw notFound();
      const body = method === 'POST' || method === 'PUT' ? await readJsonBody(req) : undefined;
      const reply = await match.route.handler({
        url,
        params: match.params,
        body,
        versionRank: version === undefined ? this.defaultVersionRank : versionRank(version),
      });
      this.sendJson(res, reply.status ?? 200, reply.body);
    } catch (error) {
      if (error instanceof ApiError)
        return this.sendJson(res, error.status, errorList(error.code, error.message));
      throw error;
    }
  }

  /** Counts the request in the current 10-second window; true when the window's budget is spent. */
  private spendRateLimit(): boolean {
    const now = this.nowSeconds();
    const start = now - (now % WINDOW_SECONDS);
    if (start !== this.window.start) this.window = { start, used: 0 };
    this.window.used++;
    return this.window.used > this.rateLimit;
  }

  private rateLimitHeaders(): Record<string, string> {
    const now = this.nowSeconds();
    const start = now - (now % WINDOW_SECONDS);
    const used = start === this.window.start ? this.window.used : 0;
    return {
      'x-ratelimit-limit': String(this.rateLimit),
      'x-ratelimit-remaining': String(Math.max(0, this.rateLimit - used)),
      'x-ratelimit-reset': String(start + WINDOW_SECONDS),
    };
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-request-id': randomUUID(),
      ...this.rateLimitHeaders(),
    });
    res.end(text);
  }

  /** Intercom's own 500/503 are error.lists; its load balancer's 502 is an HTML page. */
  private sendServerError(res: ServerResponse, status: number): void {
    if (status === 502) {
      const html =
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    if (status === 503) {
      this.sendJson(
        res,
        503,
        errorList('service_unavailable', 'Sorry, the API service is temporarily unavailable'),
      );
      return;
    }
    this.sendJson(res, status, errorList('server_error', 'Server Error'));
  }

  private matchRoute(
    method: string,
    pathname: string,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      const params: Record<string, string> = {};
      try {
        route.keys.forEach((key, index) => {
          params[key] = decodeURIComponent(found[index + 1] as string);
        });
      } catch {
        return undefined;
      }
      return { route, params };
    }
    return undefined;
  }

  private buildRoutes(): Route[] {
    const route = (method: string, template: string, handler: Handler): Route => {
      const keys: string[] = [];
      const source = template.replace(/\{(\w+)\}/g, (_m, key: string) => {
        keys.push(key);
        return '([^/]+)';
      });
      return { method, name: `${method} ${template}`, pattern: new RegExp(`^${source}/?$`), keys, handler };
    };
    return [
      route('GET', '/me', () => ({ body: adminToWire(this.dataset.me) })),
      route('GET', '/admins', () => ({
        body: { type: 'admin.list', admins: this.dataset.admins.map(adminToWire) },
      })),
      route('GET', '/admins/{id}', ({ params }) => ({
        body: adminToWire(findOr404(this.dataset.admins, params.id, 'Admin not found')),
      })),
      route('GET', '/teams', () => ({
        body: { type: 'team.list', teams: this.dataset.teams.map(teamToWire) },
      })),
      route('GET', '/teams/{id}', ({ params }) => ({
        body: teamToWire(findOr404(this.dataset.teams, params.id, 'Team not found')),
      })),
      route('GET', '/tags', () => ({ body: { type: 'list', data: this.dataset.tags } })),
      route('POST', '/tags', ({ body }) => this.createOrUpdateTag(body)),
      route('GET', '/tags/{id}', ({ params }) => ({
        body: findOr404(this.dataset.tags, params.id, 'Tag not found'),
      })),
      route('GET', '/contacts', ({ url }) => this.listContacts(url)),
      route('GET', '/contacts/{id}', ({ params }) => ({
        body: findOr404(this.dataset.contacts, params.id, 'User Not Found'),
      })),
      route('GET', '/companies/scroll', ({ url }) => this.scrollCompanies(url)),
      route('GET', '/macros', (context) => this.listMacros(context)),
      route('GET', '/macros/{id}', ({ params, versionRank: rank }) => {
        if (rank < versionRank(RECENT_VERSION)) throw notFound();
        return { body: findOr404(this.dataset.macros, params.id) };
      }),
      route('GET', '/data_attributes', ({ url }) => this.listDataAttributes(url)),
      route('GET', '/conversations/attributes', ({ url }) => ({
        body: {
          type: 'list',
          data: this.conversationAttributes(flag(url, 'include_archived')).map(conversationAttributeToWire),
        },
      })),
      route('GET', '/help_center/collections', ({ url }) =>
        this.numberedList(url, '/help_center/collections', this.dataset.collections, 20, (c) => c),
      ),
      route('GET', '/help_center/collections/{id}', ({ params }) => ({
        body: findOr404(this.dataset.collections, params.id, 'Collection not found'),
      })),
      route('GET', '/articles', ({ url }) =>
        this.numberedList(url, '/articles', this.dataset.articles, 25, articleToWire),
      ),
      route('GET', '/articles/{id}', ({ params }) => ({
        body: articleToWire(findOr404(this.dataset.articles, params.id, 'Article not found')),
      })),
      route('GET', '/conversations', ({ url }) => this.listConversations(url)),
      route('POST', '/conversations/search', ({ body }) => this.searchConversations(body)),
      route('GET', '/conversations/deleted', (context) => this.listDeleted(context)),
      route('GET', '/conversations/{id}', ({ params }) => ({
        body: this.conversationWire(this.conversationOr404(params.id), {
          kind: 'latest',
          cap: this.partsCap,
        }),
      })),
      route('POST', '/conversations/{id}/tags', ({ params, body }) =>
        this.tagConversation(params.id as string, body),
      ),
      route('POST', '/conversations/{id}/reply', ({ params, body }) =>
        this.replyRoute(params.id as string, body),
      ),
    ];
  }

  // ---- control routes ---------------------------------------------------------------------------

  private async handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.method === 'GET' && url.pathname === '/__sandbox/stats') {
      return send(200, {
        stats: this.stats,
        faults: { config: this.faults.current, counts: this.faults.counts },
        conversations: this.dataset.conversations.length,
        deletedConversations: this.dataset.deletedConversations.length,
      });
    }
    if (req.method === 'POST' && url.pathname === '/__sandbox/faults') {
      let body: unknown;
      try {
        body = await readJsonBody(req);
      } catch (error) {
        return send(400, { error: (error as Error).message });
      }
      const parsed = FaultConfigPatch.safeParse(body ?? {});
      if (!parsed.success) return send(400, { error: parsed.error.message });
      return send(200, this.faults.configure(parsed.data));
    }
    return send(404, { error: `no control route ${req.method} ${url.pathname}` });
  }

  // ---- attachments ------------------------------------------------------------------------------

  signAttachmentUrl(path: string): string {
    const expires = Math.floor((this.now() + this.linkTtlMs) / 1000);
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return `${this.url}/attachments/${encoded}?expires=${expires}&signature=${this.signature(path, expires)}`;
  }

  private signature(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${path}\n${expires}`).digest('hex');
  }

  private async handleAttachment(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.stats.byRoute['GET /attachments/{path}'] = (this.stats.byRoute['GET /attachments/{path}'] ?? 0) + 1;
    const injected = await this.faults.apply(
      req,
      res,
      (r) => sendXml(r, 429, 'SlowDown', 'Please reduce your request rate.'),
      (r, status) =>
        sendXml(r, status, 'InternalError', 'We encountered an internal error. Please try again.'),
    );
    if (injected) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendXml(
        res,
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
    }
    let path: string;
    try {
      path = url.pathname.slice('/attachments/'.length).split('/').map(decodeURIComponent).join('/');
    } catch {
      return sendXml(res, 403, 'AccessDenied', 'Access Denied');
    }
    const expiresText = url.searchParams.get('expires');
    const signature = url.searchParams.get('signature');
    if (!expiresText || !signature || !/^\d+$/.test(expiresText)) {
      return sendXml(res, 403, 'AccessDenied', S3_MESSAGES.missing as string);
    }
    const expires = Number(expiresText);
    const expected = Buffer.from(this.signature(path, expires), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendXml(res, 403, 'AccessDenied', S3_MESSAGES.signature as string);
    }
    if (expires < this.nowSeconds()) {
      return sendXml(res, 403, 'AccessDenied', S3_MESSAGES.expired as string, {
        Expires: new Date(expires * 1000).toISOString(),
        ServerTime: new Date(this.now()).toISOString(),
      });
    }
    const descriptor = isSafeAttachmentPath(path) ? this.dataset.attachments[path] : undefined;
    const bytes = descriptor ? await this.dataset.readAttachment(path) : undefined;
    if (!descriptor || !bytes) return sendXml(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    res.writeHead(200, {
      'content-type': descriptor.contentType,
      'content-length': bytes.length,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(descriptor.name)}`,
      'cache-control': 'private, max-age=0',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    this.stats.attachmentDownloads++;
    res.end(bytes);
  }

  // ---- conversations ----------------------------------------------------------------------------

  private conversationIndex(): Map<string, ConversationT> {
    const list = this.dataset.conversations;
    const cache = this.indexCache;
    if (cache && cache.revision === this.revision && cache.length === list.length) return cache.byId;
    const byId = new Map(list.map((conversation) => [conversation.id, conversation]));
    this.indexCache = { revision: this.revision, length: list.length, byId };
    return byId;
  }

  private conversationOr404(id: string | undefined, message = 'Resource Not Found'): ConversationT {
    const conversation = id === undefined ? undefined : this.conversationIndex().get(id);
    if (!conversation) throw notFound(message);
    return conversation;
  }

  private conversationWire(
    conversation: ConversationT,
    parts: Parameters<typeof conversationToWire>[1],
  ): Record<string, unknown> {
    return conversationToWire(conversation, parts, { attachmentUrl: (path) => this.signAttachmentUrl(path) });
  }

  /** GET /conversations: newest updated first, keyset cursor on (updated_at, id). */
  private listConversations(url: URL): Reply {
    const size = perPage(url, 20, 150);
    const after = url.searchParams.get('starting_after');
    const cursor: Cursor | undefined = after
      ? decodeCursor(after, KeysetCursor, 'starting_after')
      : undefined;
    const ordered = [...this.dataset.conversations].sort(
      (a, b) => b.updated_at - a.updated_at || compareIds(b.id, a.id),
    );
    const start = cursor
      ? ordered.findIndex(
          (c) => c.updated_at < cursor[0] || (c.updated_at === cursor[0] && compareIds(c.id, cursor[1]) < 0),
        )
      : 0;
    const from = start < 0 ? ordered.length : start;
    const items = ordered.slice(from, from + size);
    const page = cursor ? cursor[2] : 1;
    const last = items[items.length - 1];
    const more = from + size < ordered.length && last !== undefined;
    return {
      body: {
        type: 'conversation.list',
        conversations: items.map((c) => this.conversationWire(c, { kind: 'none' })),
        total_count: ordered.length,
        pages: {
          type: 'pages',
          page,
          per_page: size,
          total_pages: Math.ceil(ordered.length / size),
          ...(more
            ? { next: { page: page + 1, starting_after: encodeCursor([last.updated_at, last.id, page + 1]) } }
            : {}),
        },
      },
    };
  }

  private searchConversations(body: unknown): Reply {
    const request = z
      .looseObject({
        query: z.unknown(),
        pagination: z
          .looseObject({
            per_page: z.number().int().optional(),
            starting_after: z.string().nullish(),
          })
          .nullish(),
      })
      .safeParse(body ?? {});
    if (!request.success) throw invalid('invalid search request');
    if (request.data.query === undefined || request.data.query === null) {
      throw new ApiError(400, 'parameter_not_found', 'query is required');
    }
    const matches = compileQuery(request.data.query, 0);
    const size = request.data.pagination?.per_page ?? 20;
    if (size < 1 || size > 150) throw invalid('per_page must be an integer between 1 and 150');
    const after = request.data.pagination?.starting_after;
    const [, offset, page] = after ? decodeCursor(after, OffsetCursor, 'starting_after') : ['offset', 0, 1];
    // The cursor is a position in the live ordering, not a key: updates during paging shift it.
    const ordered = this.dataset.conversations
      .filter(matches)
      .sort((a, b) => a.updated_at - b.updated_at || compareIds(a.id, b.id));
    const items = ordered.slice(offset, offset + size);
    const more = offset + size < ordered.length;
    return {
      body: {
        type: 'conversation.list',
        conversations: items.map((c) => this.conversationWire(c, { kind: 'none' })),
        total_count: ordered.length,
        pages: {
          type: 'pages',
          page,
          per_page: size,
          total_pages: Math.ceil(ordered.length / size),
          ...(more
            ? { next: { page: page + 1, starting_after: encodeCursor(['offset', offset + size, page + 1]) } }
            : {}),
        },
      },
    };
  }

  private listDeleted({ url, versionRank: rank }: RequestContext): Reply {
    if (rank < versionRank(RECENT_VERSION)) {
      throw new ApiError(
        400,
        'intercom_version_invalid',
        'Requested resource is not available in current API version.',
      );
    }
    const size = perPage(url, 20, 60);
    const page = pageNumber(url);
    const order = url.searchParams.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw invalid('order must be asc or desc');
    const sign = order === 'asc' ? 1 : -1;
    const ordered = [...this.dataset.deletedConversations].sort(
      (a, b) => sign * ((a.deleted_at ?? 0) - (b.deleted_at ?? 0) || compareIds(a.id, b.id)),
    );
    const totalPages = Math.ceil(ordered.length / size);
    return {
      body: {
        type: 'conversations.list',
        total_count: ordered.length,
        pages: {
          type: 'pages',
          next:
            page < totalPages
              ? `${this.url}/conversations/deleted?per_page=${size}&order=${order}&page=${page + 1}`
              : null,
          page,
          per_page: size,
          total_pages: totalPages,
        },
        conversations: ordered.slice((page - 1) * size, page * size),
      },
    };
  }

  private tagConversation(id: string, body: unknown): Reply {
    const request = z
      .looseObject({ id: z.union([z.string(), z.number()]), admin_id: z.union([z.string(), z.number()]) })
      .safeParse(body ?? {});
    if (!request.success) throw invalid('id and admin_id are required');
    const conversation = this.conversationOr404(id, 'Conversation not found');
    const tag = this.dataset.tags.find((t) => t.id === String(request.data.id));
    if (!tag) throw notFound('Tag not found');
    const adminId = String(request.data.admin_id);
    if (!this.dataset.admins.some((admin) => admin.id === adminId)) throw notFound('Admin not found');
    conversation.tags ??= { type: 'tag.list', tags: [] };
    const tags = conversation.tags;
    let applied = tags.tags.find((t) => t.id === tag.id);
    if (!applied) {
      const now = this.nowSeconds();
      applied = {
        type: 'tag',
        id: tag.id,
        name: tag.name,
        applied_at: now,
        applied_by: { type: 'admin', id: adminId },
      };
      tags.tags.push(applied);
      // Tagging is an update of the conversation: delta syncs see it again.
      conversation.updated_at = Math.max(conversation.updated_at, now);
      this.revision++;
    }
    return {
      body: {
        type: 'tag',
        id: tag.id,
        name: tag.name,
        applied_at: applied.applied_at,
        applied_by: applied.applied_by,
      },
    };
  }

  private replyRoute(id: string, body: unknown): Reply {
    const request = z
      .looseObject({
        message_type: z.string(),
        type: z.string(),
        body: z.string().optional(),
        admin_id: z.union([z.string(), z.number()]).optional(),
        intercom_user_id: z.string().optional(),
        user_id: z.string().optional(),
        email: z.string().optional(),
        created_at: z.number().int().optional(),
        attachment_urls: z.array(z.url()).max(10).optional(),
      })
      .safeParse(body ?? {});
    if (!request.success) throw invalid(`invalid reply: ${request.error.issues[0]?.message ?? 'bad body'}`);
    const r = request.data;
    let author: Author;
    let partType: string;
    if (r.type === 'admin') {
      if (!['comment', 'note', 'quick_reply'].includes(r.message_type))
        throw invalid('message_type is invalid');
      const admin = this.dataset.admins.find((a) => a.id === String(r.admin_id ?? ''));
      if (!admin) throw notFound('Admin not found');
      author = { type: 'admin', id: admin.id, name: admin.name ?? null, email: admin.email ?? null };
      partType = r.message_type;
    } else if (r.type === 'user' || r.type === 'contact') {
      if (r.message_type !== 'comment') throw invalid('message_type must be comment for contact replies');
      const contact = this.dataset.contacts.find(
        (c) =>
          (r.intercom_user_id !== undefined && c.id === r.intercom_user_id) ||
          (r.user_id !== undefined && c.external_id === r.user_id) ||
          (r.email !== undefined && c.email?.toLowerCase() === r.email.toLowerCase()),
      );
      if (!contact) throw notFound('User Not Found');
      author = {
        type: contact.role,
        id: contact.id,
        name: contact.name ?? null,
        email: contact.email ?? null,
      };
      partType = 'comment';
      if (id === 'last') {
        const theirs = this.dataset.conversations.filter((c) =>
          c.contacts?.contacts.some((ref) => ref.id === contact.id),
        );
        const latest = theirs.sort((a, b) => b.updated_at - a.updated_at)[0];
        if (!latest) throw notFound('Conversation not found');
        id = latest.id;
      }
    } else {
      throw invalid('type must be admin or user');
    }
    if ((partType === 'comment' || partType === 'note') && !r.body) throw invalid('body is required');
    const conversation = this.conversationOr404(id);
    const attachments: PartAttachment[] = (r.attachment_urls ?? []).map((link) => ({
      type: 'upload',
      name: new URL(link).pathname.split('/').pop() || 'file',
      url: link,
      content_type: null,
      filesize: null,
    }));
    const part = this.appendPart(conversation, partType, r.body ?? null, author, attachments, r.created_at);
    // The answer is the conversation carrying only the part just created.
    const wire = this.conversationWire(conversation, { kind: 'none' });
    const withPart = this.conversationWire(
      { ...conversation, conversation_parts: { type: 'conversation_part.list', conversation_parts: [part] } },
      { kind: 'all' },
    );
    wire.conversation_parts = withPart.conversation_parts;
    return { body: wire };
  }

  private appendPart(
    conversation: ConversationT,
    partType: string,
    body: string | null,
    author: Author,
    attachments: PartAttachment[],
    createdAt?: number,
  ): ConversationPart {
    conversation.conversation_parts ??= {
      type: 'conversation_part.list',
      conversation_parts: [],
      total_count: 0,
    };
    const parts = conversation.conversation_parts;
    const last = parts.conversation_parts[parts.conversation_parts.length - 1];
    const floor = Math.max(conversation.created_at, last ? last.created_at : 0) + 1;
    const at = createdAt ?? Math.max(this.nowSeconds(), floor);
    const part: ConversationPart = {
      type: 'conversation_part',
      id: String(this.nextPartId++),
      part_type: partType,
      body,
      created_at: at,
      updated_at: at,
      notified_at: at,
      assigned_to: null,
      author,
      attachments,
      external_id: null,
      redacted: false,
    };
    parts.conversation_parts.push(part);
    parts.total_count = parts.conversation_parts.length;
    conversation.updated_at = Math.max(conversation.updated_at, at, this.nowSeconds());
    if (conversation.statistics)
      conversation.statistics.count_conversation_parts = parts.conversation_parts.length;
    const fromContact = author.type === 'user' || author.type === 'lead' || author.type === 'contact';
    if (fromContact && partType === 'comment') {
      // A customer writing into a closed or snoozed conversation reopens it.
      if (conversation.state !== 'open') {
        conversation.state = 'open';
        conversation.open = true;
        conversation.snoozed_until = null;
      }
      conversation.waiting_since ??= at;
    } else if (author.type === 'admin' && partType === 'comment') {
      conversation.waiting_since = null;
    }
    this.revision++;
    return part;
  }

  replyToConversation(id: string, body: string, author: Author): ConversationPart {
    const conversation = this.conversationIndex().get(id);
    if (!conversation) throw new Error(`no conversation ${id} in the sandbox`);
    return this.appendPart(conversation, 'comment', body, author, []);
  }

  addConversation(input: NewConversationInput = {}): Conversation {
    const contact =
      input.contactId === undefined
        ? this.dataset.contacts[0]
        : this.dataset.contacts.find((c) => c.id === input.contactId);
    if (!contact) throw new Error(`no contact ${input.contactId ?? '(any)'} in the sandbox`);
    const ids = [
      ...this.dataset.conversations.map((c) => c.id),
      ...this.dataset.deletedConversations.map((d) => d.id),
    ]
      .filter((id) => /^\d+$/.test(id))
      .map(Number);
    const id = String(Math.max(1_000, ...ids) + 1);
    const now = this.nowSeconds();
    const conversation: Conversation = {
      type: 'conversation',
      id,
      title: null,
      created_at: now,
      updated_at: now,
      waiting_since: now,
      snoozed_until: null,
      open: true,
      state: 'open',
      read: false,
      priority: 'none',
      admin_assignee_id: null,
      team_assignee_id: null,
      tags: { type: 'tag.list', tags: [] },
      conversation_rating: null,
      source: {
        type: 'conversation',
        id: String(this.nextSourceId++),
        delivered_as: 'customer_initiated',
        subject: input.subject ?? '',
        body: input.body ?? '<p>Hello, I have a new question.</p>',
        author: {
          type: contact.role,
          id: contact.id,
          name: contact.name ?? null,
          email: contact.email ?? null,
        },
        attachments: [],
        url: null,
        redacted: false,
      },
      contacts: {
        type: 'contact.list',
        contacts: [{ type: 'contact', id: contact.id, external_id: contact.external_id ?? null }],
      },
      teammates: { type: 'admin.list', admins: [] },
      first_contact_reply: { created_at: now, type: 'conversation', url: null },
      custom_attributes: {},
      statistics: { type: 'conversation_statistics', count_conversation_parts: 0 },
      linked_objects: { type: 'list', data: [], total_count: 0, has_more: false },
      ai_agent_participated: false,
      ai_agent: null,
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [], total_count: 0 },
    };
    this.dataset.conversations.push(conversation);
    this.revision++;
    return conversation;
  }

  deleteConversation(id: string): void {
    const index = this.dataset.conversations.findIndex((c) => c.id === id);
    if (index < 0) throw new Error(`no conversation ${id} in the sandbox`);
    this.dataset.conversations.splice(index, 1);
    this.dataset.deletedConversations.push({
      type: 'conversation',
      id,
      metrics_retained: false,
      deleted_at: this.nowSeconds(),
    });
    this.revision++;
  }

  // ---- other lists ------------------------------------------------------------------------------

  /** GET /contacts: cursor pages in creation order (keyset on created_at, id). */
  private listContacts(url: URL): Reply {
    const size = perPage(url, 50, 150);
    const after = url.searchParams.get('starting_after');
    const cursor: Cursor | undefined = after
      ? decodeCursor(after, KeysetCursor, 'starting_after')
      : undefined;
    const ordered = [...this.dataset.contacts].sort(
      (a, b) => a.created_at - b.created_at || compareIds(a.id, b.id),
    );
    const start = cursor
      ? ordered.findIndex(
          (c) => c.created_at > cursor[0] || (c.created_at === cursor[0] && compareIds(c.id, cursor[1]) > 0),
        )
      : 0;
    const from = start < 0 ? ordered.length : start;
    const items = ordered.slice(from, from + size);
    const page = cursor ? cursor[2] : 1;
    const last = items[items.length - 1];
    const more = from + size < ordered.length && last !== undefined;
    return {
      body: {
        type: 'list',
        data: items,
        total_count: ordered.length,
        pages: {
          type: 'pages',
          page,
          per_page: size,
          total_pages: Math.ceil(ordered.length / size),
          ...(more
            ? { next: { page: page + 1, starting_after: encodeCursor([last.created_at, last.id, page + 1]) } }
            : {}),
        },
      },
    };
  }

  private scrollCompanies(url: URL): Reply {
    const param = url.searchParams.get('scroll_param');
    const now = this.now();
    if (this.scroll && now - this.scroll.lastUsedMs > this.scrollIdleMs) this.scroll = undefined;
    if (!param) {
      if (this.scroll) throw new ApiError(400, 'scroll_exists', 'scroll already exists for this workspace');
      this.scroll = { param: randomUUID(), offset: 0, lastUsedMs: now };
    } else if (!this.scroll || this.scroll.param !== param) {
      throw new ApiError(
        500,
        'server_error',
        'Request failed due to an internal network error. Please restart the scroll operation.',
      );
    }
    const scroll = this.scroll;
    const data = this.dataset.companies.slice(scroll.offset, scroll.offset + this.scrollPageSize);
    scroll.offset += data.length;
    scroll.lastUsedMs = now;
    // The end is an empty page, after which the scroll parameter no longer works.
    if (data.length === 0) this.scroll = undefined;
    return { body: { type: 'list', data, pages: null, total_count: null, scroll_param: scroll.param } };
  }

  private listMacros({ url, versionRank: rank }: RequestContext): Reply {
    if (rank < versionRank(RECENT_VERSION)) throw notFound();
    const size = perPage(url, 50, 150);
    const sinceText = url.searchParams.get('updated_since');
    let since = Number.NEGATIVE_INFINITY;
    if (sinceText !== null) {
      if (!/^\d+$/.test(sinceText)) throw invalid('Invalid updated_since timestamp');
      since = Number(sinceText);
    }
    const seconds = (iso: string | null | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
    const ordered = this.dataset.macros
      .filter((macro) => seconds(macro.updated_at) > since)
      .sort((a, b) => seconds(b.updated_at) - seconds(a.updated_at) || compareIds(b.id, a.id));
    const after = url.searchParams.get('starting_after');
    let from = 0;
    if (after) {
      const [updated, id] = decodeCursor(after, MacroCursor, 'starting_after');
      const index = ordered.findIndex(
        (m) =>
          seconds(m.updated_at) < updated || (seconds(m.updated_at) === updated && compareIds(m.id, id) < 0),
      );
      from = index < 0 ? ordered.length : index;
    }
    const items = ordered.slice(from, from + size);
    const last = items[items.length - 1];
    const more = from + size < ordered.length && last !== undefined;
    // The documented cursor: Base64 of a JSON array [updated_at, id] as Python prints it.
    const next = more
      ? {
          starting_after: Buffer.from(`[${seconds(last.updated_at)}.0, ${JSON.stringify(last.id)}]`).toString(
            'base64',
          ),
        }
      : null;
    return { body: { type: 'list', data: items, pages: { type: 'pages', per_page: size, next } } };
  }

  private conversationAttributes(includeArchived: boolean): DataAttribute[] {
    return this.dataset.dataAttributes.filter(
      (a) => a.model === 'conversation' && (includeArchived || !a.archived),
    );
  }

  private listDataAttributes(url: URL): Reply {
    const model = url.searchParams.get('model');
    if (model === 'conversation') {
      throw new ApiError(
        422,
        'parameter_invalid',
        'model=conversation is no longer supported. Use GET /conversations/attributes instead',
      );
    }
    if (model !== null && model !== 'contact' && model !== 'company') {
      throw invalid('The Data Attribute model field must be either contact or company');
    }
    const includeArchived = flag(url, 'include_archived');
    const data = this.dataset.dataAttributes.filter(
      (a) =>
        a.model !== 'conversation' &&
        (model === null || a.model === model) &&
        (includeArchived || !a.archived),
    );
    return { body: { type: 'list', data: data.map(dataAttributeToWire) } };
  }

  /** Help-center lists: newest updated first, numbered pages with a `next` link. */
  private numberedList<T extends { id: string; updated_at?: number | null }>(
    url: URL,
    path: string,
    items: T[],
    defaultSize: number,
    toWire: (item: T) => unknown,
  ): Reply {
    const size = perPage(url, defaultSize, 150);
    const page = pageNumber(url);
    const ordered = [...items].sort(
      (a, b) => (b.updated_at ?? 0) - (a.updated_at ?? 0) || compareIds(b.id, a.id),
    );
    const totalPages = Math.ceil(ordered.length / size);
    return {
      body: {
        type: 'list',
        data: ordered.slice((page - 1) * size, page * size).map(toWire),
        total_count: ordered.length,
        pages: {
          type: 'pages',
          page,
          per_page: size,
          total_pages: totalPages,
          ...(page < totalPages ? { next: `${this.url}${path}?page=${page + 1}&per_page=${size}` } : {}),
        },
      },
    };
  }

  private createOrUpdateTag(body: unknown): Reply {
    const request = z
      .looseObject({
        name: z.string().trim().min(1).max(255),
        id: z.union([z.string(), z.number()]).optional(),
      })
      .safeParse(body ?? {});
    if (!request.success) throw invalid('invalid tag parameters');
    if ('companies' in request.data || 'users' in request.data) {
      throw invalid('tagging companies or users is not modelled by the sandbox');
    }
    const { name } = request.data;
    if (request.data.id !== undefined) {
      const tag = findOr404(this.dataset.tags, String(request.data.id), 'Tag not found');
      tag.name = name;
      return { body: tag };
    }
    const existing = this.dataset.tags.find((tag) => tag.name.toLowerCase() === name.toLowerCase());
    if (existing) return { body: existing };
    const ids = this.dataset.tags.map((tag) => Number(tag.id)).filter(Number.isFinite);
    const tag = { type: 'tag' as const, id: String(Math.max(100, ...ids) + 1), name };
    this.dataset.tags.push(tag);
    return { body: tag };
  }
}

const FaultConfigPatch = z
  .object({
    latencyMs: z.number().nonnegative(),
    jitterMs: z.number().nonnegative(),
    rate429: z.number().min(0).max(1),
    rate5xx: z.number().min(0).max(1),
    rateDrop: z.number().min(0).max(1),
    seed: z.number().int(),
  })
  .partial();

function errorList(code: string, message: string): Record<string, unknown> {
  return { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] };
}

function findOr404<T extends { id: string }>(
  items: T[],
  id: string | undefined,
  message = 'Resource Not Found',
): T {
  const item = items.find((candidate) => candidate.id === id);
  if (!item) throw notFound(message);
  return item;
}

function sendXml(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const fields = Object.entries(extra)
    .map(([key, value]) => `<${key}>${xmlEscape(value)}</${key}>`)
    .join('');
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(invalid('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(invalid('request body is not valid JSON'));
      }
    });
  });
}

// ---- conversation search ------------------------------------------------------------------------

type FieldKind = 'date' | 'integer' | 'string' | 'boolean' | 'ids' | 'text';

interface SearchField {
  kind: FieldKind;
  get: (conversation: ConversationT) => unknown;
}

const idOrZero = (id: string | null | undefined) => (id ? Number(id) : 0);

/** The searchable fields this sandbox models (a subset of the API's table). */
const SEARCH_FIELDS: Record<string, SearchField> = {
  id: { kind: 'string', get: (c) => c.id },
  created_at: { kind: 'date', get: (c) => c.created_at },
  updated_at: { kind: 'date', get: (c) => c.updated_at },
  waiting_since: { kind: 'date', get: (c) => c.waiting_since },
  snoozed_until: { kind: 'date', get: (c) => c.snoozed_until },
  'source.type': { kind: 'string', get: (c) => c.source.type },
  'source.id': { kind: 'string', get: (c) => c.source.id },
  'source.delivered_as': { kind: 'string', get: (c) => c.source.delivered_as },
  'source.subject': { kind: 'string', get: (c) => c.source.subject },
  'source.body': { kind: 'text', get: (c) => c.source.body },
  'source.author.id': { kind: 'string', get: (c) => c.source.author.id },
  'source.author.type': { kind: 'string', get: (c) => c.source.author.type },
  'source.author.name': { kind: 'string', get: (c) => c.source.author.name },
  'source.author.email': { kind: 'string', get: (c) => c.source.author.email },
  'source.url': { kind: 'string', get: (c) => c.source.url },
  contact_ids: { kind: 'ids', get: (c) => c.contacts?.contacts.map((ref) => ref.id) ?? [] },
  tag_ids: { kind: 'ids', get: (c) => c.tags?.tags.map((tag) => tag.id) ?? [] },
  teammate_ids: {
    kind: 'ids',
    get: (c) => {
      const teammates = (c as { teammates?: { admins?: { id: string | number }[] } | null }).teammates;
      return teammates?.admins?.map((admin) => String(admin.id)) ?? [];
    },
  },
  admin_assignee_id: { kind: 'integer', get: (c) => idOrZero(c.admin_assignee_id) },
  team_assignee_id: { kind: 'integer', get: (c) => idOrZero(c.team_assignee_id) },
  open: { kind: 'boolean', get: (c) => c.open },
  read: { kind: 'boolean', get: (c) => (c as { read?: boolean }).read },
  state: { kind: 'string', get: (c) => c.state },
  priority: { kind: 'string', get: (c) => c.priority },
  'statistics.count_conversation_parts': {
    kind: 'integer',
    get: (c) => c.conversation_parts?.conversation_parts.length ?? 0,
  },
};

const OPERATORS: Record<FieldKind, readonly string[]> = {
  date: ['=', '<', '>'],
  integer: ['=', '!=', 'IN', 'NIN', '<', '>', '<=', '>='],
  string: ['=', '!=', 'IN', 'NIN', '~', '!~', '^', '$'],
  text: ['=', '!=', '~', '!~', '^', '$'],
  boolean: ['=', '!='],
  ids: ['=', '!=', 'IN', 'NIN'],
};

const MAX_NESTING = 2;
const MAX_GROUP_FILTERS = 15;

const Filter = z.looseObject({ field: z.string(), operator: z.string(), value: z.unknown() });
const Group = z.looseObject({ operator: z.enum(['AND', 'OR']), value: z.array(z.unknown()) });

type Predicate = (conversation: ConversationT) => boolean;

/** Validates a search query as the API does and turns it into a predicate. */
function compileQuery(raw: unknown, depth: number): Predicate {
  const group = Group.safeParse(raw);
  if (group.success && !('field' in group.data)) {
    if (depth >= MAX_NESTING) throw invalid(`queries allow at most ${MAX_NESTING} nested filters`);
    if (group.data.value.length === 0) throw invalid(`${group.data.operator} needs at least one filter`);
    if (group.data.value.length > MAX_GROUP_FILTERS) {
      throw invalid(`at most ${MAX_GROUP_FILTERS} filters are allowed in an ${group.data.operator} group`);
    }
    const members = group.data.value.map((member) => compileQuery(member, depth + 1));
    return group.data.operator === 'AND'
      ? (c) => members.every((member) => member(c))
      : (c) => members.some((member) => member(c));
  }
  const filter = Filter.safeParse(raw);
  if (!filter.success) throw invalid('each filter needs field, operator and value');
  const { field: name, operator, value } = filter.data;
  const field = SEARCH_FIELDS[name];
  if (!field) throw invalid(`${name} is not a searchable conversation field`);
  if (!OPERATORS[field.kind].includes(operator)) {
    throw invalid(`operator ${operator} is not supported for ${name}`);
  }
  return compileFilter(name, field, operator, value);
}

function compileFilter(name: string, field: SearchField, operator: string, value: unknown): Predicate {
  const listValue = operator === 'IN' || operator === 'NIN';
  if (listValue && !Array.isArray(value)) throw invalid(`${operator} needs an array value for ${name}`);
  const values = listValue ? (value as unknown[]) : [value];
  switch (field.kind) {
    case 'date':
    case 'integer': {
      const numbers = values.map((v) => {
        const n =
          typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
        if (!Number.isFinite(n))
          throw invalid(`${name} needs ${field.kind === 'date' ? 'a unix timestamp' : 'an integer'}`);
        return n;
      });
      const target = numbers[0] as number;
      return (c) => {
        const actual = field.get(c);
        if (typeof actual !== 'number') return operator === '!=' || operator === 'NIN';
        switch (operator) {
          case '=':
            return actual === target;
          case '!=':
            return actual !== target;
          case 'IN':
            return numbers.includes(actual);
          case 'NIN':
            return !numbers.includes(actual);
          // The API's table: ">" is "Greater (or equal) than", "<" is "Lower (or equal) than".
          case '>':
          case '>=':
            return actual >= target;
          default:
            return actual <= target;
        }
      };
    }
    case 'boolean': {
      const target = value === true || value === 'true';
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
        throw invalid(`${name} needs a boolean`);
      return (c) => (operator === '=' ? field.get(c) === target : field.get(c) !== target);
    }
    case 'ids': {
      const targets = values.map((v) => String(v));
      return (c) => {
        const ids = field.get(c) as string[];
        const hit = targets.some((target) => ids.includes(target));
        return operator === '=' || operator === 'IN' ? hit : !hit;
      };
    }
    default: {
      const targets = values.map((v) => {
        if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`${name} needs a string`);
        return String(v).toLowerCase();
      });
      const target = targets[0] as string;
      const text = field.kind === 'text';
      return (c) => {
        const raw = field.get(c);
        const actual =
          typeof raw === 'string' ? (text ? raw.replace(/<[^>]*>/g, ' ') : raw).toLowerCase() : '';
        switch (operator) {
          // source.body is matched word by word: "=" finds one word of the body.
          case '=':
            return text ? actual.split(/[^\p{L}\p{N}_-]+/u).includes(target) : actual === target;
          case '!=':
            return text ? !actual.split(/[^\p{L}\p{N}_-]+/u).includes(target) : actual !== target;
          case 'IN':
            return targets.includes(actual);
          case 'NIN':
            return !targets.includes(actual);
          case '~':
            return actual.includes(target);
          case '!~':
            return !actual.includes(target);
          case '^':
            return actual.startsWith(target);
          default:
            return actual.endsWith(target);
        }
      };
    }
  }
}

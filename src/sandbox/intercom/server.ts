/**
 * The Intercom sandbox: a real HTTP server on loopback that answers like the Intercom REST API 2.16
 * over a dataset (generated or loaded from a folder), including the behaviours a migration trips on:
 *
 * - Bearer token on every API call; 401 with Intercom's error.list otherwise (auth.ts).
 * - A request budget per 10-second window with X-RateLimit-Limit/-Remaining/-Reset on every answer and
 *   429 rate_limit_exceeded beyond it (rateLimits.ts); injected faults (latency, 429, 5xx, dropped
 *   connections).
 * - Intercom-Version: requests without it get the app's default version (older than 2.15 by default),
 *   under which /macros answers 404 and /conversations/deleted 400, as they need a recent version
 *   (versions.ts).
 * - GET /conversations has no parts; GET /conversations/{id} returns at most `partsCap` parts, the
 *   most recent ones ("we will return the 500 most recent conversation parts"), while
 *   statistics.count_conversation_parts keeps the real total (handlers/conversations.ts).
 * - The companies scroll: one open scroll per workspace (400 scroll_exists), expiring after
 *   `scrollIdleMs` idle; an expired or unknown scroll_param answers 500, meaning "start over"
 *   (handlers/companies.ts).
 * - Contacts show at most 10 notes, tags and companies with the real count; GET /contacts/{id}/notes
 *   and /companies page the rest; POST /contacts/merge, after which the merged contact answers 410
 *   contact_merged with a Link to the survivor (handlers/contactData.ts).
 * - POST /conversations/search pages with a cursor that is an offset into the live ordering, so a
 *   conversation updated while a client pages moves to the end: another one is skipped and the moved
 *   one comes twice. Date comparisons `>` and `<` include equality, as the API's operator table says
 *   (search.ts).
 * - Attachment links are signed and expire (`attachmentLinkTtlMs`); expired or tampered links answer
 *   403 with an S3-style XML AccessDenied body. Inline <img> links in bodies are signed the same way
 *   (attachments.ts).
 *
 * Control routes (no token, never faulted, not counted): GET /__sandbox/stats and
 * POST /__sandbox/faults with a JSON Partial<FaultConfig> (control.ts).
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Author, Conversation, ConversationPart } from '../../clients/intercom/schemas.js';
import { listen } from '../../listen.js';
import { type FaultConfig, FaultInjector } from '../faults.js';
import { Attachments } from './attachments.js';
import { BearerAuth } from './auth.js';
import { handleControl } from './control.js';
import type { IntercomDataset } from './dataset.js';
import { CompaniesScroll } from './handlers/companies.js';
import { Conversations, type NewConversationInput } from './handlers/conversations.js';
import { ConversationManagement } from './handlers/manage.js';
import { ConversationReplies } from './handlers/replies.js';
import { Tickets } from './handlers/tickets.js';
import {
  ApiError,
  errorList,
  notFound,
  readJsonBody,
  type SandboxContext,
  sendJson,
  sendServerError,
} from './http.js';
import { blankLastPages } from './nullableFields.js';
import { RateLimiter } from './rateLimits.js';
import { buildRoutes, matchRoute, type Route } from './routing.js';
import { countRoute, emptyStats, type IntercomSandboxStats } from './stats.js';
import { ApiVersions, requestedVersion } from './versions.js';

export type { NewConversationInput } from './handlers/conversations.js';
export type { IntercomSandboxStats } from './stats.js';

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
  /**
   * Share (0-1) of the last pages of the cursor lists answered with `pages: null`, as the API
   * description allows (./nullableFields.ts); the generator's option of the same name blanks the
   * dataset's nullable fields. Default 0.
   */
  nullableFieldRate?: number;
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
  readonly stats: IntercomSandboxStats = emptyStats();
  private readonly server: Server;
  private readonly auth: BearerAuth;
  private readonly rateLimiter: RateLimiter;
  private readonly versions: ApiVersions;
  private readonly attachments: Attachments;
  private readonly conversations: Conversations;
  private readonly replies: ConversationReplies;
  private readonly routes: Route[];
  private readonly nullableFieldRate: number | undefined;
  private closing: Promise<void> | undefined;
  private closeServer: () => Promise<void> = async () => {};

  constructor(options: IntercomSandboxOptions) {
    this.dataset = options.dataset;
    const now = options.now ?? Date.now;
    const nowSeconds = () => Math.floor(now() / 1000);
    this.auth = new BearerAuth(options.token);
    this.rateLimiter = new RateLimiter(options.rateLimitPer10s ?? 1000, nowSeconds);
    this.versions = new ApiVersions(options.appDefaultVersion ?? '2.11');
    this.faults = new FaultInjector(options.faults);
    this.nullableFieldRate = options.nullableFieldRate;
    this.attachments = new Attachments({
      dataset: this.dataset,
      faults: this.faults,
      stats: this.stats,
      secret: options.attachmentSecret ?? randomBytes(32).toString('hex'),
      linkTtlMs: options.attachmentLinkTtlMs ?? 30 * 60 * 1000,
      now,
    });
    const server = this;
    const sandbox: SandboxContext = {
      dataset: this.dataset,
      get url() {
        return server.url;
      },
      nowSeconds,
      signAttachmentUrl: (path) => this.signAttachmentUrl(path),
    };
    this.conversations = new Conversations(sandbox, options.partsCap ?? 500);
    this.replies = new ConversationReplies(sandbox, this.conversations);
    this.routes = buildRoutes({
      sandbox,
      conversations: this.conversations,
      replies: this.replies,
      management: new ConversationManagement(sandbox, this.conversations, this.replies),
      tickets: new Tickets(sandbox, options.partsCap ?? 500),
      companies: new CompaniesScroll(
        this.dataset,
        now,
        options.scrollIdleMs ?? 60_000,
        options.scrollPageSize ?? 50,
      ),
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          this.sendJson(res, 500, errorList('server_error', `sandbox failure: ${(error as Error).message}`));
        } else res.destroy();
      });
    });
  }

  async listen(port: number, host: string): Promise<void> {
    const listening = await listen(this.server, { port, host });
    this.port = listening.port;
    this.url = listening.url;
    this.closeServer = listening.close;
  }

  /** Stops listening and drops open connections; calling it again returns the same promise. */
  close(): Promise<void> {
    this.closing ??= this.closeServer();
    return this.closing;
  }

  rotateToken(newToken: string): void {
    this.auth.rotate(newToken);
  }

  signAttachmentUrl(path: string): string {
    return this.attachments.sign(this.url, path);
  }

  addConversation(input?: NewConversationInput): Conversation {
    return this.conversations.add(input);
  }

  replyToConversation(id: string, body: string, author: Author): ConversationPart {
    return this.replies.replyAs(id, body, author);
  }

  deleteConversation(id: string): void {
    this.conversations.delete(id);
  }

  private readonly sendJson = (res: ServerResponse, status: number, body: unknown): void =>
    sendJson(res, status, body, this.rateLimiter.headers());

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname.startsWith('/__sandbox/')) return handleControl(req, res, url, this);
    this.stats.requests++;
    if (url.pathname.startsWith('/attachments/')) return this.attachments.serve(req, res, url);

    const method = req.method ?? 'GET';
    const match = matchRoute(this.routes, method, url.pathname);
    countRoute(this.stats, match ? match.route.name : 'unmatched');
    const version = requestedVersion(req);
    if (version === undefined) this.stats.withoutVersionHeader++;

    // Every request spends the window's budget, whatever its answer.
    const overLimit = this.rateLimiter.spend();
    const injected = await this.faults.apply(
      req,
      res,
      (r) => this.sendJson(r, 429, errorList('rate_limit_exceeded', 'Exceeded rate limit')),
      (r, status) => sendServerError(r, status, this.sendJson),
    );
    if (injected) return;
    try {
      if (overLimit) {
        this.stats.rateLimited++;
        throw this.rateLimiter.exceeded();
      }
      this.auth.check(req);
      this.versions.check(version);
      if (!match) throw notFound();
      // DELETE too: detaching a tag names the admin in the body.
      const body =
        method === 'POST' || method === 'PUT' || method === 'DELETE' ? await readJsonBody(req) : undefined;
      const reply = await match.route.handler({
        url,
        params: match.params,
        body,
        versionRank: this.versions.rankOf(version),
      });
      this.sendJson(res, reply.status ?? 200, blankLastPages(reply.body, url, body, this.nullableFieldRate));
    } catch (error) {
      if (error instanceof ApiError) {
        return sendJson(res, error.status, errorList(error.code, error.message), {
          ...this.rateLimiter.headers(),
          ...error.headers,
        });
      }
      throw error;
    }
  }
}

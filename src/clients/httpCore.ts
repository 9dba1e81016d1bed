/**
 * The request loop shared by the Intercom and Chatwoot clients: pacing (a token bucket and
 * server-requested pauses), bounded in-process retries with exponential backoff and jitter, error
 * classification into HttpFailure, zod validation of every JSON answer, and request counting.
 * got's own retry is off so that every attempt goes through the same pacing and counting.
 * No Temporal imports: activities turn a thrown HttpFailure into a Temporal failure.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Delays, RequestError, TimeoutError } from 'got';
import type { z } from 'zod';
import { HttpFailure } from './httpFailure.js';
import type { SendTicket } from './sendBudget.js';

export type ServiceName = HttpFailure['service'];
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RetrySettings {
  /** Attempts per call in this process, the first included; after them the retryable failure is thrown. */
  maxAttempts: number;
  /** First backoff delay; it doubles with every attempt and gets up to 50% jitter on top. */
  baseDelayMs: number;
  /** Upper bound of one computed backoff delay. */
  maxDelayMs: number;
  /**
   * The longest wait sat out in-process when the server names one (Retry-After, rate-limit reset, flood
   * guard). A longer one is thrown at once with `retryAfterMs`, so Temporal waits instead of a worker slot.
   */
  maxServerWaitMs: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxAttempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxServerWaitMs: 60_000,
};

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Reported before every wait between attempts, and again every few seconds of a long wait. */
export interface WaitEvent {
  service: ServiceName;
  /** "GET /contacts" style: method and route template. */
  endpoint: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** What is left of the wait. */
  remainingMs: number;
  reason: string;
}

/** Tuning shared by both clients' constructors. */
export interface ClientTuning {
  /** Client-side pacing shared by every call of the client instance; unset means unpaced. */
  requestsPerSecond?: number;
  /**
   * A pacer shared with other clients of the same service (one per agent token, say), so that
   * together they keep to one budget; overrides requestsPerSecond.
   */
  sharedPacer?: RequestPacer;
  /** Requests the token bucket lets through back-to-back after an idle spell (default 1: even spacing). */
  burst?: number;
  maxAttempts?: number;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxServerWaitMs?: number;
  /** Called around waits between attempts, e.g. to heartbeat an activity or log. */
  onWait?: (event: WaitEvent) => void;
}

export interface RequestStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests that were repeats of a failed attempt. */
  retries: number;
  /** Requests per "METHOD /route/{template}". */
  byRoute: Record<string, number>;
}

export function createRequestStats(): RequestStats {
  return { requests: 0, retries: 0, byRoute: {} };
}

/** Exponential backoff with jitter: base·2^(attempt-1), plus up to half of it, capped at maxDelayMs. */
export function backoffDelayMs(
  attempt: number,
  settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exponential = settings.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(settings.maxDelayMs, Math.round(exponential * (1 + random() * 0.5)));
}

/** Retry-After is either delay-seconds or an HTTP date; answers milliseconds from now. */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Milliseconds from now until a unix time in seconds (Intercom's X-RateLimit-Reset). */
export function msUntilUnixSeconds(
  value: string | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.max(0, Math.round(Number(text) * 1000 - nowMs));
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A token bucket kept as a "theoretical arrival time" (GCRA): concurrent callers are queued in the
 * order they ask, and each learns its own wait without a timer per bucket.
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly burst: number;
  private theoreticalArrival = 0;

  constructor(requestsPerSecond: number, burst = 1) {
    if (!(requestsPerSecond > 0))
      throw new RangeError(`requestsPerSecond must be > 0, got ${requestsPerSecond}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.intervalMs = 1000 / requestsPerSecond;
    this.burst = Math.floor(burst);
  }

  /** Milliseconds the caller must wait before sending; reserves its slot. */
  reserve(nowMs: number = Date.now()): number {
    const arrival = Math.max(this.theoreticalArrival, nowMs);
    const allowedAt = arrival - (this.burst - 1) * this.intervalMs;
    this.theoreticalArrival = arrival + this.intervalMs;
    return Math.max(0, allowedAt - nowMs);
  }

  async take(): Promise<undefined> {
    const waitMs = this.reserve();
    if (waitMs > 0) await sleep(waitMs);
    return undefined;
  }
}

/** The ticket of a pacer that does not need the answer times (a TokenBucket, or none). */
const NOTHING_TO_TELL: SendTicket = { answered: () => {} };

/** Everything that holds requests back before they are sent: the token bucket and server-requested pauses. */
export class RequestPacer {
  private resumeAt = 0;

  /**
   * A TokenBucket, or a SendScheduler (sendBudget.ts), which caps the requests of any 1,000 ms at
   * Chatwoot and so needs each one's answer time.
   */
  constructor(private readonly bucket?: { take(): Promise<SendTicket | undefined> }) {}

  /** Holds every later request of this client until the given time (ms since the epoch). */
  holdUntil(epochMs: number): void {
    this.resumeAt = Math.max(this.resumeAt, epochMs);
  }

  /** Resolves when the request may go; call `answered()` on the result once its answer came (or not). */
  async acquire(): Promise<SendTicket> {
    // A loop, because another call may push the pause further while this one sleeps.
    for (let waitMs = this.resumeAt - Date.now(); waitMs > 0; waitMs = this.resumeAt - Date.now()) {
      await sleep(waitMs);
    }
    return (await this.bucket?.take()) ?? NOTHING_TO_TELL;
  }
}

interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
}

export function describeIssuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((segment) => String(segment)).join('.');
}

/**
 * A 2xx answer whose body does not match its schema. Never retried: the same data would come back,
 * and dropping it silently would lose part of the workspace.
 */
export class ResponseShapeError extends HttpFailure {
  /**
   * The rejected body: parsed JSON, or its text when it was not JSON. Kept so that a caller can set
   * one bad item aside for inspection instead of failing; not enumerable, so that logging or
   * serialising the error never copies workspace data along with it.
   */
  declare readonly payload?: unknown;

  constructor(
    service: ServiceName,
    readonly endpoint: string,
    readonly issues: readonly IssueLike[],
    payload?: unknown,
  ) {
    const shown = issues
      .slice(0, 3)
      .map((issue) => `${describeIssuePath(issue.path)}: ${issue.message}`)
      .join('; ');
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
    super(
      `${serviceLabel(service)} answered ${endpoint} with data of an unexpected shape: ${shown}${more}. ` +
        'Nothing was skipped; check that the API version matches and report the payload if it does.',
      service,
      undefined,
      false,
    );
    if (payload !== undefined) Object.defineProperty(this, 'payload', { value: payload, enumerable: false });
  }
}

/**
 * An answer larger than the client's cap (maxResponseBytes): reading stops there, so one huge object
 * cannot exhaust the worker's memory. Never retried: the same data would come back.
 */
export class ResponseTooLargeError extends HttpFailure {
  constructor(
    service: ServiceName,
    readonly endpoint: string,
    /** The declared size (Content-Length), or the bytes read before stopping when none was declared. */
    readonly bytes: number,
    /** False when the server declared no size: the body is larger than `bytes`. */
    readonly sizeKnown: boolean,
    readonly capBytes: number,
  ) {
    super(
      `${serviceLabel(service)} answered ${endpoint} with ${sizeKnown ? '' : 'more than '}${bytes} bytes, ` +
        `over the response size cap of ${capBytes} bytes (maxResponseBytes): not retried, the same data would come back`,
      service,
      undefined,
      false,
    );
  }
}

export function serviceLabel(service: ServiceName): string {
  return service === 'intercom' ? 'Intercom' : service === 'chatwoot' ? 'Chatwoot' : 'The attachment host';
}

/** A cursor that does not move would page forever; stop with a clear error instead. */
export function paginationStalled(service: ServiceName, endpoint: string, cursor: string): HttpFailure {
  return new HttpFailure(
    `${serviceLabel(service)} returned the same page cursor twice (${cursor}) for ${endpoint}: stopping instead of looping`,
    service,
    undefined,
    false,
  );
}

/** Builds `/conversations/123` from `/conversations/{id}`, keeping the template for statistics and messages. */
export function route(template: string, params: Record<string, string | number> = {}): RouteRef {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${template} needs a value for {${name}}`);
    return encodeURIComponent(String(value));
  });
  return { template, path };
}

export interface RouteRef {
  template: string;
  path: string;
}

export interface RequestBody {
  body: Buffer | AsyncIterable<Uint8Array>;
  headers: Record<string, string>;
}

export interface CallSpec {
  method: HttpMethod;
  route: RouteRef;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** Built afresh for every attempt, so a streamed upload can be replayed. */
  body?: () => RequestBody;
  /**
   * Whether resending is harmless when the server may already have acted (5xx, timeout, dropped
   * connection). Defaults to true for GET/PUT/DELETE and false for POST/PATCH: a create that may have
   * happened is left to the activity's retry, which looks the object up before creating it again.
   * Failures that prove nothing was done (429, refused connection, flood guard) are always retried.
   */
  replaySafe?: boolean;
  timeout?: Delays;
}

/** A non-2xx answer, handed to the client's classifier. */
export interface FailedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bodyText: string;
  /** "GET /api/v1/accounts/1/conversations/5": method and concrete path. */
  endpoint: string;
}

export interface HttpCoreOptions extends ClientTuning {
  service: 'intercom' | 'chatwoot';
  baseUrl: string;
  headers: Record<string, string>;
  /** Turns a non-2xx answer into the failure to throw (message, retryability, server-requested wait). */
  classify: (response: FailedResponse) => HttpFailure;
  /** Sees the headers of every answer, e.g. to pause the pacer when a rate-limit window runs low. */
  observe?: (headers: IncomingHttpHeaders, pacer: RequestPacer, nowMs: number) => void;
  /**
   * Largest body read, in bytes after decompression; a larger answer fails with ResponseTooLargeError
   * as soon as its Content-Length or the bytes read so far pass the cap. Unset: no cap.
   */
  maxResponseBytes?: number;
}

/** Failures before the request left this host: resending cannot duplicate anything. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
]);
const TIMEOUT_EVENTS_BEFORE_SENDING = new Set(['lookup', 'connect', 'secureConnect']);
/**
 * Errors that retrying cannot fix: the URL or the TLS setup is wrong. ENOTFOUND is not among them:
 * in a compose network a service that is still starting has no DNS name yet.
 */
const CONFIGURATION_CODES = new Set([
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface AttemptFailure {
  failure: HttpFailure;
  /** The server may have acted on the request: resending is only safe for replay-safe calls. */
  mayHaveBeenApplied: boolean;
}

type AttemptOutcome<T> = { ok: true; value: T } | ({ ok: false } & AttemptFailure);

const WAIT_REPORT_SLICE_MS = 5000;
const MAX_SERVER_WAIT_JITTER_MS = 250;

/** One instance per client: owns the pacer and the statistics shared by all of that client's calls. */
export class HttpCore {
  readonly stats: RequestStats = createRequestStats();
  readonly pacer: RequestPacer;
  private readonly settings: RetrySettings;
  private readonly timeoutMs: number;
  private readonly baseUrl: string;

  constructor(private readonly options: HttpCoreOptions) {
    this.settings = {
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_RETRY_SETTINGS.maxAttempts)),
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY_SETTINGS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY_SETTINGS.maxDelayMs,
      maxServerWaitMs: options.maxServerWaitMs ?? DEFAULT_RETRY_SETTINGS.maxServerWaitMs,
    };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.pacer =
      options.sharedPacer ??
      new RequestPacer(
        options.requestsPerSecond === undefined
          ? undefined
          : new TokenBucket(options.requestsPerSecond, options.burst),
      );
  }

  get service(): 'intercom' | 'chatwoot' {
    return this.options.service;
  }

  /** Sends the call (with pacing and retries) and returns its JSON body validated by `schema`. */
  async request<S extends z.ZodType>(call: CallSpec, schema: S): Promise<z.output<S>> {
    const routeKey = `${call.method} ${call.route.template}`;
    const endpoint = `${call.method} ${call.route.path}`;
    const replaySafe = call.replaySafe ?? !(call.method === 'POST' || call.method === 'PATCH');
    for (let attempt = 1; ; attempt++) {
      const sent = await this.pacer.acquire();
      this.count(routeKey, attempt);
      let outcome: AttemptOutcome<z.output<S>>;
      try {
        outcome = await this.attempt(call, endpoint, schema, sent);
      } finally {
        sent.answered();
      }
      if (outcome.ok) return outcome.value;
      const { failure, mayHaveBeenApplied } = outcome;
      if (!failure.retryable || attempt >= this.settings.maxAttempts) throw failure;
      if (mayHaveBeenApplied && !replaySafe) throw failure;
      const serverWait = failure.retryAfterMs;
      if (serverWait !== undefined && serverWait > this.settings.maxServerWaitMs) throw failure;
      const delayMs =
        serverWait !== undefined
          ? serverWait + Math.round(Math.random() * Math.min(MAX_SERVER_WAIT_JITTER_MS, serverWait * 0.1))
          : backoffDelayMs(attempt, this.settings);
      if (failure.status === 429) this.pacer.holdUntil(Date.now() + delayMs);
      await this.wait(delayMs, {
        service: this.service,
        endpoint: routeKey,
        attempt,
        reason: failure.message,
      });
    }
  }

  private count(routeKey: string, attempt: number): void {
    this.stats.requests++;
    if (attempt > 1) this.stats.retries++;
    this.stats.byRoute[routeKey] = (this.stats.byRoute[routeKey] ?? 0) + 1;
  }

  private async attempt<S extends z.ZodType>(
    call: CallSpec,
    endpoint: string,
    schema: S,
    sent: SendTicket,
  ): Promise<AttemptOutcome<z.output<S>>> {
    let response: { statusCode: number; headers: IncomingHttpHeaders; body: string };
    const cap = this.options.maxResponseBytes;
    const stopReading = cap === undefined ? undefined : new AbortController();
    let oversized: { bytes: number; sizeKnown: boolean } | undefined;
    try {
      const prepared = call.body?.();
      const pending = got(`${this.baseUrl}${call.route.path}`, {
        method: call.method,
        headers: { ...this.options.headers, ...prepared?.headers },
        searchParams: toSearchParams(call.query),
        ...(call.json !== undefined ? { json: call.json } : {}),
        ...(prepared ? { body: prepared.body } : {}),
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: call.timeout ?? { request: this.timeoutMs },
        responseType: 'text',
        ...(stopReading ? { signal: stopReading.signal } : {}),
      });
      if (cap !== undefined && stopReading) {
        // The first event carries Content-Length (when not compressed); later ones count bytes read.
        pending.on('downloadProgress', ({ transferred, total }) => {
          if (oversized) return;
          if (total !== undefined && total > cap) oversized = { bytes: total, sizeKnown: true };
          else if (transferred > cap) oversized = { bytes: transferred, sizeKnown: false };
          if (oversized) stopReading.abort();
        });
      }
      response = await pending;
      // Told before the body is parsed: the request reached the server before this moment.
      sent.answered();
    } catch (error) {
      // A failed attempt (a reset, a timeout) also ends its place: whatever reached the server did
      // so before the failure was seen, except a request still sitting in a network buffer.
      sent.answered();
      if (oversized && cap !== undefined) return this.tooLarge(endpoint, oversized, cap);
      return { ok: false, ...this.networkFailure(error, endpoint) };
    }
    // The last chunk can pass the cap after got has finished reading: still too large.
    if (oversized && cap !== undefined) return this.tooLarge(endpoint, oversized, cap);
    this.options.observe?.(response.headers, this.pacer, Date.now());
    const { statusCode } = response;
    if (statusCode >= 200 && statusCode < 300) {
      return { ok: true, value: this.parse(endpoint, response.body, schema) };
    }
    const failure = this.options.classify({
      status: statusCode,
      headers: response.headers,
      bodyText: response.body,
      endpoint,
    });
    return { ok: false, failure, mayHaveBeenApplied: statusCode >= 500 };
  }

  private tooLarge(
    endpoint: string,
    { bytes, sizeKnown }: { bytes: number; sizeKnown: boolean },
    cap: number,
  ): { ok: false } & AttemptFailure {
    return {
      ok: false,
      failure: new ResponseTooLargeError(this.service, endpoint, bytes, sizeKnown, cap),
      mayHaveBeenApplied: true,
    };
  }

  private parse<S extends z.ZodType>(endpoint: string, text: string, schema: S): z.output<S> {
    let data: unknown;
    try {
      data = text.trim() === '' ? null : JSON.parse(text);
    } catch {
      throw new ResponseShapeError(
        this.service,
        endpoint,
        [{ path: [], message: 'the body is not JSON' }],
        text,
      );
    }
    const result = schema.safeParse(data);
    if (!result.success) throw new ResponseShapeError(this.service, endpoint, result.error.issues, data);
    return result.data;
  }

  private networkFailure(error: unknown, endpoint: string): AttemptFailure {
    if (!(error instanceof RequestError)) throw error;
    const label = serviceLabel(this.service);
    const code = error.code ?? 'UNKNOWN';
    if (CONFIGURATION_CODES.has(code)) {
      return {
        failure: new HttpFailure(
          `${label} could not be reached for ${endpoint} (${code}: ${error.message}): check the base URL and TLS setup`,
          this.service,
          undefined,
          false,
        ),
        mayHaveBeenApplied: false,
      };
    }
    const timedOut = error instanceof TimeoutError;
    const notSent =
      NOT_SENT_CODES.has(code) ||
      (timedOut && TIMEOUT_EVENTS_BEFORE_SENDING.has((error as TimeoutError).event));
    const what = timedOut
      ? `timed out (${(error as TimeoutError).event})`
      : `failed (${code}: ${error.message})`;
    const hint =
      code === 'ENOTFOUND'
        ? ': the host name does not resolve; check the base URL if this persists'
        : ': a network problem, retried';
    return {
      failure: new HttpFailure(`${label} request ${endpoint} ${what}${hint}`, this.service, undefined, true),
      mayHaveBeenApplied: !notSent,
    };
  }

  private async wait(delayMs: number, event: Omit<WaitEvent, 'remainingMs'>): Promise<void> {
    const until = Date.now() + delayMs;
    for (let remainingMs = delayMs; remainingMs > 0; remainingMs = until - Date.now()) {
      this.options.onWait?.({ ...event, remainingMs });
      await sleep(Math.min(remainingMs, WAIT_REPORT_SLICE_MS));
    }
  }
}

function toSearchParams(query: CallSpec['query']): URLSearchParams | undefined {
  if (!query) return undefined;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.append(key, String(value));
  }
  return params;
}

/** A short, single-line excerpt of an error body for messages; HTML error pages are not worth quoting. */
export function bodyExcerpt(bodyText: string, maxLength = 300): string {
  const text = bodyText.trim();
  if (text === '' || /^<(!doctype|html)/i.test(text)) return '';
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength)}…` : oneLine;
}

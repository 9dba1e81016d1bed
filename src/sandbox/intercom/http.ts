/**
 * What every handler shares: the request it gets, the reply it gives, what it sees of the server,
 * and Intercom's error answers (an `error.list` with a code and a message).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IntercomDataset } from './dataset.js';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface Reply {
  status?: number;
  body: unknown;
}

export interface RequestContext {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  /** The Intercom-Version the request is served under (see versions.ts). */
  versionRank: number;
}

/** What handlers see of the running server. */
export interface SandboxContext {
  /** The live dataset: mutations change it in place. */
  readonly dataset: IntercomDataset;
  /** The server's base URL, for the absolute `next` links some lists carry. */
  readonly url: string;
  nowSeconds(): number;
  signAttachmentUrl(path: string): string;
}

/** An answer other than 2xx; the server turns it into Intercom's error.list. */
export class ApiError extends Error {
  /** Headers the answer carries besides the rate-limit ones (the Link of a merged contact's 410). */
  headers: Record<string, string> = {};

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message = 'Resource Not Found') => new ApiError(404, 'not_found', message);
export const invalid = (message: string) => new ApiError(400, 'parameter_invalid', message);

export function errorList(code: string, message: string): Record<string, unknown> {
  return { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] };
}

export function findOr404<T extends { id: string }>(
  items: T[],
  id: string | undefined,
  message = 'Resource Not Found',
): T {
  const item = items.find((candidate) => candidate.id === id);
  if (!item) throw notFound(message);
  return item;
}

export type JsonSender = (res: ServerResponse, status: number, body: unknown) => void;

/** A JSON answer as the API sends it: with a request id and the given (rate limit) headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** Intercom's own 500/503 are error.lists; its load balancer's 502 is an HTML page. */
export function sendServerError(res: ServerResponse, status: number, send: JsonSender): void {
  if (status === 502) {
    const html =
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
    res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
    res.end(html);
    return;
  }
  if (status === 503) {
    send(res, 503, errorList('service_unavailable', 'Sorry, the API service is temporarily unavailable'));
    return;
  }
  send(res, status, errorList('server_error', 'Server Error'));
}

export function readJsonBody(req: IncomingMessage): Promise<unknown> {
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

/** Writing answers: JSON as Rails renders it, and what Rack::Attack and the proxy in front answer. */
import type { ServerResponse } from 'node:http';
import { ChatwootApiError, RecordInvalidError, RecordNotUniqueError, RubyStandardError } from './errors.js';
import type { JsonValue } from './records.js';
import { PlainResponse } from './request.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export const internalServerError = { status: 500, error: 'Internal Server Error' } as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: JsonValue,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Rack::Attack's throttled response: 429, text/plain, "Retry later", no Retry-After. */
export function answerThrottled(res: ServerResponse): void {
  sendText(res, 429, 'text/plain', 'Retry later\n');
}

export function answerServerError(res: ServerResponse, status: number): void {
  if (status === 500) {
    sendJson(res, 500, internalServerError);
    return;
  }
  // 502/503 come from the reverse proxy in front of Rails, as HTML.
  const reason = status === 502 ? 'Bad Gateway' : 'Service Temporarily Unavailable';
  sendText(
    res,
    status,
    'text/html',
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  );
}

/** An error that reached the top of a request, answered as Rails answers it. */
export function answerError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) res.destroy();
  else if (error instanceof ChatwootApiError) sendJson(res, error.status, error.body);
  else if (error instanceof RecordInvalidError) sendJson(res, 422, error.body);
  else if (error instanceof PlainResponse) sendText(res, error.status, error.contentType, error.text);
  else if (error instanceof RubyStandardError || error instanceof RecordNotUniqueError) {
    sendJson(res, 500, internalServerError);
  } else sendJson(res, 500, { ...internalServerError, exception: String(error) });
}

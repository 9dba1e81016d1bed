/**
 * An HTTP server on a free loopback port that records every request it receives (with its arrival
 * time) and lets the test answer each one: the stand-in for Intercom or Chatwoot in the clients'
 * tests, where each answer (429s, malformed pages, slow bodies) is chosen by the test.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received<Body> {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Body;
  at: number;
}

export type Handler<Body> = (request: Received<Body>, response: ServerResponse, raw: IncomingMessage) => void;

export interface RecordingServer<Body> {
  url: string;
  received: Received<Body>[];
  close(): Promise<void>;
}

/** `decode` turns the received bytes into what the tests read as `body` (the bytes themselves, or text). */
export async function startRecordingServer<Body>(
  handler: Handler<Body>,
  decode: (bytes: Buffer) => Body,
): Promise<RecordingServer<Body>> {
  const received: Received<Body>[] = [];
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const url = new URL(raw.url ?? '/', 'http://localhost');
      const request: Received<Body> = {
        method: raw.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: raw.headers,
        body: decode(Buffer.concat(chunks)),
        at: Date.now(),
      };
      received.push(request);
      handler(request, response, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Answers `status` with `body` as JSON, with the given content type and extra headers. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  response.writeHead(status, { 'content-type': contentType, ...headers });
  response.end(JSON.stringify(body));
}

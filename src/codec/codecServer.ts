/**
 * The codec server: lets the Temporal Web UI and CLI show encrypted payloads decoded, without the
 * Temporal Server ever holding the key. It follows Temporal's codec server contract: POST /encode and
 * POST /decode (also under a namespace path segment, /{namespace}/decode, for the CLI's
 * `--codec-endpoint http://host:8888/{namespace}`) with a JSON body {"payloads": [{metadata, data}]}
 * whose metadata values and data are base64; CORS for the UI's origin, allowing the Content-Type,
 * X-Namespace and Authorization headers the UI sends.
 *
 * It decrypts anything it is given, so keep it reachable only by operators (bind it to localhost or a
 * private network) and, beyond that, set CODEC_SERVER_AUTHORIZATION: requests must then carry exactly
 * that Authorization header (`temporal --codec-auth`). Payload contents are never logged.
 *
 *   node dist/src/codec/codecServer.js
 *   PAYLOAD_CODEC_KEY (+ PAYLOAD_CODEC_KEY_ID, PAYLOAD_CODEC_OLD_KEYS) as for the worker;
 *   CODEC_SERVER_PORT (8888), CODEC_SERVER_HOST (127.0.0.1),
 *   CODEC_CORS_ORIGINS (comma list, default http://localhost:8233), CODEC_SERVER_AUTHORIZATION,
 *   CODEC_SERVER_NAMESPACES (comma list: refuse other namespaces; default any)
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { listen } from '../listen.js';
import { payloadCodecFromEnv } from './aesGcmCodec.js';

export const DEFAULT_UI_ORIGIN = 'http://localhost:8233';
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const ROUTE = /^(?:\/([^/]+))?\/(encode|decode)\/?$/;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Browser origins allowed to call (the Web UI's); "*" allows any. Default: http://localhost:8233. */
  allowedOrigins?: string[];
  /** When set, every request must carry exactly this Authorization header value. */
  authorization?: string;
  /** When set, requests naming another namespace (X-Namespace or path) are refused. */
  namespaces?: string[];
  maxBodyBytes?: number;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const JsonPayloadSchema = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
const BodySchema = z.object({ payloads: z.array(JsonPayloadSchema) });
type JsonPayload = z.infer<typeof JsonPayloadSchema>;

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([name, value]) => [name, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(data ?? []).toString('base64'),
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The request handler, for mounting in another node:http server or testing. */
export function codecRequestHandler(
  options: CodecServerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const origins = options.allowedOrigins ?? [DEFAULT_UI_ORIGIN];
  const anyOrigin = origins.includes('*');
  const expectedAuthorization = options.authorization ? digest(options.authorization) : undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const send = (response: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      response.writeHead(status).end();
      return;
    }
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const origin = request.headers.origin;
    response.setHeader('Vary', 'Origin');
    if (origin !== undefined) {
      // Browsers send Origin; a page from anywhere else must not get payloads decrypted for it.
      if (!anyOrigin && !origins.includes(origin))
        throw new HttpError(403, `origin ${origin} is not allowed`);
      response.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
      // The UI's "Include cross-origin credentials" option needs this; never with a wildcard origin.
      if (!anyOrigin) response.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    const url = new URL(request.url ?? '/', 'http://codec.invalid');
    const route = ROUTE.exec(url.pathname);
    if (!route) throw new HttpError(404, 'not found: use POST /encode or POST /decode');
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      response.setHeader('Access-Control-Max-Age', '600');
      send(response, 204);
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, 'use POST');
    }
    if (expectedAuthorization) {
      const given = request.headers.authorization;
      if (given === undefined || !timingSafeEqual(digest(given), expectedAuthorization)) {
        throw new HttpError(401, 'missing or wrong Authorization header');
      }
    }
    const namespace = (request.headers['x-namespace'] as string | undefined) ?? route[1];
    if (options.namespaces && !(namespace !== undefined && options.namespaces.includes(namespace))) {
      throw new HttpError(403, `namespace ${namespace ?? '(none)'} is not served here`);
    }
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      throw new HttpError(415, 'Content-Type must be application/json');
    }
    let parsed: z.infer<typeof BodySchema>;
    try {
      parsed = BodySchema.parse(JSON.parse(await readBody(request, maxBodyBytes)));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, 'body must be JSON {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
    }
    const payloads = parsed.payloads.map(fromJson);
    let result: Payload[];
    try {
      result =
        route[2] === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    } catch (error) {
      throw new HttpError(422, error instanceof Error ? error.message : String(error));
    }
    send(response, 200, { payloads: result.map(toJson) });
  };

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (status === 500) console.error('codec server error', error);
      if (!response.headersSent) send(response, status, { error: message });
      else response.end();
      // An unread oversized or refused body would otherwise keep the connection busy.
      request.resume();
    });
  };
}

export interface RunningCodecServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startCodecServer(
  options: CodecServerOptions & { port?: number; host?: string },
): Promise<RunningCodecServer> {
  const server = createServer(codecRequestHandler(options));
  return { ...(await listen(server, options)), server };
}

function list(value: string | undefined): string[] | undefined {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

async function main(): Promise<void> {
  const env = process.env;
  const codec = payloadCodecFromEnv(env);
  if (!codec) throw new Error('PAYLOAD_CODEC_KEY is not set: the codec server needs the workers’ key');
  const running = await startCodecServer({
    codec,
    port: env.CODEC_SERVER_PORT ? Number(env.CODEC_SERVER_PORT) : 8888,
    host: env.CODEC_SERVER_HOST || '127.0.0.1',
    allowedOrigins: list(env.CODEC_CORS_ORIGINS),
    authorization: env.CODEC_SERVER_AUTHORIZATION || undefined,
    namespaces: list(env.CODEC_SERVER_NAMESPACES),
  });
  console.log(`codec server on ${running.url} (keys: ${codec.keyIds.join(', ')})`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.close());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

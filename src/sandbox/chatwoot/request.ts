/**
 * Request bodies as Rack hands them to Rails: JSON, url-encoded forms or multipart/form-data, with
 * nested parameter names; files are reduced to name, type, size and sha256 as they are parsed, so
 * uploads cost no memory after the request.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ChatwootApiError, RubyStandardError } from './errors.js';
import { isPlainObject, type Params, type UploadedFile } from './params.js';

const MAX_BODY_BYTES = 256 * 1024 * 1024;

/** Errors a Rails app answers outside any controller. */
export class PlainResponse extends Error {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly text: string,
  ) {
    super(`${status} ${text}`);
  }
}

/** Rack's nested parameter names: a[b], a[], a[][b]. */
function assignNested(target: Record<string, unknown>, key: string, value: unknown): void {
  const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(key);
  if (!match) {
    target[key] = value;
    return;
  }
  const path = [
    match[1] ?? '',
    ...[...(match[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((part) => part[1] ?? ''),
  ];
  let node: Record<string, unknown> | unknown[] = target;
  for (let index = 0; index < path.length; index++) {
    const segment = path[index] ?? '';
    const last = index === path.length - 1;
    const nextSegment = path[index + 1];
    if (segment === '') {
      if (!Array.isArray(node)) return;
      if (last) {
        node.push(value);
        return;
      }
      let element: unknown = node.at(-1);
      if (!isPlainObject(element) || (nextSegment !== undefined && nextSegment in element)) {
        element = {};
        node.push(element);
      }
      node = element as Record<string, unknown>;
      continue;
    }
    if (Array.isArray(node)) return;
    if (last) {
      node[segment] = value;
      return;
    }
    const existing: unknown = node[segment];
    if (nextSegment === '') {
      if (!Array.isArray(existing)) node[segment] = [];
    } else if (!isPlainObject(existing)) {
      node[segment] = {};
    }
    node = node[segment] as Record<string, unknown> | unknown[];
  }
}

export function parseSearchParams(search: URLSearchParams): Params {
  const params: Params = {};
  for (const [key, value] of search) assignNested(params, key, value);
  return params;
}

function headerParameters(header: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of header.matchAll(/;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const name = (part[1] ?? '').toLowerCase();
    let value = (part[2] ?? '').trim();
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    parameters.set(name, value);
  }
  return parameters;
}

const badRequest = (): ChatwootApiError => new ChatwootApiError(400, { status: 400, error: 'Bad Request' });

/** multipart/form-data (RFC 7578), with each file reduced to its size and sha256. */
export function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position < 0) throw badRequest();
  for (;;) {
    position += delimiter.length;
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break;
    while (body[position] === 0x20 || body[position] === 0x09) position++;
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) throw badRequest();
    position += 2;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) throw badRequest();
    const headers = new Map<string, string>();
    for (const line of body.subarray(position, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const contentStart = headerEnd + 4;
    const contentEnd = body.indexOf(nextDelimiter, contentStart);
    if (contentEnd < 0) throw badRequest();
    const content = body.subarray(contentStart, contentEnd);
    const disposition = headers.get('content-disposition') ?? '';
    const dispositionParams = headerParameters(disposition);
    const name = dispositionParams.get('name');
    if (name !== undefined) {
      const extendedName = dispositionParams.get('filename*');
      let fileName = dispositionParams.get('filename');
      if (extendedName !== undefined) {
        const encoded = /^[^']*'[^']*'(.*)$/.exec(extendedName)?.[1];
        if (encoded !== undefined) fileName = decodeURIComponent(encoded);
      }
      if (fileName !== undefined) {
        const file: UploadedFile = {
          fileName,
          contentType:
            (headers.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() ?? '',
          size: content.length,
          sha256: createHash('sha256').update(content).digest('hex'),
        };
        assignNested(params, name, file);
      } else {
        assignNested(params, name, content.toString('utf8'));
      }
    }
    position = contentEnd + 2;
  }
  return params;
}

export function parseBody(raw: Buffer, contentType: string): Params {
  if (raw.length === 0) return {};
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest();
    }
    return isPlainObject(parsed) ? parsed : { _json: parsed };
  }
  if (mediaType === 'multipart/form-data') {
    const boundary = headerParameters(contentType).get('boundary');
    if (!boundary) throw badRequest();
    return parseMultipart(raw, boundary);
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return parseSearchParams(new URLSearchParams(raw.toString('utf8')));
  }
  return {};
}

/** Whether `test` holds for any string in a parsed body, object keys and uploaded file names included. */
function findText(value: unknown, test: (text: string) => boolean): boolean {
  if (typeof value === 'string') return test(value);
  if (Array.isArray(value)) return value.some((element) => findText(element, test));
  if (isPlainObject(value)) {
    return Object.entries(value).some(([key, element]) => test(key) || findText(element, test));
  }
  return false;
}

/** Node encodes a lone surrogate as U+FFFD in UTF-8: a string that does not survive the trip has one. */
const hasLoneSurrogate = (text: string): boolean => Buffer.from(text, 'utf8').toString('utf8') !== text;
const hasNul = (text: string): boolean => text.includes('\u0000');

/**
 * Text Rails on PostgreSQL cannot take, refused as Chatwoot refuses it:
 * - a lone surrogate (a "\ud83d" escape in JSON): the json gem raises JSON::ParserError on it (2.14
 *   and later, https://github.com/ruby/json/issues/869) or turns it into bytes that are not UTF-8
 *   (https://github.com/ruby/json/issues/1069), which Rails' check_param_encoding refuses; either way
 *   400 `{"status":400,"error":"Bad Request"}`, before any write;
 * - U+0000: valid JSON and UTF-8, so it reaches the database, which cannot store it: the pg gem
 *   raises "ArgumentError: string contains null byte" for text (https://github.com/ged/ruby-pg/issues/198,
 *   seen by Chatwoot in https://github.com/chatwoot/chatwoot/pull/7901) and jsonb refuses "\u0000";
 *   nothing rescues either, so 500 `{"status":500,"error":"Internal Server Error"}`.
 */
export function refuseUnstorableText(body: Params): void {
  if (findText(body, hasLoneSurrogate)) throw badRequest();
  if (findText(body, hasNul)) throw new RubyStandardError('ArgumentError: string contains null byte');
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new PlainResponse(413, 'text/plain; charset=utf-8', 'Payload Too Large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

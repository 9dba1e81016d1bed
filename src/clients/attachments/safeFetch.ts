/**
 * Fetching attachment links safely. Intercom's links point at its CDN; anything else (a rewritten
 * body, a redirect to an internal address) must not make the worker fetch from inside the network.
 * Only https to allow-listed hosts, every redirect hop re-checked, no private, loopback or link-local
 * address (except loopback over http for the sandbox, when explicitly allowed), sizes capped by
 * Content-Length and again while the bytes stream.
 *
 * Host names are checked when the connection is made (got's `dnsLookup`), not in a separate look-up
 * beforehand, so a name that resolves differently the second time (DNS rebinding) cannot slip through.
 */
import { type LookupAddress, type LookupOptions, lookup as systemLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import got, { RequestError } from 'got';

/** A link that will never be fetched: outside the policy, or the host says no for good. */
export class AttachmentRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachmentRefused';
  }
}

/** The link answered 403/404/410: signed links expire after about 30 minutes. */
export class AttachmentExpired extends Error {
  constructor(readonly status: number) {
    super(`attachment link answered ${status}: it has probably expired`);
    this.name = 'AttachmentExpired';
  }
}

/** A failure that may pass: 429, 5xx, a timeout or a dropped connection. Worth another try. */
export class AttachmentUnavailable extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AttachmentUnavailable';
  }
}

export interface SafeFetchPolicy {
  allowedHosts: string[];
  maxBytes: number;
  allowLoopbackHttp: boolean;
  /** Longest wait for the answer to start and longest silence while it streams (default 30 s). */
  timeoutMs?: number;
}

export interface OpenOptions {
  /** Called with the running byte count as the body streams (e.g. to heartbeat a long download). */
  onProgress?: (bytes: number) => void;
}

const MAX_REDIRECTS = 3;
const DEFAULT_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** "*.example.com" matches any sub-domain of example.com (not example.com itself); others match exactly. */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowedHosts.some((pattern) => {
    const p = pattern.toLowerCase().replace(/\.$/, '');
    if (p.startsWith('*.')) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
    return name === p;
  });
}

const internalRanges = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 3], // multicast and reserved, broadcast included
] as const) {
  internalRanges.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
] as const) {
  internalRanges.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** The IPv4 address carried inside NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses. */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const quad = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return quad(g6, g7);
  if (g0 === 0x2002) return quad(g1, g2);
  return undefined;
}

/**
 * Private (RFC 1918, ULA), loopback, link-local, CGNAT, unspecified, multicast and reserved addresses,
 * in any IPv6 spelling (IPv4-mapped ::ffff:10.0.0.1 or ::ffff:a00:1, NAT64, 6to4). Not an IP: true.
 */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return internalRanges.check(bare, 'ipv4');
  if (family !== 6) return true;
  // BlockList also applies the IPv4 ranges to IPv4-mapped IPv6 addresses.
  if (internalRanges.check(bare.replace(/%.*$/, ''), 'ipv6')) return true;
  const embedded = embeddedIpv4(bare);
  return embedded !== undefined && internalRanges.check(embedded, 'ipv4');
}

function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  const groups = ipv6Groups(bare);
  if (!groups) return false;
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  return mapped && (groups[6] as number) >> 8 === 127;
}

export interface CheckedUrl {
  url: URL;
  /** An http:// link to loopback, allowed only by `allowLoopbackHttp` (the sandbox). */
  loopbackHttp: boolean;
}

/** Checks a link against the policy without touching the network; host names are checked at connect time. */
export function checkUrl(raw: string, policy: SafeFetchPolicy): CheckedUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AttachmentRefused(`not a URL: ${raw.slice(0, 100)}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0;
  if (url.protocol === 'http:' && policy.allowLoopbackHttp) {
    if ((literal && isLoopbackAddress(host)) || host === 'localhost') return { url, loopbackHttp: true };
  }
  if (url.protocol !== 'https:') {
    throw new AttachmentRefused(`refused ${url.protocol} link to ${host}: only https is fetched`);
  }
  if (!hostAllowed(host, policy.allowedHosts)) {
    throw new AttachmentRefused(`refused link to ${host}: not in attachments.allowedHosts`);
  }
  if (literal && isInternalAddress(host)) {
    throw new AttachmentRefused(`refused link to ${host}: an internal address`);
  }
  return { url, loopbackHttp: false };
}

/**
 * A dns.lookup that refuses internal addresses (loopback only when allowed), so the address actually
 * connected to is the one checked.
 */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    systemLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', undefined);
        return;
      }
      const refused = addresses.find(
        ({ address }) => isInternalAddress(address) && !(allowLoopback && isLoopbackAddress(address)),
      );
      if (refused || addresses.length === 0) {
        const reason = refused ? `it resolves to the internal address ${refused.address}` : 'no address';
        callback(new AttachmentRefused(`refused link to ${hostname}: ${reason}`), '', undefined);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
    });
  };
}

/** Passes bytes through, failing the stream once more than `maxBytes` have gone by. */
class ByteLimit extends Transform {
  private seen = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      callback(new AttachmentRefused(`attachment is over the ${this.maxBytes}-byte limit`));
      return;
    }
    this.onProgress?.(this.seen);
    callback(null, chunk);
  }
}

export interface FetchedAttachment {
  stream: Readable;
  contentType?: string;
  contentLength?: number;
  /** The link the bytes came from, after redirects. */
  finalUrl: string;
}

function describeNetworkError(error: unknown, url: URL): Error {
  const cause = error instanceof RequestError ? error.cause : error;
  if (cause instanceof AttachmentRefused) return cause;
  const message = error instanceof Error ? error.message : String(error);
  return new AttachmentUnavailable(`attachment download from ${url.host} failed: ${message}`);
}

/** Opens the link, following at most three redirects, each checked against the policy. */
export async function openAttachment(
  raw: string,
  policy: SafeFetchPolicy,
  options: OpenOptions = {},
): Promise<FetchedAttachment> {
  let current = raw;
  const timeoutMs = policy.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const { url, loopbackHttp } = checkUrl(current, policy);
    const request = got.stream(url, {
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      dnsLookup: guardedLookup(loopbackHttp),
      timeout: {
        lookup: CONNECT_TIMEOUT_MS,
        connect: CONNECT_TIMEOUT_MS,
        secureConnect: CONNECT_TIMEOUT_MS,
        response: timeoutMs,
        socket: timeoutMs,
      },
      decompress: true,
      headers: { 'user-agent': 'intercom-to-chatwoot' },
    });
    let response: { statusCode: number; headers: Record<string, string | string[] | undefined> };
    try {
      response = await new Promise((resolve, reject) => {
        request.once('response', resolve);
        request.once('error', reject);
      });
    } catch (error) {
      request.destroy();
      throw describeNetworkError(error, url);
    }
    const status = response.statusCode;
    if (status >= 300 && status < 400) {
      request.destroy();
      const location = response.headers.location;
      if (typeof location !== 'string' || location === '') {
        throw new AttachmentRefused(`attachment host answered ${status} without a Location to follow`);
      }
      current = new URL(location, url).toString();
      continue;
    }
    if (status === 403 || status === 404 || status === 410) {
      request.destroy();
      throw new AttachmentExpired(status);
    }
    if (status === 408 || status === 429 || status >= 500) {
      request.destroy();
      throw new AttachmentUnavailable(`attachment host answered HTTP ${status}`, status);
    }
    if (status !== 200 && status !== 203) {
      request.destroy();
      throw new AttachmentRefused(`attachment host answered HTTP ${status}`);
    }
    const length = Number(response.headers['content-length']);
    const encoded = response.headers['content-encoding'] !== undefined;
    // A compressed body's Content-Length is not the size stored; the stream limit still applies.
    if (!encoded && Number.isFinite(length) && length > policy.maxBytes) {
      request.destroy();
      throw new AttachmentRefused(`attachment of ${length} bytes is over the ${policy.maxBytes}-byte limit`);
    }
    const limited = new ByteLimit(policy.maxBytes, options.onProgress);
    // Wired by hand rather than with pipeline() so the reader sees the classified error, and a
    // reader that stops early (or the limit) closes the connection.
    request.on('error', (error) => limited.destroy(describeNetworkError(error, url)));
    limited.on('close', () => {
      if (!request.destroyed) request.destroy();
    });
    // The body may fail before the reader starts (over the limit, connection cut); the error stays in
    // `limited.errored` for the reader instead of surfacing as an uncaught 'error' event.
    limited.on('error', () => undefined);
    request.pipe(limited);
    const contentType = response.headers['content-type'];
    return {
      stream: limited,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      contentLength: !encoded && Number.isFinite(length) ? length : undefined,
      finalUrl: url.toString(),
    };
  }
  throw new AttachmentRefused(`too many redirects (more than ${MAX_REDIRECTS})`);
}

const MAX_FILE_NAME_CHARS = 120;
const MAX_EXTENSION_CHARS = 12;

/**
 * A file name safe for any path or header: no directories, no control or odd characters, no leading
 * or trailing dots, bounded in length with its extension kept.
 */
export function sanitizeFileName(name: string | null | undefined, fallback = 'attachment'): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[.\s-]+/, '')
    .replace(/[.\s]+$/, '');
  if (!/[\p{L}\p{N}]/u.test(cleaned)) return fallback;
  const chars = Array.from(cleaned);
  if (chars.length <= MAX_FILE_NAME_CHARS) return cleaned;
  const extension = /\.[\p{L}\p{N}]+$/u.exec(cleaned)?.[0] ?? '';
  const keep = Array.from(extension).length <= MAX_EXTENSION_CHARS ? extension : '';
  const stem = chars.slice(0, MAX_FILE_NAME_CHARS - Array.from(keep).length).join('');
  return `${stem.replace(/[.\s]+$/, '')}${keep}`;
}

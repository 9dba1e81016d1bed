/**
 * Fetching attachment links safely. Intercom's links point at its CDN; anything else (a rewritten
 * body, a redirect to an internal address) must not make the worker fetch from inside the network.
 * Only https to allow-listed hosts, every redirect hop re-checked, no private, loopback or link-local
 * address (except loopback over http for the sandbox, when explicitly allowed), sizes capped.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import got from 'got';

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

export interface SafeFetchPolicy {
  allowedHosts: string[];
  maxBytes: number;
  allowLoopbackHttp: boolean;
  timeoutMs?: number;
}

export function hostAllowed(host: string, allowedHosts: string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowedHosts.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p.startsWith('*.')) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
    return name === p;
  });
}

/** Private (RFC 1918, ULA), loopback, link-local, CGNAT, unspecified and multicast addresses. */
export function isInternalAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  if (v6.startsWith('::ffff:')) return isInternalAddress(v6.slice(7));
  return (
    v6 === '::' ||
    v6 === '::1' ||
    v6.startsWith('fc') ||
    v6.startsWith('fd') ||
    v6.startsWith('fe8') ||
    v6.startsWith('fe9') ||
    v6.startsWith('fea') ||
    v6.startsWith('feb') ||
    v6.startsWith('ff')
  );
}

const isLoopback = (address: string) =>
  address === '::1' || address.startsWith('127.') || address === 'localhost';

export async function checkUrl(raw: string, policy: SafeFetchPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AttachmentRefused(`not a URL: ${raw.slice(0, 100)}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  const loopbackOnly = addresses.length > 0 && addresses.every(isLoopback);
  if (url.protocol === 'http:' && policy.allowLoopbackHttp && loopbackOnly) return url;
  if (url.protocol !== 'https:')
    throw new AttachmentRefused(`refused ${url.protocol} link to ${host}: only https is fetched`);
  if (!hostAllowed(host, policy.allowedHosts)) {
    throw new AttachmentRefused(`refused link to ${host}: not in attachments.allowedHosts`);
  }
  if (addresses.some(isInternalAddress))
    throw new AttachmentRefused(`refused link to ${host}: it resolves to an internal address`);
  return url;
}

export interface FetchedAttachment {
  stream: Readable;
  contentType?: string;
  contentLength?: number;
}

/** Opens the link, following at most three redirects, each checked against the policy. */
export async function openAttachment(raw: string, policy: SafeFetchPolicy): Promise<FetchedAttachment> {
  let current = raw;
  for (let hop = 0; hop < 4; hop++) {
    const url = await checkUrl(current, policy);
    const stream = got.stream(url, {
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: policy.timeoutMs ?? 120_000 },
      decompress: true,
    });
    const response = await new Promise<{
      statusCode: number;
      headers: Record<string, string | string[] | undefined>;
    }>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    const status = response.statusCode;
    if (status >= 300 && status < 400 && typeof response.headers.location === 'string') {
      stream.destroy();
      current = new URL(response.headers.location, url).toString();
      continue;
    }
    if (status === 403 || status === 404 || status === 410) {
      stream.destroy();
      throw new AttachmentExpired(status);
    }
    if (status >= 400) {
      stream.destroy();
      throw new Error(`attachment download answered HTTP ${status}`);
    }
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > policy.maxBytes) {
      stream.destroy();
      throw new AttachmentRefused(`attachment of ${length} bytes is over the ${policy.maxBytes}-byte limit`);
    }
    const contentType = response.headers['content-type'];
    return {
      stream,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      contentLength: Number.isFinite(length) ? length : undefined,
    };
  }
  throw new AttachmentRefused('too many redirects');
}

/** A file name safe for any path or header: no directories, no control or odd characters, bounded. */
export function sanitizeFileName(name: string | null | undefined, fallback = 'attachment'): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
    .replace(/^[.\s_]+/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  return cleaned || fallback;
}

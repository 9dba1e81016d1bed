/**
 * Attachment downloads, served as S3 serves Intercom's: links are signed and expire; expired or
 * tampered links answer 403 with an S3-style XML AccessDenied body, and faults look like S3's too.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from '../faults.js';
import type { IntercomDataset } from './dataset.js';
import { countRoute, type IntercomSandboxStats } from './stats.js';
import { isSafeAttachmentPath } from './workspaceFiles.js';

const S3_MESSAGES: Record<string, string> = {
  expired: 'Request has expired',
  signature: 'The request signature we calculated does not match the signature you provided.',
  missing: 'Query-string authentication requires the Signature and Expires parameters',
};

export interface AttachmentOptions {
  dataset: IntercomDataset;
  faults: FaultInjector;
  stats: IntercomSandboxStats;
  /** Key of the link signatures. */
  secret: string;
  /** Lifetime of minted links. */
  linkTtlMs: number;
  now: () => number;
}

export class Attachments {
  constructor(private readonly options: AttachmentOptions) {}

  /** A signed link to an attachment path under the server's base URL. */
  sign(baseUrl: string, path: string): string {
    const expires = Math.floor((this.options.now() + this.options.linkTtlMs) / 1000);
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return `${baseUrl}/attachments/${encoded}?expires=${expires}&signature=${this.signature(path, expires)}`;
  }

  private signature(path: string, expires: number): string {
    return createHmac('sha256', this.options.secret).update(`${path}\n${expires}`).digest('hex');
  }

  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { dataset, faults, stats, now } = this.options;
    countRoute(stats, 'GET /attachments/{path}');
    const injected = await faults.apply(
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
    if (expires < Math.floor(now() / 1000)) {
      return sendXml(res, 403, 'AccessDenied', S3_MESSAGES.expired as string, {
        Expires: new Date(expires * 1000).toISOString(),
        ServerTime: new Date(now()).toISOString(),
      });
    }
    const descriptor = isSafeAttachmentPath(path) ? dataset.attachments[path] : undefined;
    const bytes = descriptor ? await dataset.readAttachment(path) : undefined;
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
    stats.attachmentDownloads++;
    res.end(bytes);
  }
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
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

/** The multipart/form-data body of a message with attachments, streamed. */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RequestBody } from '../httpCore.js';

export interface OutgoingAttachment {
  fileName: string;
  contentType: string;
  /** A Buffer, or a factory opening a fresh stream for every attempt (never buffered whole). */
  data: Buffer | (() => Readable);
}

/**
 * multipart/form-data written part by part, so attachments stream from their source instead of
 * being assembled in memory (a Blob in FormData would need every byte up front). The length is sent
 * when every part is a Buffer; otherwise the body goes chunked.
 */
export function multipartBody(
  fields: [string, string][],
  files: OutgoingAttachment[],
  fileField = 'attachments[]',
): RequestBody {
  const boundary = `----intercom-to-chatwoot-${randomUUID()}`;
  const heads = fields.map(([name, value]) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(name)}"\r\n\r\n${value}\r\n`,
      'utf8',
    ),
  );
  const fileHeads = files.map((file) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(fileField)}"; filename="${escapeQuoted(file.fileName)}"\r\n` +
        `Content-Type: ${safeContentType(file.contentType)}\r\n\r\n`,
      'utf8',
    ),
  );
  const lineBreak = Buffer.from('\r\n');
  const closing = Buffer.from(`--${boundary}--\r\n`, 'utf8');
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (files.every((file) => Buffer.isBuffer(file.data))) {
    const length =
      heads.reduce((sum, part) => sum + part.length, 0) +
      files.reduce(
        (sum, file, index) => sum + fileHeads[index].length + (file.data as Buffer).length + 2,
        0,
      ) +
      closing.length;
    headers['content-length'] = String(length);
  }
  async function* generate(): AsyncGenerator<Uint8Array> {
    yield* heads;
    for (const [index, file] of files.entries()) {
      yield fileHeads[index];
      if (Buffer.isBuffer(file.data)) yield file.data;
      else yield* file.data() as AsyncIterable<Uint8Array>;
      yield lineBreak;
    }
    yield closing;
  }
  return { body: generate(), headers };
}

/** As browsers do for multipart names and filenames (WHATWG HTML): escape the quote and line breaks. */
function escapeQuoted(text: string): string {
  return text.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

function safeContentType(contentType: string): string {
  return /^[\w.+-]+\/[\w.+-]+$/.test(contentType.trim()) ? contentType.trim() : 'application/octet-stream';
}

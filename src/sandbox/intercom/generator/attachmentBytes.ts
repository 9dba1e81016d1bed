/** The bytes of generated attachments, derived from (seed, path) so nothing is stored. */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { seededRandom } from '../../faults.js';
import type { AttachmentDescriptor } from '../dataset.js';

function seedFor(seed: number, path: string): number {
  return createHash('sha256').update(`${seed}\0${path}`).digest().readUInt32BE(0);
}

/** Image dimensions derived from (seed, path), so entries and bytes agree without storing them. */
export function imageDimensions(seed: number, path: string): { width: number; height: number } {
  const hash = seedFor(seed, `dimensions:${path}`);
  return { width: 32 + (hash % 97), height: 24 + ((hash >>> 8) % 73) };
}

/**
 * The bytes of a generated attachment: a valid PNG, a minimal PDF or plain text, exactly
 * `descriptor.size` bytes long, the same for the same (seed, path).
 */
export function generateAttachmentBytes(
  seed: number,
  path: string,
  descriptor: AttachmentDescriptor,
): Buffer {
  const random = seededRandom(seedFor(seed, path));
  switch (descriptor.contentType) {
    case 'image/png':
      return pngBytes(descriptor.size, imageDimensions(seed, path), random);
    case 'application/pdf':
      return padded(
        '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n',
        'trailer << /Root 1 0 R >>\n%%EOF\n',
        descriptor.size,
        random,
        '%',
      );
    default:
      return padded('', '\n', descriptor.size, random, '');
  }
}

const WORDS = [
  'lorem',
  'ipsum',
  'order',
  'refund',
  'error',
  'login',
  'invoice',
  'retry',
  'export',
  'support',
];

function padded(head: string, tail: string, size: number, random: () => number, linePrefix: string): Buffer {
  const room = size - head.length - tail.length;
  if (room <= 0) return Buffer.from((head + tail).slice(0, size), 'ascii');
  const filler: string[] = [];
  let length = 0;
  while (length < room) {
    let line = linePrefix;
    const words = 4 + Math.floor(random() * 10);
    for (let w = 0; w < words; w++) line += `${WORDS[Math.floor(random() * WORDS.length)]} `;
    line = `${line.trimEnd()}\n`;
    filler.push(line);
    length += line.length;
  }
  return Buffer.from(head + filler.join('').slice(0, room) + tail, 'ascii');
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 0);
  header.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([header.subarray(4), data])), 0);
  return Buffer.concat([header, data, crc]);
}

/** A decodable gradient PNG padded to `size` with a private ancillary chunk that decoders skip. */
function pngBytes(size: number, dims: { width: number; height: number }, random: () => number): Buffer {
  const { width, height } = dims;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rowLength = 1 + width * 3;
  const raw = Buffer.alloc(height * rowLength);
  const base = [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)];
  for (let y = 0; y < height; y++) {
    const row = y * rowLength;
    raw[row] = 1; // "Sub" filter: constant deltas make a horizontal gradient that compresses well.
    raw[row + 1] = ((base[0] as number) + y) & 0xff;
    raw[row + 2] = base[1] as number;
    raw[row + 3] = ((base[2] as number) + 2 * y) & 0xff;
    for (let x = 1; x < width; x++) {
      raw[row + 1 + x * 3] = 2;
      raw[row + 2 + x * 3] = 1;
      raw[row + 3 + x * 3] = 0;
    }
  }
  const head = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
  ]);
  const end = pngChunk('IEND', Buffer.alloc(0));
  const padLength = size - head.length - end.length - 12;
  if (padLength < 0) return Buffer.concat([head, end]).subarray(0, size);
  const padding = Buffer.alloc(padLength);
  for (let i = 0; i < padLength; i++) padding[i] = Math.floor(random() * 256);
  return Buffer.concat([head, pngChunk('paDd', padding), end]);
}

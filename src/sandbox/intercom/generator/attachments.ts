/**
 * Attachments are described by a stable path; their bytes are produced on demand from (seed, path)
 * (see attachmentBytes.ts), so a workspace with thousands of attachments costs no memory until one is
 * downloaded. Messages keep placeholder links; the server mints signed, expiring links when it answers.
 */
import type { PartAttachment } from '../../../clients/intercom/schemas.js';
import { type AttachmentDescriptor, attachmentPlaceholder } from '../dataset.js';
import { imageDimensions } from './attachmentBytes.js';
import type { GeneratorContext } from './context.js';

const ATTACHMENT_KINDS = [
  {
    contentType: 'image/png',
    names: ['screenshot.png', 'Screen Shot 2020-09-14 at 10.22.31.png', 'photo (1).png', '图片.png'],
  },
  {
    contentType: 'application/pdf',
    names: [
      'invoice-2024.pdf',
      'report 2024?.pdf',
      'Contract<final>.pdf',
      `${'very-long-name-'.repeat(18)}.pdf`,
    ],
  },
  {
    contentType: 'text/plain',
    names: ['notes.txt', '../../etc/passwd', 'log:output|1.txt', '..\\..\\windows\\win.ini'],
  },
] as const;

/** Every attachment of the workspace, registered as messages are written. */
export class AttachmentRegistry {
  /** Attachment path -> what the file is (the dataset's `attachments`). */
  readonly descriptors: Record<string, AttachmentDescriptor> = {};
  private attachmentCount = 0;

  constructor(private readonly context: GeneratorContext) {}

  /** A file attached to a message; the names cycle through unsafe ones on purpose. */
  add(): PartAttachment {
    const n = this.attachmentCount++;
    const kind = ATTACHMENT_KINDS[n % ATTACHMENT_KINDS.length] as (typeof ATTACHMENT_KINDS)[number];
    const name = kind.names[Math.floor(n / ATTACHMENT_KINDS.length) % kind.names.length] as string;
    const path = this.attachmentPath(safeSlug(name, n));
    // Mostly small files with a long tail up to ~300 KB.
    const size = 1_024 + Math.floor(this.context.dice.float() ** 3 * 300 * 1_024);
    this.descriptors[path] = { name, contentType: kind.contentType, size };
    const attachment: PartAttachment = {
      type: 'upload',
      name,
      url: attachmentPlaceholder(path),
      content_type: kind.contentType,
      filesize: size,
    };
    if (kind.contentType === 'image/png') {
      const { width, height } = imageDimensions(this.context.seed, path);
      attachment.width = width;
      attachment.height = height;
    }
    return attachment;
  }

  /** An image shown inline in a body (<img>); returns its path. */
  addInlineImage(): string {
    const n = this.attachmentCount++;
    const name = `image-${n}.png`;
    const path = this.attachmentPath(name);
    this.descriptors[path] = { name, contentType: 'image/png', size: this.context.dice.int(2_048, 40_960) };
    return path;
  }

  private attachmentPath(slug: string): string {
    return `i/o/${this.context.appNumber}/${this.context.dice.hex(20)}/${slug}`;
  }
}

/** A file-system and URL safe last path segment derived from an (unsafe) attachment name. */
function safeSlug(name: string, n: number): string {
  const slug = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80);
  return slug.length > 0 ? slug : `file-${n}`;
}

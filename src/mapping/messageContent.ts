/**
 * What an agent reads in an imported conversation must still read right years later, and must say
 * what the import could not bring:
 * - An inline image never points at its Intercom link: those are signed and expire within about half
 *   an hour (403 "Request has expired"). Rehosting copies each inline image as an attachment of its
 *   message, so the body names the attached file instead ("[image: screenshot.png — attached]"), or
 *   says the copy failed. A link to one of the message's own files (Intercom wraps images in a link
 *   to themselves) keeps its text only; a link to any other Intercom file host is left out too, with
 *   a word saying so, since it would expire the same way.
 * - A part written by a contact other than the one the Chatwoot conversation is for (a second
 *   participant of the Intercom conversation) starts with who wrote it: Chatwoot shows every
 *   incoming message as the conversation's contact's.
 * - A conversation Intercom returned truncated (its API returns only the most recent parts, 500 at
 *   most, while statistics.count_conversation_parts counts them all) carries a note saying how many
 *   older parts are missing and where the whole conversation still is.
 */
import type { Author, Conversation } from '../clients/intercom/schemas.js';
import { normalizeEmail } from './contacts.js';
import type { HtmlToMarkdownOptions } from './html.js';
import { escapeMarkdownText, storableText, truncateShort } from './text.js';

/** Hosts Intercom serves conversation files from, all behind signed links that expire. */
const INTERCOM_FILE_HOST =
  /(^|\.)(intercomcdn\.com|intercom-attachments(-\d+)?\.com|intercomassets\.com|intercomusercontent\.com)$/i;

export function isIntercomFileLink(url: string): boolean {
  try {
    return INTERCOM_FILE_HOST.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** "[image: screenshot.png — attached]", or why it is not. */
export function imageReference(fileName: string, copied: boolean): string {
  const state = copied ? 'attached' : 'could not be copied from Intercom';
  return `[image: ${escapeMarkdownText(fileName)} — ${state}]`;
}

/** What stands for a link to an Intercom file that is not one of the message's own. */
const LEFT_OUT_LINK = '[link to a file in Intercom left out: such links expire]';

/** A file of the message that the body may show or link to. */
export interface BodyFile {
  url: string;
  name: string;
  /** The planned message carrying it, and its index there: the key of the rehosted copy. */
  messageSourceId: string;
  index: number;
}

/** Whether the rehosted copy of a file is stored, by the carrying message's source id and its index. */
export type AttachmentCopied = (messageSourceId: string, index: number) => boolean;

/**
 * The conversion hooks of a message body: every absolute image source becomes a reference to the
 * attached file (there is no other kind: planning attaches every one), never its link.
 */
export function bodyFileHooks(
  files: readonly BodyFile[],
  copied: AttachmentCopied | undefined,
): Required<Pick<HtmlToMarkdownOptions, 'image' | 'link'>> {
  const byUrl = new Map<string, BodyFile>();
  for (const file of files) if (!byUrl.has(file.url)) byUrl.set(file.url, file);
  const reference = (file: BodyFile) =>
    imageReference(file.name, copied ? copied(file.messageSourceId, file.index) : true);
  const fallbackName = (url: string) => {
    try {
      const segment = new URL(url).pathname.split('/').filter(Boolean).pop();
      return storableText(decodeURIComponent(segment ?? '')).trim() || 'image';
    } catch {
      return 'image';
    }
  };
  return {
    image: (src) => {
      const file = byUrl.get(src);
      // Planning attaches every image this hook sees; a source it could not match was not copied.
      return file ? reference(file) : imageReference(truncateShort(fallbackName(src)), false);
    },
    link: (href, text) => {
      const file = byUrl.get(href);
      const intercomFile = isIntercomFileLink(href);
      if (!file && !intercomFile) return undefined;
      // Text that spells the link out ("https://downloads...") would keep it: it goes too.
      const readable = text && !text.includes('://') ? text : '';
      if (file) return readable || reference(file);
      return readable ? `${readable} ${LEFT_OUT_LINK}` : LEFT_OUT_LINK;
    },
  };
}

/** The conversation's contact in Chatwoot: its first Intercom contact, else the opening's author. */
export function mainContactId(conversation: Pick<Conversation, 'contacts' | 'source'>): string | undefined {
  return conversation.contacts?.contacts?.[0]?.id ?? conversation.source.author.id ?? undefined;
}

/** "**From Ann Smith (ann@example.com)**, another participant in this conversation:" */
export function participantLine(author: Author): string {
  const name = storableText(author.name ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const email = normalizeEmail(author.email);
  const who =
    name && email
      ? `${name} (${email})`
      : name || email || storableText(['Intercom', author.type, author.id].filter(Boolean).join(' '));
  return `**From ${escapeMarkdownText(truncateShort(who))}**, another participant in this conversation:`;
}

/** The source id of the note on a conversation Intercom returned truncated. */
export function truncationNoteSourceId(conversationId: string): string {
  return `truncated:${conversationId}`;
}

/** The parts Intercom returned and counted, when it returned fewer than it counted. */
export function truncation(conversation: {
  statistics?: { count_conversation_parts?: number | null } | null;
  conversation_parts?: { conversation_parts: unknown[] } | null;
}): { returned: number; total: number } | undefined {
  const returned = conversation.conversation_parts?.conversation_parts.length ?? 0;
  const total = conversation.statistics?.count_conversation_parts;
  if (typeof total !== 'number' || !Number.isFinite(total) || total <= returned) return undefined;
  return { returned, total };
}

export function truncationNoteText(conversationId: string, returned: number, total: number): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const missing = total - returned;
  const got =
    returned === 0
      ? `Intercom returned none of this conversation's ${count(total)} parts`
      : `Intercom returned only the ${count(returned)} most recent of this conversation's ${count(total)} parts ` +
        '(replies, notes and events)';
  const older = missing === 1 ? 'older one, which came' : `${count(missing)} older ones, which came`;
  const text =
    `${got}, so the ${older} between the opening message and the next message here, ` +
    `${missing === 1 ? 'is' : 'are'} not in Chatwoot. Intercom still has ` +
    `the whole conversation: conversation ${conversationId} (this conversation's intercom_conversation_id ` +
    'attribute).';
  return `_${escapeMarkdownText(storableText(text))}_`;
}

/**
 * What Chatwoot must hold for an Intercom workspace, by the check's own rules. Written from the
 * documented behaviour (README, the mapping's header comments), not from the mapping's code, and
 * importing nothing from src/mapping: a mistake there must show as a mismatch here, not be repeated.
 *
 * The rules, for one conversation:
 * - Items: the opening message (`source`) first, with source id `source:<id>` (or
 *   `source:conversation-<conversation id>` when it has no id); then the parts by
 *   created_at, ties in their listed order, a part id listed twice counting once; source id = part id.
 * - An item has content when its body shows text (tags and the insides of script, style and the like
 *   removed, entities decoded, NUL dropped) or an inline image, when it has attachments, or, for the
 *   opening message, when its subject shows text.
 * - Direction: user, lead and contact authors write incoming messages; everyone else outgoing.
 * - Opening message and comments: a public message in their direction when they have content,
 *   nothing otherwise.
 * - Parts without content (other than comments): an activity; nothing when activity parts are
 *   skipped. With activity parts as 'activity' (the default) it is a Chatwoot activity message
 *   (message_type activity, public: the grey line) whose one line ends with " · YYYY-MM-DD HH:MM UTC"
 *   of the part's time and names the part's author (but for a snooze that ended by itself); with
 *   'note' a private activity note.
 * - note*: a private note. State changes (open, close, assignment, snoozed, unsnoozed,
 *   assign_and_reopen, assign_and_unsnooze) with content: a public message in their direction, then
 *   its activity `<id>:event` unless activity parts are skipped. Any other part type with content:
 *   a private note (never dropped).
 * - Private notes and activity notes are outgoing.
 * - Every outgoing message of a part an Intercom bot wrote (author type bot: Fin, workflows) is an
 *   agent bot's, and no other message is; activity messages are the contact's, as Chatwoot makes
 *   every message the API creates that is not outgoing.
 * - Attachments: every listed one, plus each distinct inline image of the body (an absolute http(s)
 *   source, or the sandbox's placeholder for a signed link) not also listed. At most 15 per
 *   message: the rest go to extra messages `<id>:a2`, `<id>:a3`...
 * - A body longer than Chatwoot's limit is split into `<id>`, `<id>:2`, `<id>:3`...; see
 *   ./messages.ts for what a split must satisfy.
 * - With timestamp lines, every message of an item starts with "— YYYY-MM-DD HH:MM:SS UTC" of the
 *   item's time; content_attributes.external_created_at holds that time in every case.
 * - No message links to an inline image (its Intercom link is signed and expires): the text names
 *   each one as "[image: <file name> — attached]", or says it could not be copied when its message
 *   lacks the file. A part by an incoming author other than the conversation's contact (its first
 *   Intercom contact, else the opening's author) starts "**From <name> (<e-mail>)**...".
 * - A conversation whose statistics.count_conversation_parts counts more parts than Intercom serves
 *   (its most recent ones) gets a private note `truncated:<conversation id>` right after the opening
 *   message, at the conversation's created_at, showing how many parts came, of how many, and the
 *   conversation's id.
 * - A rating remark longer than Chatwoot allows in a conversation attribute (1,500 characters, once
 *   NUL is dropped and the ends trimmed; jsonb_attributes_length_validator.rb) cannot be stored whole
 *   in the attribute: a private note `attributes:<conversation id>` holds it, after every other
 *   message, at the conversation's created_at.
 */
import type { Author, Conversation, PartAttachment } from '../../clients/intercom/schemas.js';
import { ATTACHMENT_PLACEHOLDER_PREFIX } from '../intercom/index.js';

export type ActivityParts = 'activity' | 'note' | 'skip';

export interface RuleOptions {
  activityParts: ActivityParts;
  timestampLine: boolean;
}

export interface ExpectedAttachment {
  /** Known when Intercom gives a file size, or the sandbox describes the file. */
  size?: number;
  inline: boolean;
}

export interface Placement {
  kind: 'message' | 'note' | 'activity';
  private: boolean;
  messageType: 'incoming' | 'outgoing' | 'activity';
}

export interface ExpectedItem {
  /** Source id of the item's first message. */
  sourceId: string;
  /** Intercom's part type ('source' for the opening message), for problem messages. */
  partType: string;
  createdAt: number;
  placement: Placement;
  /** The letters and digits the item's text shows, in order ('' for an activity note). */
  letters: string;
  /** A lower bound on the length of the item's text once converted: its non-blank characters. */
  minLength: number;
  attachments: ExpectedAttachment[];
  /** Its activity `<sourceId>:event` follows. */
  event: boolean;
  /** Written by an Intercom bot: its outgoing messages are an agent bot's. */
  fromBot?: boolean;
  /** For an activity message: the name its line must show (who did it). */
  actor?: string;
  /** File names the text must show as "[image: <name> — ...]", one per inline image. */
  imageNames?: string[];
  /** Text no message of the item may hold: the inline images' Intercom links. */
  forbidden?: string[];
  /** Written by a contact other than the conversation's: the first message says who. */
  writtenBy?: { name: string; email?: string };
}

const INCOMING_AUTHORS = new Set(['user', 'lead', 'contact']);

const STATE_CHANGES = new Set([
  'open',
  'close',
  'assignment',
  'snoozed',
  'unsnoozed',
  'assign_and_reopen',
  'assign_and_unsnooze',
]);

/** Elements whose insides are not shown. */
const HIDDEN_ELEMENTS = 'script|style|textarea|option|noscript|iframe|template|title|head';
const HIDDEN = new RegExp(`<(${HIDDEN_ELEMENTS})\\b[\\s\\S]*?(?:<\\/\\1\\s*>|$)`, 'gi');
const COMMENTS = /<!--[\s\S]*?(?:-->|$)/g;
const TAGS = /<[^>]*>|<[a-z/!?][^>]*$/gi;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);?/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    // Unknown names (and names without ";") are dropped: the check then expects less, never more.
    return whole.endsWith(';') ? (ENTITIES[name.toLowerCase()] ?? '') : '';
  });
}

function withoutHidden(html: string): string {
  return html.replace(COMMENTS, ' ').replace(HIDDEN, ' ');
}

/** The text an HTML body shows, roughly: tags removed, entities decoded, NUL dropped. */
export function visibleText(html: string | null | undefined): string {
  if (!html) return '';
  return decodeEntities(withoutHidden(html).replace(TAGS, ' ')).replaceAll('\u0000', '');
}

/** Letters and digits only: what any faithful conversion to Markdown keeps, in order. */
export function lettersOf(text: string): string {
  return text.replace(/[^\p{L}\p{N}]+/gu, '');
}

function nonBlankLength(text: string): number {
  return text.replace(/\s+/g, '').length;
}

const IMG_SRC = /<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

/** A link Intercom serves: absolute http(s), or the sandbox's stand-in for a signed link. */
function isServedLink(src: string): boolean {
  return /^https?:\/\//i.test(src) || src.startsWith(ATTACHMENT_PLACEHOLDER_PREFIX);
}

/** The distinct inline image links of a body, in order. */
export function inlineImages(html: string | null | undefined): string[] {
  if (!html) return [];
  const found = new Set<string>();
  for (const match of withoutHidden(html).matchAll(IMG_SRC)) {
    const src = decodeEntities(match[1] ?? match[2] ?? match[3] ?? '').trim();
    if (isServedLink(src)) found.add(src);
  }
  return [...found];
}

/** What of an image link must never reach Chatwoot: the sandbox path's folders, or the URL without its query. */
function linkFragment(src: string): string {
  const path = placeholderPath(src);
  if (path !== undefined) return path.slice(0, Math.max(0, path.lastIndexOf('/'))) || path;
  return src.split('?')[0] ?? src;
}

/** The file name an image link ends with. */
function linkFileName(src: string): string {
  const path = placeholderPath(src) ?? src.split(/[?#]/)[0] ?? '';
  const last = path.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** The sandbox attachment path behind a placeholder link, if it is one. */
export function placeholderPath(url: string): string | undefined {
  return url.startsWith(ATTACHMENT_PLACEHOLDER_PREFIX)
    ? url.slice(ATTACHMENT_PLACEHOLDER_PREFIX.length)
    : undefined;
}

export function isIncomingAuthor(author: Pick<Author, 'type'> | null | undefined): boolean {
  return INCOMING_AUTHORS.has((author?.type ?? '').trim().toLowerCase());
}

/** "— 2020-09-13 12:26:40 UTC": how every message of an item starts with timestamp lines on. */
export function timeStamp(unixSeconds: number): string | undefined {
  const date = new Date(unixSeconds * 1000);
  if (!Number.isFinite(unixSeconds) || Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  return `— ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

interface Item {
  opening: boolean;
  sourceId: string;
  partType: string;
  createdAt: number;
  author: Author;
  body: string | null | undefined;
  subject?: string | null;
  attachments: readonly PartAttachment[];
}

function itemsOf(conversation: Conversation): Item[] {
  const source = conversation.source;
  const items: Item[] = [
    {
      opening: true,
      // Without an id (the description lets it be null), by the conversation's: stable across runs.
      sourceId: source.id ? `source:${source.id}` : `source:conversation-${conversation.id}`,
      partType: 'source',
      createdAt: conversation.created_at,
      author: source.author,
      body: source.body,
      subject: source.subject,
      attachments: source.attachments ?? [],
    },
  ];
  const seen = new Set<string>();
  const parts = (conversation.conversation_parts?.conversation_parts ?? [])
    .map((part, order) => ({ part, order }))
    .sort((a, b) => a.part.created_at - b.part.created_at || a.order - b.order);
  for (const { part } of parts) {
    if (seen.has(part.id)) continue;
    seen.add(part.id);
    items.push({
      opening: false,
      sourceId: part.id,
      partType: part.part_type,
      createdAt: part.created_at,
      author: part.author,
      body: part.body,
      attachments: part.attachments ?? [],
    });
  }
  return items;
}

const PUBLIC = (incoming: boolean): Placement => ({
  kind: 'message',
  private: false,
  messageType: incoming ? 'incoming' : 'outgoing',
});
const PRIVATE_NOTE: Placement = { kind: 'note', private: true, messageType: 'outgoing' };
const ACTIVITY_NOTE: Placement = { kind: 'activity', private: true, messageType: 'outgoing' };
const ACTIVITY_MESSAGE: Placement = { kind: 'activity', private: false, messageType: 'activity' };

/** Where a part's activity goes: an activity message, or a private note with 'note'. */
export function activityPlacement(options: RuleOptions): Placement {
  return options.activityParts === 'note' ? ACTIVITY_NOTE : ACTIVITY_MESSAGE;
}

function isBotAuthor(author: Pick<Author, 'type'> | null | undefined): boolean {
  return (author?.type ?? '').trim().toLowerCase() === 'bot';
}
/** Chatwoot's limit on a top-level string in a conversation's attributes, in characters. */
const ATTRIBUTE_CHARACTERS = 1_500;

/** The note on a conversation Intercom serves fewer parts of than it counts, if one is due. */
function truncationNote(conversation: Conversation): ExpectedItem | undefined {
  const served = conversation.conversation_parts?.conversation_parts.length ?? 0;
  const counted = conversation.statistics?.count_conversation_parts;
  if (typeof counted !== 'number' || counted <= served) return undefined;
  const shown = `${served} ${counted} ${conversation.id}`;
  return {
    sourceId: `truncated:${conversation.id}`,
    partType: 'truncated',
    createdAt: conversation.created_at,
    placement: PRIVATE_NOTE,
    letters: lettersOf(shown),
    minLength: nonBlankLength(shown),
    attachments: [],
    event: false,
  };
}

/** The private note that keeps a rating remark too long for Chatwoot's attribute limit, if one is due. */
function remarkNote(conversation: Conversation): ExpectedItem | undefined {
  const remark = (conversation.conversation_rating?.remark ?? '').replaceAll('\u0000', '').trim();
  if ([...remark].length <= ATTRIBUTE_CHARACTERS) return undefined;
  return {
    sourceId: `attributes:${conversation.id}`,
    partType: 'attributes',
    createdAt: conversation.created_at,
    placement: PRIVATE_NOTE,
    letters: lettersOf(remark),
    minLength: nonBlankLength(remark),
    attachments: [],
    event: false,
  };
}

/**
 * The items of a conversation (already capped to the parts Intercom serves) that must be in
 * Chatwoot, in posting order. `sizeOf` gives the size of a sandbox attachment path, when known.
 */
export function expectedItems(
  conversation: Conversation,
  options: RuleOptions,
  sizeOf: (path: string) => number | undefined = () => undefined,
): ExpectedItem[] {
  const expected: ExpectedItem[] = [];
  const conversationContact =
    conversation.contacts?.contacts?.[0]?.id ?? conversation.source.author.id ?? undefined;
  const truncated = truncationNote(conversation);
  for (const item of itemsOf(conversation)) {
    if (!item.opening && truncated && !expected.includes(truncated)) expected.push(truncated);
    const partType = item.partType.trim().toLowerCase();
    const subject = item.opening ? visibleText(item.subject) : '';
    const body = visibleText(item.body);
    const listedUrls = new Set(item.attachments.map((attachment) => attachment.url));
    const attachments: ExpectedAttachment[] = [
      ...item.attachments.map((attachment) => {
        const path = placeholderPath(attachment.url);
        const size =
          typeof attachment.filesize === 'number' ? attachment.filesize : path ? sizeOf(path) : undefined;
        return { size, inline: false };
      }),
      ...inlineImages(item.body)
        .filter((src) => !listedUrls.has(src))
        .map((src) => {
          const path = placeholderPath(src);
          return { size: path ? sizeOf(path) : undefined, inline: true };
        }),
    ];
    const hasContent = /\S/.test(subject) || /\S/.test(body) || attachments.length > 0;
    const base = {
      sourceId: item.sourceId,
      partType: item.partType,
      createdAt: item.createdAt,
      fromBot: isBotAuthor(item.author),
    };
    const actor = (item.author.name ?? '').replaceAll('\u0000', '').replace(/\s+/g, ' ').trim();
    const activity: ExpectedItem = {
      ...base,
      placement: activityPlacement(options),
      actor: partType === 'timer_unsnooze' || !actor ? undefined : actor,
      letters: '',
      minLength: 1,
      attachments: [],
      event: false,
    };
    if (!hasContent) {
      if (item.opening || partType === 'comment' || options.activityParts === 'skip') continue;
      expected.push(activity);
      continue;
    }
    const images = inlineImages(item.body);
    const withContent: Omit<ExpectedItem, 'placement'> = {
      ...base,
      letters: lettersOf(`${subject} ${body}`),
      minLength: nonBlankLength(subject) + nonBlankLength(body),
      attachments,
      event: false,
      imageNames: images.filter((src) => !listedUrls.has(src)).map(linkFileName),
      forbidden: images.map(linkFragment),
    };
    if (isIncomingAuthor(item.author) && item.author.id && item.author.id !== conversationContact) {
      withContent.writtenBy = {
        name: (item.author.name ?? '').replace(/\s+/g, ' ').trim(),
        email: chatwootEmail(item.author.email),
      };
    }
    const incoming = isIncomingAuthor(item.author);
    if (item.opening || partType === 'comment') {
      expected.push({ ...withContent, placement: PUBLIC(incoming) });
    } else if (partType.startsWith('note')) {
      expected.push({ ...withContent, placement: PRIVATE_NOTE });
    } else if (STATE_CHANGES.has(partType)) {
      expected.push({
        ...withContent,
        placement: PUBLIC(incoming),
        event: options.activityParts !== 'skip',
        actor: actor || undefined,
      });
    } else {
      expected.push({ ...withContent, placement: PRIVATE_NOTE });
    }
  }
  if (truncated && !expected.includes(truncated)) expected.push(truncated);
  const note = remarkNote(conversation);
  if (note) expected.push(note);
  return expected;
}

/**
 * The address Chatwoot keeps for an Intercom e-mail: trimmed and lower-cased, without NUL (and with
 * U+FFFD for half an emoji, which PostgreSQL cannot store); none when it is not one "@" between
 * non-blank text, or is longer than 254 characters.
 */
export function chatwootEmail(raw: string | null | undefined): string | undefined {
  if (raw == null) return undefined;
  const email = raw
    .replaceAll('\u0000', '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .trim()
    .toLowerCase();
  if (email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) return undefined;
  return email;
}

/**
 * The identifier of the Chatwoot contact standing for an Intercom contact: the external id a website
 * passes to `$chatwoot.setUser` (without surrounding blanks, NUL or half an emoji, which the
 * database cannot keep), or `intercom:<id>` for a contact without one.
 */
export function chatwootIdentifier(contact: { id: string; external_id?: string | null }): string {
  const external = (contact.external_id ?? '')
    .replaceAll('\u0000', '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .trim();
  return external === '' ? `intercom:${contact.id}` : external;
}

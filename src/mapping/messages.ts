/**
 * The message plan of one conversation: what the importer posts to Chatwoot, in order. Pure and
 * deterministic: the same conversation always gives the same plan, and each planned message has a
 * stable `sourceId` (stored as the Chatwoot message's source_id) so an import can be resumed or
 * repeated without duplicates.
 *
 * - The opening message (`conversation.source`, not a part) comes first, then the parts by
 *   created_at, ties in their original order.
 * - user / lead / contact authors -> incoming; admins, bots, teams and anyone else -> outgoing.
 * - comment -> public message; note* -> private note.
 * - Part types that change state (open, close, assignment, snoozed...) with a body: the body was
 *   shown to the customer (a reply that closes, a customer reply that reopens), so it is a public
 *   message; the state change itself follows as its own activity (`<id>:event`).
 * - Any part without content -> an activity describing it. activityParts 'activity' (the default)
 *   makes it a Chatwoot activity message (message_type activity, the grey line, ./activityLines.ts),
 *   'note' a private note, 'skip' nothing. Either way the source id is the same, so a resumed
 *   import finds what an earlier attempt posted in the other form and does not post it again.
 *   Unknown part types with content -> private notes, never silently dropped.
 * - Parts written by an Intercom bot (author type `bot`: Fin, workflows, custom bots) are marked
 *   `botAuthored`: the import posts them as Chatwoot's agent bot, not as an agent.
 * - Long bodies are split (each content, timestamp line included, within the limit); more than 15
 *   attachments spill into extra messages.
 * - Every text sent to Chatwoot goes through `storableText` (no NUL, no lone surrogate), the body
 *   before it is split, so that one bad character cannot make Chatwoot answer 500 forever.
 * - No content links to an image or to an Intercom file (signed links expire): an inline image reads
 *   "[image: <file> — attached]" (or that it could not be copied), naming the attachment rehosting
 *   made of it; an incoming part by a contact other than the conversation's starts with who wrote it;
 *   a conversation Intercom returned truncated gets a private note `truncated:<conversation id>`
 *   after the opening message (see ./messageContent.ts).
 * - A conversation attribute cut to fit Chatwoot's 1,500-character limit (a long rating remark) is
 *   kept whole in a private note `attributes:<conversation id>`, after every other message, at the
 *   conversation's created_at (its updated_at moves whenever Intercom touches it, even by tagging).
 */
import type { Author, Conversation, PartAttachment } from '../clients/intercom/schemas.js';
import { activityLine, isIntercomBot } from './activityLines.js';
import { ATTRIBUTE_LIMITS } from './attributes.js';
import { normalizeEmail } from './contacts.js';
import { conversationAttributeAdjustments } from './conversations.js';
import { extractImageSources, htmlToMarkdown } from './html.js';
import {
  type AttachmentCopied,
  bodyFileHooks,
  mainContactId,
  participantLine,
  truncation,
  truncationNoteSourceId,
  truncationNoteText,
} from './messageContent.js';
import {
  CHATWOOT_LIMITS,
  escapeMarkdownText,
  formatTimestampLine,
  isoUtc,
  splitMessageBody,
  storableText,
  truncateShort,
} from './text.js';

export type MessageDirection = 'incoming' | 'outgoing';
export type ActivityPartsMode = 'activity' | 'note' | 'skip';

export interface PlannedAttachment {
  url: string;
  name: string;
  contentType: string;
  size?: number;
  /** Position in the part's attachments (regular ones first, then inline images): with the
   * message's sourceId, a stable key for the rehosted copy. */
  index: number;
  /** An image inlined in the HTML body rather than attached. */
  inline: boolean;
}

export interface PlannedMessage {
  /** The Chatwoot source_id: the Intercom part id, `source:<id>` for the opening message,
   * `<id>:2`... for the rest of a split body, `<id>:a2`... for attachments beyond the per-message
   * limit, `<id>:event` for the activity note of a state change that also carried a body. */
  sourceId: string;
  /** The Intercom part this message comes from (`source:<id>` for the opening message). */
  partId: string;
  /** Intercom's part_type, or 'source' for the opening message. */
  partType: string;
  kind: 'message' | 'note' | 'activity';
  /** Markdown, with the timestamp line first when enabled; an activity message's one plain line. */
  content: string;
  /** 'activity' for a Chatwoot activity message (activityParts 'activity'). */
  messageType: MessageDirection | 'activity';
  private: boolean;
  /** Written by an Intercom bot (never the migration's own notes): posted as Chatwoot's agent bot. */
  botAuthored: boolean;
  /** Original time, unix seconds (Chatwoot cannot store it as the message time). */
  externalCreatedAt: number;
  authorType: string;
  authorId?: string;
  authorName: string;
  authorEmail?: string;
  attachments: PlannedAttachment[];
}

export interface PlanMessagesOptions {
  activityParts: ActivityPartsMode;
  timestampLine: boolean;
  maxContentLength?: number;
  maxAttachmentsPerMessage?: number;
  /** Intercom admin id -> name, to describe assignments. */
  adminNames?: Readonly<Record<string, string>>;
  /** Intercom team id -> name, to describe assignments. */
  teamNames?: Readonly<Record<string, string>>;
  /**
   * Whether the rehosted copy of an attachment is stored (by its message's source id and index), so
   * that an inline image's reference says "attached" or that it could not be copied. Without it the
   * references say "attached". Either way no content links to an image (./messageContent.ts).
   */
  attachmentCopied?: AttachmentCopied;
}

const INCOMING_AUTHOR_TYPES = new Set(['user', 'lead', 'contact']);

/** Part types whose body, when present, was sent to the customer along with the state change. */
const STATE_CHANGE_TYPES = new Set([
  'open',
  'close',
  'assignment',
  'snoozed',
  'unsnoozed',
  'assign_and_reopen',
  'assign_and_unsnooze',
]);

/** Direction of a message by its Intercom author type. */
export function messageDirection(authorType: string | null | undefined): MessageDirection {
  return INCOMING_AUTHOR_TYPES.has((authorType ?? '').trim().toLowerCase()) ? 'incoming' : 'outgoing';
}

/** A name to show for an Intercom author, never empty. */
export function authorDisplayName(author: Author): string {
  const name = storableText(author.name ?? '').trim();
  if (name) return truncateShort(name.replace(/\s+/g, ' '));
  const email = normalizeEmail(author.email);
  if (email) return email;
  return truncateShort(storableText(['Intercom', author.type, author.id].filter(Boolean).join(' ')));
}

function lookup(names: Readonly<Record<string, string>> | undefined, id: string): string | undefined {
  if (!names || !Object.hasOwn(names, id)) return undefined;
  return names[id]?.trim() || undefined;
}

type AssignedTo = { type: string; id?: string | null } | null | undefined;

function assigneeDescription(assignedTo: AssignedTo, options: PlanMessagesOptions): string | undefined {
  if (!assignedTo?.id || assignedTo.type === 'nobody_admin') return undefined;
  const id = assignedTo.id;
  switch (assignedTo.type) {
    case 'team':
      return `team ${escapeMarkdownText(lookup(options.teamNames, id) ?? id)}`;
    case 'admin':
      return escapeMarkdownText(lookup(options.adminNames, id) ?? `admin ${id}`);
    default:
      return `${escapeMarkdownText(assignedTo.type)} ${escapeMarkdownText(id)}`;
  }
}

function humanize(partType: string): string {
  const words = partType.replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : 'Event';
}

/** "Assigned to team Billing by Ann Smith", "Closed by Ann Smith"... */
export function describeActivity(
  part: { part_type: string; author: Author; assigned_to?: AssignedTo; [key: string]: unknown },
  options: PlanMessagesOptions,
): string {
  const by = escapeMarkdownText(authorDisplayName(part.author));
  const assignee = assigneeDescription(part.assigned_to, options);
  const assigned = assignee ? `assigned to ${assignee}` : 'unassigned';
  const partType = part.part_type.trim().toLowerCase();
  switch (partType) {
    case 'assignment':
    case 'default_assignment':
    case 'away_mode_assignment':
      return `${assignee ? `Assigned to ${assignee}` : 'Unassigned'} by ${by}`;
    case 'assign_and_reopen':
      return `Reopened and ${assigned} by ${by}`;
    case 'assign_and_unsnooze':
      return `Unsnoozed and ${assigned} by ${by}`;
    case 'open':
      return `Reopened by ${by}`;
    case 'close':
      return `Closed by ${by}`;
    case 'snoozed': {
      const until = typeof part.snoozed_until === 'number' ? ` until ${isoUtc(part.snoozed_until)}` : '';
      return `Snoozed${until} by ${by}`;
    }
    case 'unsnoozed':
    case 'timer_unsnooze':
      return `Unsnoozed (${by})`;
    default:
      return `${escapeMarkdownText(humanize(part.part_type))} (${by})`;
  }
}

/** One Intercom item (opening message or part) reduced to what planning needs. */
interface PlanItem {
  /** The conversation's opening message rather than a part. */
  opening: boolean;
  partId: string;
  partType: string;
  createdAt: number;
  author: Author;
  body: string | null | undefined;
  attachments: PartAttachment[];
  assignedTo?: AssignedTo;
  extra: Record<string, unknown>;
  /** Markdown put before the body (the subject of an email conversation). */
  lead?: string;
  /** Written by a contact other than the conversation's: the body starts by saying who. */
  otherParticipant?: boolean;
}

function fileNameFromUrl(url: string): string | undefined {
  try {
    const segment = new URL(url).pathname.split('/').filter(Boolean).pop();
    // "%00" decodes to NUL.
    return segment ? storableText(decodeURIComponent(segment)).trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  avif: 'image/avif',
  heic: 'image/heic',
};

function contentTypeFromName(name: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  return (extension && IMAGE_TYPES[extension]) || 'application/octet-stream';
}

function plannedAttachments(item: PlanItem): PlannedAttachment[] {
  const attachments: PlannedAttachment[] = item.attachments.map((attachment, index) => {
    const name = truncateShort(
      storableText(attachment.name ?? '').trim() ||
        fileNameFromUrl(attachment.url) ||
        `attachment-${index + 1}`,
    );
    const planned: PlannedAttachment = {
      url: attachment.url,
      name,
      contentType: storableText(attachment.content_type?.trim() ?? '') || contentTypeFromName(name),
      index,
      inline: false,
    };
    if (typeof attachment.filesize === 'number') planned.size = attachment.filesize;
    return planned;
  });
  const attachedUrls = new Set(attachments.map((attachment) => attachment.url));
  for (const url of extractImageSources(item.body)) {
    if (attachedUrls.has(url)) continue;
    const index = attachments.length;
    const name = truncateShort(fileNameFromUrl(url) || `image-${index + 1}`);
    attachments.push({ url, name, contentType: contentTypeFromName(name), index, inline: true });
  }
  return attachments;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

interface Placement {
  kind: PlannedMessage['kind'];
  messageType: PlannedMessage['messageType'];
  private: boolean;
}

/** Turns one item's Markdown and attachments into one or more messages within Chatwoot's limits. */
function emit(
  item: PlanItem,
  sourceId: string,
  text: string,
  attachments: PlannedAttachment[],
  placement: Placement,
  options: PlanMessagesOptions,
): PlannedMessage[] {
  // Cleaned before splitting: a lone surrogate becomes one U+FFFD unit, so every cut stays clean.
  const markdown = storableText(text);
  const max = options.maxContentLength ?? CHATWOOT_LIMITS.messageContent;
  const perMessage = options.maxAttachmentsPerMessage ?? CHATWOOT_LIMITS.attachmentsPerMessage;
  if (!Number.isInteger(perMessage) || perMessage < 1) {
    throw new RangeError(`maxAttachmentsPerMessage must be a positive integer, got ${perMessage}`);
  }
  const authorName = authorDisplayName(item.author);
  const header = options.timestampLine ? formatTimestampLine(item.createdAt, authorName) : '';
  const continuationHeader = header ? `${header} (continued)` : '';
  const budget = max - (continuationHeader ? continuationHeader.length + 2 : 0);
  if (!Number.isInteger(max) || budget < 2) {
    throw new RangeError(
      `maxContentLength ${max} leaves no room for a message body after the timestamp line`,
    );
  }
  const withHeader = (text: string, first: boolean) => {
    const line = first ? header : continuationHeader;
    if (!line) return text;
    return text ? `${line}\n\n${text}` : line;
  };

  const pieces = withHeader(markdown, true).length <= max ? [markdown] : splitMessageBody(markdown, budget);
  const attachmentChunks = chunk(attachments, perMessage);

  const message = (id: string, content: string, chunkOfAttachments: PlannedAttachment[]): PlannedMessage => {
    const planned: PlannedMessage = {
      sourceId: id,
      partId: item.partId,
      partType: item.partType,
      ...placement,
      content,
      externalCreatedAt: item.createdAt,
      // Both go into the message's content_attributes (jsonb), which refuses NUL just as text does.
      authorType: storableText(item.author.type),
      authorName,
      botAuthored: item.author !== MIGRATION_AUTHOR && isIntercomBot(item.author.type),
      attachments: chunkOfAttachments,
    };
    if (item.author.id) planned.authorId = storableText(item.author.id);
    const authorEmail = normalizeEmail(item.author.email);
    if (authorEmail) planned.authorEmail = authorEmail;
    return planned;
  };
  const messages = pieces.map((piece, position) =>
    position === 0
      ? message(sourceId, withHeader(piece, true), attachmentChunks[0] ?? [])
      : message(`${sourceId}:${position + 1}`, withHeader(piece, false), []),
  );
  for (let position = 1; position < attachmentChunks.length; position++) {
    messages.push(message(`${sourceId}:a${position + 1}`, withHeader('', false), attachmentChunks[position]));
  }
  return messages;
}

function joinBlocks(blocks: readonly (string | undefined)[]): string {
  return blocks.filter((block): block is string => Boolean(block)).join('\n\n');
}

/** The Markdown of an item's body, its images and links to its files standing for the attachments. */
function bodyMarkdown(item: PlanItem, attachments: PlannedAttachment[], options: PlanMessagesOptions) {
  const perMessage = options.maxAttachmentsPerMessage ?? CHATWOOT_LIMITS.attachmentsPerMessage;
  const files = attachments.map((attachment) => {
    // The message that carries it (see emit): the first, then `<id>:a2`... per `perMessage`.
    const spill =
      Number.isInteger(perMessage) && perMessage > 0 ? Math.floor(attachment.index / perMessage) : 0;
    const messageSourceId = spill === 0 ? item.partId : `${item.partId}:a${spill + 1}`;
    return { url: attachment.url, name: attachment.name, messageSourceId, index: attachment.index };
  });
  return htmlToMarkdown(item.body, bodyFileHooks(files, options.attachmentCopied));
}

/** A Chatwoot activity message: one plain line with what happened, who did it and when. */
function activityMessage(item: PlanItem, sourceId: string, options: PlanMessagesOptions): PlannedMessage[] {
  const line = activityLine(
    {
      partType: item.partType,
      by: authorDisplayName(item.author),
      assignedTo: item.assignedTo,
      snoozedUntil: item.extra.snoozed_until,
      createdAt: item.createdAt,
    },
    options,
  );
  // The time is in the line itself: no timestamp line, which would make it two lines and Markdown.
  return emit(
    item,
    sourceId,
    line,
    [],
    { kind: 'activity', messageType: 'activity', private: false },
    { ...options, timestampLine: false },
  );
}

function planItem(item: PlanItem, options: PlanMessagesOptions): PlannedMessage[] {
  const partType = item.partType.trim().toLowerCase();
  const attachments = plannedAttachments(item);
  // Cleaned here too so that a body of nothing but NULs counts as no content.
  const body = storableText(joinBlocks([item.lead, bodyMarkdown(item, attachments, options)]));
  const hasContent = body !== '' || attachments.length > 0;
  // Who wrote it comes first, before anything else the message says.
  const who = hasContent && item.otherParticipant ? participantLine(item.author) : undefined;
  const markdown = joinBlocks([who, body]);
  const direction = messageDirection(item.author.type);
  const privateNote: Placement = { kind: 'note', messageType: 'outgoing', private: true };
  const activityNote = (sourceId: string) =>
    options.activityParts === 'activity'
      ? activityMessage(item, sourceId, options)
      : emit(
          item,
          sourceId,
          describeActivity(
            { ...item.extra, part_type: item.partType, author: item.author, assigned_to: item.assignedTo },
            options,
          ),
          [],
          { kind: 'activity', messageType: 'outgoing', private: true },
          options,
        );

  if (!hasContent) {
    // The opening message and comments without content have nothing to show.
    if (item.opening || partType === 'comment') return [];
    return options.activityParts === 'skip' ? [] : activityNote(item.partId);
  }
  if (item.opening || partType === 'comment') {
    return emit(
      item,
      item.partId,
      markdown,
      attachments,
      { kind: 'message', messageType: direction, private: false },
      options,
    );
  }
  if (partType.startsWith('note')) {
    return emit(item, item.partId, markdown, attachments, privateNote, options);
  }
  if (STATE_CHANGE_TYPES.has(partType)) {
    const reply = emit(
      item,
      item.partId,
      markdown,
      attachments,
      { kind: 'message', messageType: direction, private: false },
      options,
    );
    return options.activityParts === 'skip' ? reply : [...reply, ...activityNote(`${item.partId}:event`)];
  }
  const origin = `_Intercom ${escapeMarkdownText(item.partType)}_`;
  return emit(item, item.partId, joinBlocks([who, origin, body]), attachments, privateNote, options);
}

/**
 * The opening message's source id: `source:<source id>`, or `source:conversation-<conversation id>`
 * when Intercom gives the opening message no id (the description lets source.id be null). Stable
 * across runs, and never a part's id (parts have no "source:" prefix) nor another opening's (source
 * ids are Intercom's numeric ids).
 */
export function openingSourceId(conversation: Pick<Conversation, 'id' | 'source'>): string {
  const id = conversation.source.id;
  return id ? `source:${id}` : `source:conversation-${conversation.id}`;
}

/** The messages to post for one conversation (fetched with its parts), in posting order. */
export function planMessages(conversation: Conversation, options: PlanMessagesOptions): PlannedMessage[] {
  const source = conversation.source;
  const subject = storableText(htmlToMarkdown(source.subject)).replace(/\s+/g, ' ');
  const items: PlanItem[] = [
    {
      opening: true,
      partId: openingSourceId(conversation),
      partType: 'source',
      createdAt: conversation.created_at,
      author: source.author,
      body: source.body,
      attachments: source.attachments,
      extra: source,
      lead: subject ? `**${subject}**` : undefined,
    },
  ];
  const mainContact = mainContactId(conversation);
  const otherParticipant = (author: Author) =>
    messageDirection(author.type) === 'incoming' && Boolean(author.id) && author.id !== mainContact;
  items[0].otherParticipant = otherParticipant(source.author);
  const parts = (conversation.conversation_parts?.conversation_parts ?? [])
    .map((part, order) => ({ part, order }))
    .sort((a, b) => a.part.created_at - b.part.created_at || a.order - b.order);
  const seen = new Set<string>([items[0].partId]);
  for (const { part } of parts) {
    // Intercom can list a part twice across pages; it is one message.
    if (seen.has(part.id)) continue;
    seen.add(part.id);
    items.push({
      opening: false,
      partId: part.id,
      partType: part.part_type,
      createdAt: part.created_at,
      author: part.author,
      body: part.body,
      attachments: part.attachments,
      assignedTo: part.assigned_to,
      extra: part,
      otherParticipant: otherParticipant(part.author),
    });
  }
  const [opening, ...rest] = items;
  // The truncation note goes where the missing parts were: after the opening, before what Intercom returned.
  return [
    ...planItem(opening, options),
    ...truncationNote(conversation, options),
    ...rest.flatMap((item) => planItem(item, options)),
    ...attributesNote(conversation, options),
  ];
}

/** The note's author: nobody in Intercom wrote it. */
const MIGRATION_AUTHOR: Author = { type: 'bot', id: null, name: 'Intercom migration' };

function truncationNote(conversation: Conversation, options: PlanMessagesOptions): PlannedMessage[] {
  const truncated = truncation(conversation);
  if (!truncated) return [];
  const sourceId = truncationNoteSourceId(conversation.id);
  const item: PlanItem = {
    opening: false,
    partId: sourceId,
    partType: 'truncated',
    createdAt: conversation.created_at,
    author: MIGRATION_AUTHOR,
    body: null,
    attachments: [],
    extra: {},
  };
  const text = truncationNoteText(conversation.id, truncated.returned, truncated.total);
  return emit(item, sourceId, text, [], { kind: 'note', messageType: 'outgoing', private: true }, options);
}

/** The source id of the note that keeps the attributes cut to fit Chatwoot, whole. */
export function attributesNoteSourceId(conversationId: string): string {
  return `attributes:${conversationId}`;
}

function attributesNote(conversation: Conversation, options: PlanMessagesOptions): PlannedMessage[] {
  const { cut } = conversationAttributeAdjustments(conversation);
  if (cut.length === 0) return [];
  const limit = ATTRIBUTE_LIMITS.stringChars.toLocaleString('en-US');
  const sections = cut.map(
    (attribute) =>
      `**${escapeMarkdownText(attribute.key)}** (${attribute.attribute.replace('_', ' ')}, ` +
      `${attribute.originalLength} characters):\n\n${escapeMarkdownText(attribute.fullText)}`,
  );
  const text = joinBlocks([
    `_Chatwoot keeps at most ${limit} characters in a conversation attribute, so the migration cut ` +
      'these and keeps them whole here._',
    ...sections,
  ]);
  const sourceId = attributesNoteSourceId(conversation.id);
  const item: PlanItem = {
    opening: false,
    partId: sourceId,
    partType: 'attributes',
    createdAt: conversation.created_at,
    author: MIGRATION_AUTHOR,
    body: null,
    attachments: [],
    extra: {},
  };
  return emit(item, sourceId, text, [], { kind: 'note', messageType: 'outgoing', private: true }, options);
}

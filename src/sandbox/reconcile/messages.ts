/**
 * Compares the messages of one Chatwoot conversation with the items its Intercom conversation must
 * give (./rules.ts), message by message, by source id.
 *
 * A body longer than Chatwoot's message limit is split into pieces `<id>`, `<id>:2`, `<id>:3`...
 * Exactly where it is cut depends on paragraph and line boundaries of the converted text, so the
 * check does not recompute the cuts; it asserts what any correct split must satisfy:
 * - every piece, its time line included, is within the limit;
 * - the pieces are consecutive (no `<id>:3` without `<id>:2`) and, read in order, show every letter
 *   and digit of the Intercom text, in order (nothing cut off or dropped);
 * - there are at least as many pieces as the text's non-blank length requires;
 * - no cut is made too early: a piece could not also have taken the next piece's first paragraph
 *   (so a body that fits is never split, and the pieces are not needlessly many).
 */
import type { DumpConversation, DumpMessage } from '../chatwoot/index.js';
import { activityPlacement, type ExpectedItem, lettersOf, type RuleOptions, timeStamp } from './rules.js';

export interface ChatwootLimits {
  /** Characters of one message's content. */
  messageContent: number;
  attachmentsPerMessage: number;
}

export interface ConversationTally {
  messagesExpected: number;
  messagesFound: number;
  attachmentsExpected: number;
  attachmentsFound: number;
  duplicates: number;
}

/** Whitespace a cut may drop between two pieces and still count as "at the boundary". */
const CUT_WHITESPACE_ALLOWANCE = 16;

interface Suffixes {
  pieces: Map<number, string>;
  spills: Map<number, string>;
}

function suffixesByBase(sourceIds: Iterable<string>): Map<string, Suffixes> {
  const byBase = new Map<string, Suffixes>();
  for (const sourceId of sourceIds) {
    const colon = sourceId.lastIndexOf(':');
    if (colon <= 0) continue;
    const base = sourceId.slice(0, colon);
    const suffix = sourceId.slice(colon + 1);
    const piece = /^[0-9]+$/.test(suffix) ? Number(suffix) : undefined;
    const spill = /^a[0-9]+$/.test(suffix) ? Number(suffix.slice(1)) : undefined;
    if (piece === undefined && spill === undefined) continue;
    let entry = byBase.get(base);
    if (!entry) {
      entry = { pieces: new Map(), spills: new Map() };
      byBase.set(base, entry);
    }
    if (piece !== undefined) entry.pieces.set(piece, sourceId);
    if (spill !== undefined) entry.spills.set(spill, sourceId);
  }
  return byBase;
}

/** Whether `needle` appears in `haystack` in order (not necessarily contiguously); else where it stops. */
function subsequenceMismatch(needle: string, haystack: string): number | undefined {
  let at = 0;
  for (let i = 0; i < needle.length; i++) {
    at = haystack.indexOf(needle[i], at);
    if (at === -1) return i;
    at++;
  }
  return undefined;
}

/** Time line and body of a message's content. */
function splitContent(content: string, timestampLine: boolean): { header: string; body: string } {
  if (!timestampLine || !content.startsWith('— ')) return { header: '', body: content };
  const end = content.indexOf('\n\n');
  return end === -1
    ? { header: content, body: '' }
    : { header: content.slice(0, end), body: content.slice(end + 2) };
}

function firstParagraphLength(text: string): number {
  const end = text.indexOf('\n\n');
  return end === -1 ? text.length : end;
}

/** " · 2021-03-04 10:15 UTC": how an activity message's line ends. */
function activityTimeSuffix(unixSeconds: number): string | undefined {
  const stamp = timeStamp(unixSeconds);
  return stamp ? ` · ${stamp.slice(2, 18)} UTC` : undefined;
}

function describeItem(item: ExpectedItem): string {
  if (item.placement.messageType === 'activity') return `an activity message (Intercom ${item.partType})`;
  const kind = item.placement.private
    ? item.placement.kind === 'activity'
      ? 'a private activity note'
      : 'a private note'
    : `a public ${item.placement.messageType} message`;
  return `${kind} (Intercom ${item.partType})`;
}

/**
 * Checks one migrated conversation; pushes problems and returns the counts. `items` are the
 * conversation's expected items (./rules.ts).
 */
export function checkConversationMessages(
  conversationId: string,
  items: readonly ExpectedItem[],
  target: Pick<DumpConversation, 'messages'>,
  options: RuleOptions,
  limits: ChatwootLimits,
  problems: string[],
): ConversationTally {
  const tally: ConversationTally = {
    messagesExpected: 0,
    messagesFound: 0,
    attachmentsExpected: 0,
    attachmentsFound: 0,
    duplicates: 0,
  };
  const problem = (text: string) => problems.push(`conversation ${conversationId}: ${text}`);

  const bySourceId = new Map<string, DumpMessage[]>();
  const position = new Map<string, number>();
  target.messages.forEach((message, index) => {
    if (!message.source_id) return;
    const list = bySourceId.get(message.source_id);
    if (list) list.push(message);
    else {
      bySourceId.set(message.source_id, [message]);
      position.set(message.source_id, index);
    }
  });
  const suffixes = suffixesByBase(bySourceId.keys());
  const accounted = new Set<string>();
  const expectedOrder: string[] = [];

  /** Looks one expected message up; checks what every message of the item must satisfy. */
  const lookUp = (
    sourceId: string,
    item: ExpectedItem,
    placement = item.placement,
  ): DumpMessage | undefined => {
    tally.messagesExpected++;
    accounted.add(sourceId);
    expectedOrder.push(sourceId);
    const found = bySourceId.get(sourceId) ?? [];
    if (found.length === 0) {
      problem(`message ${sourceId} missing (${describeItem({ ...item, placement })})`);
      return undefined;
    }
    tally.messagesFound++;
    tally.duplicates += found.length - 1;
    const message = found[0];
    if (message.private !== placement.private) {
      problem(
        `message ${sourceId} is ${message.private ? 'private' : 'public'}, expected ${describeItem({ ...item, placement })}`,
      );
    }
    if (message.message_type !== placement.messageType) {
      problem(
        `message ${sourceId} is ${message.message_type}, expected ${placement.messageType} (Intercom ${item.partType})`,
      );
    }
    const content = message.content ?? '';
    if (!/\S/.test(content) && message.attachments.length === 0)
      problem(`message ${sourceId} has no content`);
    if (content.length > limits.messageContent) {
      problem(
        `message ${sourceId} holds ${content.length} characters, over Chatwoot's ${limits.messageContent}`,
      );
    }
    if (message.attachments.length > limits.attachmentsPerMessage) {
      problem(
        `message ${sourceId} carries ${message.attachments.length} attachments, over Chatwoot's ${limits.attachmentsPerMessage}`,
      );
    }
    const fromBot = message.sender?.type === 'agent_bot';
    if (placement.messageType === 'outgoing' && fromBot !== Boolean(item.fromBot)) {
      problem(
        `message ${sourceId} is ${fromBot ? '' : 'not '}an agent bot's, expected ${item.fromBot ? '' : 'not '}` +
          `(Intercom ${item.partType} by ${item.fromBot ? 'a bot' : 'no bot'})`,
      );
    }
    if (placement.messageType === 'activity') {
      const suffix = activityTimeSuffix(item.createdAt);
      if (content.includes('\n') || (suffix && !content.endsWith(suffix))) {
        problem(`message ${sourceId} is not one line ending with its original time "${suffix}"`);
      }
      const actor = lettersOf(item.actor ?? '').slice(0, 40);
      if (actor && !lettersOf(content).includes(actor)) {
        problem(`message ${sourceId} does not say who did it (${item.actor})`);
      }
    }
    const stamp =
      options.timestampLine && placement.messageType !== 'activity' ? timeStamp(item.createdAt) : undefined;
    if (stamp && !content.startsWith(stamp)) {
      problem(`message ${sourceId} does not start with its time line "${stamp}"`);
    }
    const external = message.content_attributes?.external_created_at;
    if (external == null || Number(external) !== item.createdAt) {
      problem(`message ${sourceId} has external_created_at ${String(external)}, expected ${item.createdAt}`);
    }
    return message;
  };

  for (const item of items) {
    const id = item.sourceId;
    const own = suffixes.get(id);
    // Pieces of the text: at least what its length needs, and as many as Chatwoot holds.
    const stampLength = options.timestampLine ? (timeStamp(item.createdAt)?.length ?? 0) + 2 : 0;
    const needed = Math.max(1, Math.ceil((item.minLength + stampLength) / limits.messageContent));
    const highestFound = Math.max(
      1,
      ...(item.placement.kind === 'activity' ? [] : (own?.pieces.keys() ?? [])),
    );
    const pieceCount = Math.max(needed, highestFound);
    const pieces: (DumpMessage | undefined)[] = [];
    for (let n = 1; n <= pieceCount; n++) pieces.push(lookUp(n === 1 ? id : `${id}:${n}`, item));

    // Attachments: on the first piece, then 15 a message on `<id>:a2`, `<id>:a3`...
    const spillCount = Math.ceil(item.attachments.length / limits.attachmentsPerMessage);
    const carriers: DumpMessage[] = [];
    if (pieces[0]) carriers.push(pieces[0]);
    for (let n = 2; n <= spillCount; n++) {
      const spill = lookUp(`${id}:a${n}`, item);
      if (spill) carriers.push(spill);
    }
    for (let n = 1; n < pieces.length; n++) {
      const piece = pieces[n];
      if (piece && piece.attachments.length > 0) {
        problem(`message ${piece.source_id} carries attachments; they belong on ${id}`);
      }
    }
    tally.attachmentsExpected += item.attachments.length;
    const uploaded = carriers.flatMap((message) => message.attachments);
    const unused = [...uploaded];
    let matched = 0;
    // Known sizes first, byte for byte; then any file for the ones whose size is not known.
    for (const attachment of item.attachments) {
      if (attachment.size === undefined) continue;
      const index = unused.findIndex((candidate) => candidate.size === attachment.size);
      if (index === -1) continue;
      unused.splice(index, 1);
      matched++;
    }
    const unsized = item.attachments.filter((attachment) => attachment.size === undefined).length;
    matched += Math.min(unsized, unused.length);
    const extra = unused.length - Math.min(unsized, unused.length);
    tally.attachmentsFound += matched;
    if (pieces[0] && matched < item.attachments.length) {
      const inline = item.attachments.filter((attachment) => attachment.inline).length;
      problem(
        `message ${id} lacks ${item.attachments.length - matched} of its ${item.attachments.length} attachments` +
          (inline ? ` (${inline} of the ${item.attachments.length} are images inline in the body)` : ''),
      );
    }
    if (extra > 0) problem(`message ${id} carries ${extra} attachment(s) Intercom does not have`);

    // Nothing that expires: no message of the item holds an inline image's Intercom link.
    for (const message of [...pieces, ...carriers]) {
      const content = message?.content ?? '';
      if ((item.forbidden ?? []).some((fragment) => fragment !== '' && content.includes(fragment))) {
        problem(`message ${message?.source_id} links to an inline image's Intercom link, which expires`);
        break;
      }
    }

    // The text: all of it, in pieces within the limit, cut no earlier than needed.
    if (item.placement.kind !== 'activity' && pieces.every((piece) => piece !== undefined)) {
      const parts = pieces.map((piece) => splitContent(piece?.content ?? '', options.timestampLine));
      const shown = lettersOf(parts.map((part) => part.body).join('\n'));
      const stop = subsequenceMismatch(item.letters, shown);
      if (stop !== undefined) {
        const from = item.letters.slice(stop, stop + 24);
        problem(
          `message ${id} is missing text of its Intercom body (${item.letters.length - stop} of ` +
            `${item.letters.length} letters and digits, from "${from}")`,
        );
      }
      // Markdown escapes ("image\-1", "ann\_smith") do not change what a reader sees.
      const unescaped = (text: string) => text.replace(/\\(.)/g, '$1');
      const read = unescaped(parts.map((part) => part.body).join('\n'));
      for (const name of item.imageNames ?? []) {
        const reference = `[image: ${name} — `;
        const at = read.indexOf(reference);
        if (at === -1) problem(`message ${id} does not name its inline image "${name}"`);
        else if (matched >= item.attachments.length && !read.startsWith(`${reference}attached]`, at)) {
          problem(`message ${id} does not say its inline image "${name}" is attached`);
        }
      }
      if (item.writtenBy) {
        const who = item.writtenBy.email ?? item.writtenBy.name;
        const line = unescaped(parts[0]?.body ?? '').split('\n')[0] ?? '';
        if (!line.startsWith('**From ') || !line.includes(who)) {
          problem(`message ${id} does not start by saying who wrote it (${who || 'another contact'})`);
        }
      }
      for (let n = 0; n + 1 < parts.length; n++) {
        const next = parts[n + 1];
        const room = limits.messageContent - (next.header ? next.header.length + 2 : 0);
        const joined = parts[n].body.length + firstParagraphLength(next.body) + CUT_WHITESPACE_ALLOWANCE;
        if (joined <= room) {
          problem(
            `message ${pieces[n]?.source_id} was cut too early: it and the start of ` +
              `${pieces[n + 1]?.source_id} fit in one message`,
          );
          break;
        }
      }
    }

    if (item.event) {
      lookUp(`${id}:event`, item, activityPlacement(options));
    }
  }

  for (const sourceId of bySourceId.keys()) {
    if (!accounted.has(sourceId)) problem(`unexpected message ${sourceId}`);
  }

  // Posting order: the items in order, each one's pieces, spills and activity note in turn.
  let last = -1;
  let lastId = '';
  for (const sourceId of expectedOrder) {
    const at = position.get(sourceId);
    if (at === undefined) continue;
    if (at < last) {
      problem(`message ${sourceId} comes before ${lastId} in Chatwoot, not after it`);
      break;
    }
    last = at;
    lastId = sourceId;
  }
  return tally;
}

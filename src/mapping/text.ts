/**
 * Text helpers shared by the mapping functions: text Chatwoot's database can store, Chatwoot's length
 * limits, surrogate-safe truncation and splitting, UTC timestamps and a small stable hash. No I/O and
 * no Node-only imports, so these may also run inside Temporal workflow code.
 */

/** Chatwoot 4.10 limits (see DESIGN.md). Lengths are counted in UTF-16 code units, which is never
 * less than Chatwoot's count in characters, so staying under them in JS keeps us under them in Ruby. */
export const CHATWOOT_LIMITS = {
  messageContent: 150_000,
  text: 20_000,
  shortText: 255,
  attachmentsPerMessage: 15,
} as const;

/**
 * A UTF-16 code unit that cannot become text in Chatwoot's database: U+0000, a high surrogate not
 * followed by a low one, or a low surrogate not preceded by a high one. Written by hand (without the
 * `u` flag, so surrogates match as code units) because the tsconfig lib (ES2022) has no
 * String.prototype.toWellFormed, and that would not remove NUL anyway.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the units this looks for.
const UNSTORABLE_UNIT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_UNITS = new RegExp(UNSTORABLE_UNIT.source, 'g');

/**
 * True when Chatwoot (Rails on PostgreSQL) can store `value` as it is: no NUL and no lone surrogate.
 *
 * - PostgreSQL text cannot hold NUL: the pg gem raises "ArgumentError: string contains null byte"
 *   (https://github.com/ged/ruby-pg/issues/198, https://github.com/rails/rails/issues/26891; Chatwoot
 *   hit it with Twilio messages, https://github.com/chatwoot/chatwoot/pull/7901), and jsonb refuses
 *   "\u0000" ("unsupported Unicode escape sequence", https://github.com/jOOQ/jOOQ/issues/13903). Chatwoot
 *   rescues neither, so the request answers 500, which the client retries forever.
 * - A lone surrogate, sent by JSON.stringify as a "\ud83d" escape, is refused by Rails before any
 *   write, with a 400: the json gem raises JSON::ParserError on a lone high one (always when it ends
 *   the string, "incomplete surrogate pair"; anywhere since 2.14, https://github.com/ruby/json/issues/869)
 *   and turns a lone low one into bytes that are not UTF-8 (https://github.com/ruby/json/issues/1069),
 *   which Rails' check_param_encoding refuses. Older json gems silently turn a lone high surrogate
 *   followed by plain text into "?". In multipart bodies Node writes U+FFFD for it itself.
 */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE_UNIT.test(value);
}

/**
 * `value` as Chatwoot can store it: every lone surrogate (half of an emoji cut by a truncation
 * upstream) becomes U+FFFD, the replacement character, and every U+0000 is removed. Everything
 * else, valid surrogate pairs included, is left as it is; so the result is never longer than the
 * input, shorter by exactly its number of NULs.
 */
export function storableText(value: string): string {
  if (isStorableText(value)) return value;
  return value.replace(UNSTORABLE_UNITS, (unit) => (unit === '\u0000' ? '' : '\uFFFD'));
}

/**
 * A copy of a JSON-like value with every string in it, object keys included, made storable by
 * `storableText`. Arrays and plain objects are copied; other values are returned as they are. Two
 * keys that differ only by what is cleaned become one, the later winning.
 */
export function storableJson<T>(value: T): T {
  return storableValue(value) as T;
}

function storableValue(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableValue);
  if (typeof value === 'object' && value !== null) {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [storableText(key), storableValue(entry)]),
    );
  }
  return value;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The largest cut position <= `position` that does not separate a surrogate pair. */
function surrogateSafeCut(value: string, position: number): number {
  if (
    position > 0 &&
    position < value.length &&
    isHighSurrogate(value.charCodeAt(position - 1)) &&
    isLowSurrogate(value.charCodeAt(position))
  ) {
    return position - 1;
  }
  return position;
}

/**
 * Cuts `value` to at most `max` UTF-16 code units, on a grapheme boundary when possible (an emoji
 * with its modifiers, a letter with its accents stay whole), and never inside a surrogate pair.
 */
export function truncateShort(value: string, max: number = CHATWOOT_LIMITS.shortText): string {
  if (value.length <= max) return value;
  if (max <= 0) return '';
  let length = 0;
  for (const { segment } of graphemes.segment(value)) {
    if (length + segment.length > max) break;
    length += segment.length;
  }
  // A single grapheme longer than `max` (long combining sequences): fall back to code points.
  if (length === 0) length = surrogateSafeCut(value, max);
  return value.slice(0, length);
}

function isWhitespace(char: string): boolean {
  return /\s/.test(char);
}

/** Position p in (from, to] such that value[p] starts `separator`, scanning backwards; -1 if none. */
function lastSeparatorBefore(value: string, separator: string, from: number, to: number): number {
  const found = value.lastIndexOf(separator, to);
  return found > from ? found : -1;
}

function lastWhitespaceBefore(value: string, from: number, to: number): number {
  for (let position = Math.min(to, value.length - 1); position > from; position--) {
    if (isWhitespace(value[position])) return position;
  }
  return -1;
}

/** Where the piece starting at `start` should end: a paragraph break, else a line break, else a
 * space in the second half of the window; else any space; else a hard (surrogate-safe) cut. */
function findCut(content: string, start: number, max: number): number {
  const limit = start + max;
  const preferredFrom = start + Math.floor(max / 2);
  const paragraph = lastSeparatorBefore(content, '\n\n', preferredFrom, limit);
  if (paragraph !== -1) return paragraph;
  const line = lastSeparatorBefore(content, '\n', preferredFrom, limit);
  if (line !== -1) return line;
  const word = lastWhitespaceBefore(content, start, limit);
  if (word !== -1) return word;
  return surrogateSafeCut(content, limit);
}

/**
 * Splits a message body into pieces of at most `max` code units, preferring paragraph, then line,
 * then word boundaries, never inside a surrogate pair. The whitespace at each cut is dropped, so
 * the pieces, in order, are exactly the content with only whitespace between them. A body that
 * fits is returned as is (including '').
 */
export function splitMessageBody(content: string, max: number = CHATWOOT_LIMITS.messageContent): string[] {
  if (!Number.isInteger(max) || max < 2) {
    throw new RangeError(`splitMessageBody: max must be an integer >= 2 (a surrogate pair), got ${max}`);
  }
  if (content.length <= max) return [content];
  const pieces: string[] = [];
  let start = 0;
  while (content.length - start > max) {
    const cut = findCut(content, start, max);
    let pieceEnd = cut;
    while (pieceEnd > start && isWhitespace(content[pieceEnd - 1])) pieceEnd--;
    if (pieceEnd > start) pieces.push(content.slice(start, pieceEnd));
    start = cut;
    while (start < content.length && isWhitespace(content[start])) start++;
  }
  if (start < content.length) pieces.push(content.slice(start));
  return pieces;
}

/** ISO-8601 UTC ("2020-09-13T12:26:40.000Z") of a unix time in seconds. */
export function isoUtc(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  if (!Number.isFinite(unixSeconds) || Number.isNaN(date.getTime())) {
    throw new RangeError(`not a valid unix time in seconds: ${unixSeconds}`);
  }
  return date.toISOString();
}

/** Characters that could start Markdown syntax inside a short plain text such as a name. */
const MARKDOWN_SPECIALS = /[\\`*_[\]<>#|~]/g;

/** Plain text (a name, a tag) made literal inside Markdown. */
export function escapeMarkdownText(text: string): string {
  return text.replace(MARKDOWN_SPECIALS, '\\$&');
}

/**
 * The visible line put before each imported message, because Chatwoot cannot store a message's
 * original time and credits outgoing messages to the importing user:
 * "— 2020-09-13 12:26:40 UTC · Ann Smith". Always UTC, whatever the process time zone.
 */
export function formatTimestampLine(unixSeconds: number, authorName?: string | null): string {
  const iso = isoUtc(unixSeconds);
  const stamp = `— ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  const name = truncateShort(
    storableText(authorName ?? '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return name ? `${stamp} · ${escapeMarkdownText(name)}` : stamp;
}

/** FNV-1a (32 bits) of the string's code points, as 8 hex digits: a short, stable, dependency-free
 * hash for deterministic fallback names. Not for security. */
export function stableHash(value: string): string {
  let hash = 0x811c9dc5;
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    for (let shift = 0; shift < 32; shift += 8) {
      hash ^= (codePoint >>> shift) & 0xff;
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Keys Chatwoot reserves for its standard contact and conversation attributes: a custom attribute
 * definition using one of them is refused. */
const RESERVED_ATTRIBUTE_KEYS = new Set([
  'name',
  'email',
  'phone_number',
  'identifier',
  'country_code',
  'city',
  'created_at',
  'last_activity_at',
  'referer',
  'blocked',
  'status',
  'priority',
  'assignee_id',
  'inbox_id',
  'team_id',
  'display_id',
  'campaign_id',
  'labels',
  'browser_language',
]);

/**
 * A safe key for Chatwoot custom attributes: lower-case snake case of letters and digits
 * ("Plan Type", "planType" -> "plan_type"); a name with no letter or digit gets "attr_<hash>";
 * names of Chatwoot's standard attributes get an "intercom_" prefix.
 */
export function customAttributeKey(name: string): string {
  const key = name
    .normalize('NFC')
    .replace(/(\p{Lu}+)(\p{Lu}\p{Ll})/gu, '$1_$2')
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1_$2')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  if (!key) return `attr_${stableHash(name)}`;
  if (RESERVED_ATTRIBUTE_KEYS.has(key)) return `intercom_${key}`;
  return truncateShort(key).replace(/_+$/, '');
}

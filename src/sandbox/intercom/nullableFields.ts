/**
 * The server's half of `nullableFieldRate` (the generator blanks the dataset's fields:
 * ./generator/nullableFields.ts): `cursor_pages` is `nullable: true` in the API description, so the
 * last page of the lists whose `pages` is a cursor_pages (contacts, conversations and their search,
 * help-center collections and articles) answers `pages: null` at that rate. Only the last page: a null
 * `pages` says there is no next one, which on an earlier page would hide the rest of the list.
 */
import { createHash } from 'node:crypto';

const CURSOR_PAGES_LISTS = new Set([
  '/contacts',
  '/conversations',
  '/conversations/search',
  '/help_center/collections',
  '/articles',
]);

/** The same request always gets the same answer: the choice hangs on the request, not on chance. */
function fraction(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

export function blankLastPages(
  body: unknown,
  url: URL,
  requestBody: unknown,
  rate: number | undefined,
): unknown {
  if (!rate || rate <= 0 || !CURSOR_PAGES_LISTS.has(url.pathname)) return body;
  if (!body || typeof body !== 'object' || !('pages' in body)) return body;
  const pages = (body as { pages?: unknown }).pages;
  if (!pages || typeof pages !== 'object') return body;
  const next = (pages as { next?: unknown }).next;
  if (next !== undefined && next !== null) return body;
  if (fraction(`${url.pathname}${url.search}${JSON.stringify(requestBody ?? null)}`) >= rate) return body;
  return { ...body, pages: null };
}

/** Query parameters and cursors shared by the paged lists. */
import { z } from 'zod';
import { invalid } from './http.js';
import { compareIds } from './workspaceFiles.js';

/** Cursor of the keyset-paged lists: (timestamp, id) of the last item, and the next page's number. */
const KeysetCursor = z.tuple([z.number(), z.string(), z.number().int().positive()]);
type Cursor = z.infer<typeof KeysetCursor>;

export function encodeCursor(value: unknown): string {
  // Standard base64 (with '+', '/', '='), as Intercom's cursors are: clients must URL-encode them.
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

export function decodeCursor<T extends z.ZodType>(text: string, schema: T, what: string): z.infer<T> {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(text, 'base64').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Falls through to the API's answer for a cursor it did not issue.
  }
  throw invalid(`${what} is invalid`);
}

export function perPage(url: URL, fallback: number, max: number): number {
  const raw = url.searchParams.get('per_page');
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`per_page must be an integer between 1 and ${max}`);
  }
  return value;
}

export function pageNumber(url: URL): number {
  const raw = url.searchParams.get('page');
  if (raw === null || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw invalid('page must be a positive integer');
  return value;
}

export function flag(url: URL, name: string): boolean {
  return url.searchParams.get(name) === 'true';
}

/** The `pages` object of Intercom's lists; `next` is left out on the last page. */
export function pagesObject(
  page: number,
  size: number,
  total: number,
  next: unknown,
): Record<string, unknown> {
  return {
    type: 'pages',
    page,
    per_page: size,
    total_pages: Math.ceil(total / size),
    ...(next === undefined ? {} : { next }),
  };
}

/**
 * One page of a list paged by a keyset cursor on (timestamp, id), as GET /contacts and
 * GET /conversations page: the cursor is the last item's key, not a position in the list.
 */
export function keysetPage<T extends { id: string }>(
  url: URL,
  items: readonly T[],
  size: number,
  timestamp: (item: T) => number,
  order: 'asc' | 'desc',
): { items: T[]; total: number; pages: Record<string, unknown> } {
  const after = url.searchParams.get('starting_after');
  const cursor: Cursor | undefined = after ? decodeCursor(after, KeysetCursor, 'starting_after') : undefined;
  const sign = order === 'asc' ? 1 : -1;
  const compareKeys = (at: number, id: string, otherAt: number, otherId: string) =>
    sign * (at - otherAt || compareIds(id, otherId));
  const compare = (a: T, b: T) => compareKeys(timestamp(a), a.id, timestamp(b), b.id);
  // The page is the `size` first items past the cursor: picked in one pass, not by sorting the whole
  // list for every page (n log n a page made listing 100,000 conversations quadratic).
  const page: T[] = [];
  let past = 0;
  for (const item of items) {
    if (cursor && compareKeys(timestamp(item), item.id, cursor[0], cursor[1]) <= 0) continue;
    past++;
    if (page.length === size && (size === 0 || compare(item, page[size - 1] as T) >= 0)) continue;
    let low = 0;
    let high = page.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(page[middle] as T, item) <= 0) low = middle + 1;
      else high = middle;
    }
    page.splice(low, 0, item);
    if (page.length > size) page.pop();
  }
  const number = cursor ? cursor[2] : 1;
  const last = page[page.length - 1];
  const more = past > size && last !== undefined;
  const next = more
    ? { page: number + 1, starting_after: encodeCursor([timestamp(last), last.id, number + 1]) }
    : undefined;
  return { items: page, total: items.length, pages: pagesObject(number, size, items.length, next) };
}

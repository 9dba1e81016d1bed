/**
 * Chatwoot's numbered pages (?page=1,2,...), walked the same way by every paged list of the client
 * and its resource files.
 */
import { paginationStalled } from '../httpCore.js';

export interface NumberedPage<T> {
  items: T[];
  page: number;
  /** The answer's count of all items (meta.all_count, meta.count), when it gives one. */
  total?: number;
}

/**
 * The read-ahead of walks read to the end: two requests in flight already fill a 50-a-second budget
 * at 40 ms a page; the third covers a slow page. A real Chatwoot answers a conversation page with
 * several queries (app/finders/conversation_finder.rb: the page, its counts, the messages' preload),
 * so not more than that at once.
 */
export const FULL_WALK_READ_AHEAD = 3;

export interface NumberedPagesOptions {
  /**
   * Pages requested ahead of the one the caller reads, once the first page's total tells how many
   * there are (0: one page at a time). For walks read to the end (the verification, the archive
   * index): one page at a time the walk waits a round trip per page and uses a fraction of the
   * budget the pacer allows; a real Chatwoot's conversation page is one of its slowest answers.
   * Never for walks a caller stops early, as the pages read ahead would be requests wasted.
   */
  readAhead?: number;
}

/**
 * Walks ?page=1,2,... until an empty page or, when the answer gives a total, until that many items
 * were seen (which saves the request for the empty page).
 *
 * With `readAhead`, pages up to the one that should hold the total's last item are requested while
 * earlier ones are read, and still yielded in order: the same requests as a walk one page at a time,
 * except when items are removed while it runs (a page after the first empty one may then have been
 * asked for already; at most `readAhead` requests). A page is only requested once the caller has read
 * the one before the window, so a caller that stops after the first page has caused no other.
 */
export async function* numberedPages<T extends { id: number }>(
  startPage: number,
  fetchPage: (page: number) => Promise<{ items: T[]; total?: number }>,
  label = 'a paged list',
  options: NumberedPagesOptions = {},
): AsyncGenerator<NumberedPage<T>> {
  const readAhead = Math.max(0, Math.floor(options.readAhead ?? 0));
  const requested = new Map<number, Promise<{ items: T[]; total?: number }>>();
  /** The last page worth asking for ahead of time (known from the first page), 0 until then. */
  let lastExpected = 0;
  const fetchAt = (page: number) => {
    const pending = requested.get(page);
    if (pending) {
      requested.delete(page);
      return pending;
    }
    return fetchPage(page);
  };
  const askAhead = (page: number) => {
    for (let next = page + 1; next <= Math.min(lastExpected, page + readAhead); next++) {
      if (requested.has(next)) continue;
      const pending = fetchPage(next);
      // Seen when its page is read; a caller that stops first leaves it unread, not unhandled.
      pending.catch(() => undefined);
      requested.set(next, pending);
    }
  };
  let seen = 0;
  let previousIds = '';
  for (let page = startPage; ; page++) {
    const answer = fetchAt(page);
    askAhead(page);
    const { items, total } = await answer;
    if (items.length === 0) return;
    const ids = items.map((item) => item.id).join(',');
    // A server that ignores ?page= would otherwise be walked forever.
    if (ids === previousIds) throw paginationStalled('chatwoot', label, `page ${page}`);
    previousIds = ids;
    if (page === 1 && readAhead > 0 && total !== undefined) lastExpected = Math.ceil(total / items.length);
    yield { items, page, total };
    seen += items.length;
    if (total !== undefined && startPage === 1 && seen >= total) return;
  }
}

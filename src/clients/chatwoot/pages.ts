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
 * Walks ?page=1,2,... until an empty page or, when the answer gives a total, until that many items
 * were seen (which saves the request for the empty page).
 */
export async function* numberedPages<T extends { id: number }>(
  startPage: number,
  fetchPage: (page: number) => Promise<{ items: T[]; total?: number }>,
  label = 'a paged list',
): AsyncGenerator<NumberedPage<T>> {
  let seen = 0;
  let previousIds = '';
  for (let page = startPage; ; page++) {
    const { items, total } = await fetchPage(page);
    if (items.length === 0) return;
    const ids = items.map((item) => item.id).join(',');
    // A server that ignores ?page= would otherwise be walked forever.
    if (ids === previousIds) throw paginationStalled('chatwoot', label, `page ${page}`);
    previousIds = ids;
    yield { items, page, total };
    seen += items.length;
    if (total !== undefined && startPage === 1 && seen >= total) return;
  }
}

/**
 * The Intercom sandbox's keyset pages (src/sandbox/intercom/pagination.ts) picked in one pass: every
 * page, its cursor and its total are those of the whole list sorted by (timestamp, id) and cut after
 * the cursor, which is how they were computed before, and how Intercom's GET /contacts and
 * GET /conversations page.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keysetPage } from '../src/sandbox/intercom/pagination.js';

interface Item {
  id: string;
  at: number;
}

/** Numeric ids in numeric order, before any other (as Intercom's are compared in the sandbox). */
function byId(a: string, b: string): number {
  const digits = (text: string) => /^\d+$/.test(text);
  if (digits(a) !== digits(b)) return digits(a) ? -1 : 1;
  if (digits(a)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedPage(items: readonly Item[], size: number, order: 'asc' | 'desc', after?: Item) {
  const sign = order === 'asc' ? 1 : -1;
  const sorted = [...items].sort((a, b) => sign * (a.at - b.at || byId(a.id, b.id)));
  const rest = after
    ? sorted.filter(
        (item) =>
          sign * (item.at - after.at) > 0 || (item.at === after.at && sign * byId(item.id, after.id) > 0),
      )
    : sorted;
  return { page: rest.slice(0, size), more: rest.length > size };
}

describe('the Intercom sandbox keyset pages', () => {
  it('walks the list page by page exactly as sorting it whole would', () => {
    const item = fc.record({
      id: fc.oneof(fc.integer({ min: 1, max: 30 }).map(String), fc.constantFrom('a', 'b', 'lead-1')),
      at: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        (items, size, order) => {
          let url = new URL('http://sandbox/contacts');
          let after: Item | undefined;
          for (let pageNumber = 1; pageNumber <= items.length + 2; pageNumber++) {
            const got = keysetPage(url, items, size, (i) => i.at, order);
            const expected = sortedPage(items, size, order, after);
            assert.deepEqual(got.items, expected.page);
            assert.equal(got.total, items.length);
            const next = (got.pages.next as { starting_after?: string } | undefined)?.starting_after;
            assert.equal(next !== undefined, expected.more);
            if (!next) return;
            after = got.items.at(-1);
            url = new URL(`http://sandbox/contacts?starting_after=${encodeURIComponent(next)}`);
          }
          assert.fail('the pages never ended');
        },
      ),
      { numRuns: 500 },
    );
  });
});

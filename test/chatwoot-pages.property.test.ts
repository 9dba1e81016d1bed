/**
 * Chatwoot's numbered pages with read-ahead (src/clients/chatwoot/pages.ts): the pages of a walk read
 * to the end are requested while earlier ones are read, and the walk still yields the same pages in
 * the same order, from the same requests, as one page at a time.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { numberedPages } from '../src/clients/chatwoot/pages.js';
import { HttpFailure } from '../src/clients/httpFailure.js';

interface Item {
  id: number;
}

/**
 * A list of `count` items served `size` a page, the total counted as `reported` (a real Chatwoot's
 * count can disagree with what it lists while records change). Each answer waits for a tick count
 * of its own, so answers come back out of order.
 */
function pagedServer(count: number, size: number, reported: number, delays: number[]) {
  const requested: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const fetchPage = async (page: number) => {
    requested.push(page);
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    const ticks = delays[requested.length % Math.max(1, delays.length)] ?? 0;
    for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    const from = (page - 1) * size;
    const items: Item[] = [];
    for (let id = from + 1; id <= Math.min(count, from + size); id++) items.push({ id });
    return { items, total: reported };
  };
  return { fetchPage, requested, mostInFlight: () => mostInFlight };
}

async function walk(
  server: ReturnType<typeof pagedServer>,
  readAhead: number,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<number[][]> {
  const pages: number[][] = [];
  for await (const page of numberedPages(1, server.fetchPage, 'GET /things', { readAhead })) {
    pages.push(page.items.map((item) => item.id));
    if (pages.length >= stopAfter) break;
  }
  return pages;
}

const listShape = fc.record({
  count: fc.integer({ min: 0, max: 120 }),
  size: fc.integer({ min: 1, max: 25 }),
  drift: fc.integer({ min: -30, max: 30 }),
  delays: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 }),
  readAhead: fc.integer({ min: 1, max: 5 }),
});

describe('Chatwoot numbered pages with read-ahead', () => {
  it('yields the same pages in order from the same requests as a walk one page at a time', async () => {
    await fc.assert(
      fc.asyncProperty(listShape, async ({ count, size, drift, delays, readAhead }) => {
        const reported = Math.max(0, count + drift);
        const serial = pagedServer(count, size, reported, delays);
        const ahead = pagedServer(count, size, reported, delays);
        assert.deepEqual(await walk(ahead, readAhead), await walk(serial, 0));
        const askedAhead = [...ahead.requested].sort((a, b) => a - b);
        const lastSerial = serial.requested.at(-1) ?? 0;
        assert.deepEqual(
          askedAhead.filter((page) => page <= lastSerial),
          serial.requested,
          'every page the walk one at a time asks for, once',
        );
        // Only a total above what the list holds (records removed meanwhile) makes pages past the
        // first empty one worth asking for ahead of time, and then at most readAhead of them.
        const beyond = askedAhead.filter((page) => page > lastSerial);
        if (reported <= count)
          assert.deepEqual(beyond, [], 'no page the walk one at a time would not ask for');
        else assert.ok(beyond.length <= readAhead, `at most ${readAhead} pages past the end`);
        assert.ok(ahead.mostInFlight() <= readAhead + 1, `at most ${readAhead + 1} requests at once`);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps several requests in flight on a long list, and none ahead for a caller that stops', async () => {
    const long = pagedServer(250, 25, 250, [3]);
    const pages = await walk(long, 3);
    assert.equal(pages.length, 10);
    assert.equal(long.mostInFlight(), 4, 'the page read and three ahead');

    const stopped = pagedServer(250, 25, 250, [3]);
    assert.equal((await walk(stopped, 3, 1)).length, 1);
    assert.deepEqual(stopped.requested, [1], 'a caller that stops after the first page caused one request');

    const oneAtATime = pagedServer(250, 25, 250, [3]);
    await walk(oneAtATime, 0);
    assert.equal(oneAtATime.mostInFlight(), 1);
  });

  it('reports a page that failed when the walk reaches it, after the pages before it', async () => {
    const failing = new HttpFailure('Chatwoot answered 500 for GET /things page 3', 'chatwoot', 500, false);
    const read: number[] = [];
    const fetchPage = async (page: number) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (page === 3) throw failing;
      return { items: [{ id: page * 10 }, { id: page * 10 + 1 }], total: 10 };
    };
    await assert.rejects(async () => {
      for await (const page of numberedPages(1, fetchPage, 'GET /things', { readAhead: 3 }))
        read.push(page.page);
    }, failing);
    assert.deepEqual(read, [1, 2]);
  });

  it('still refuses a server that ignores ?page=', async () => {
    const fetchPage = async () => ({ items: [{ id: 1 }, { id: 2 }], total: 6 });
    await assert.rejects(
      async () => {
        for await (const _ of numberedPages(1, fetchPage, 'GET /things', { readAhead: 2 })) {
          // walked until refused
        }
      },
      (error: unknown) => error instanceof HttpFailure && /GET \/things/.test(error.message),
    );
  });
});

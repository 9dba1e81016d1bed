/**
 * The read-back of a bulk batch (bulkActions.ts, readBack): the archive inbox's first page, the pages
 * below it down to the cheapest depth (read at once), then one GET for each conversation deeper than
 * that, so a batch that holds the import's oldest conversation (the longest, started first, ended
 * last) costs a page and a look-up instead of paging the whole inbox. Checked against the Chatwoot
 * sandbox's listing and against a depth found by trying every one.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readBack, readBackDepth } from '../src/activities/import/bulkActions.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { A1, ADMIN_TOKEN as ADMIN, ok } from './helpers/chatwootApi.js';

/**
 * Requests to read down to `depth` with pages 1..deepestRead read: the pages below, and a GET for each
 * conversation on a deeper page, counting one not seen on a page read as on the next.
 */
function requestsAt(depth: number, newestId: number, ids: readonly number[], deepestRead: number): number {
  let deeper = 0;
  for (const id of ids) {
    // Page of the id if every id between it and the newest is in the listing.
    const onPage = Math.ceil((newestId - id + 1) / 25);
    if (Math.max(onPage, deepestRead + 1) > depth) deeper++;
  }
  return depth - deepestRead + deeper;
}

describe('bulk read-back', () => {
  describe('readBackDepth', () => {
    it('reads as deep as costs the fewest requests, pages and look-ups together', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5_000 }),
          fc.uniqueArray(fc.integer({ min: 0, max: 4_999 }), { maxLength: 120 }),
          fc.integer({ min: 1, max: 8 }),
          (newestId, offsets, deepestRead) => {
            const ids = offsets.filter((offset) => offset < newestId).map((offset) => newestId - offset);
            const depth = readBackDepth(newestId, ids, deepestRead);
            assert.ok(depth >= deepestRead);
            const deepest = Math.ceil(newestId / 25) + deepestRead + 1;
            let fewest = Number.POSITIVE_INFINITY;
            for (let d = deepestRead; d <= deepest; d++)
              fewest = Math.min(fewest, requestsAt(d, newestId, ids, deepestRead));
            assert.equal(requestsAt(depth, newestId, ids, deepestRead), fewest);
          },
        ),
      );
    });

    it('looks a lone old conversation up instead of paging down to it', () => {
      const newest = 400;
      const batch = [...Array.from({ length: 30 }, (_, i) => newest - i), 3];
      assert.equal(readBackDepth(newest, batch), 2);
      assert.equal(readBackDepth(newest, [newest - 60, newest - 61, newest - 62, newest - 63]), 3);
      // Three not on the three pages read: pushed onto the fourth by newer conversations.
      assert.equal(readBackDepth(newest, [newest - 10, newest - 30, newest - 74], 3), 4);
      assert.equal(readBackDepth(newest, [newest - 74], 3), 3, 'one alone: looked up');
    });
  });

  describe('against the Chatwoot sandbox', function () {
    this.timeout(60_000);
    let sandbox: ChatwootSandbox;
    let client: ChatwootClient;
    let inboxId: number;
    let ids: number[];
    let contact: number;

    const call = (method: string, path: string, body?: unknown) => ok(sandbox, method, `${A1}${path}`, body);

    beforeEach(async () => {
      sandbox = await startChatwootSandbox({ rackAttackEnabled: false, floodLimitPerMinute: 100_000 });
      client = new ChatwootClient({ baseUrl: sandbox.url, accountId: 1, token: ADMIN });
      inboxId = (await call('POST', '/inboxes', { name: 'Archive', channel: { type: 'api' } })).id;
      contact = (await call('POST', '/contacts', { name: 'Ann', identifier: 'ann' })).payload.contact.id;
      ids = [];
      for (let index = 0; index < 110; index++) {
        ids.push((await call('POST', '/conversations', { inbox_id: inboxId, contact_id: contact })).id);
      }
    });
    afterEach(() => sandbox.close());

    const LIST = 'GET /api/v1/accounts/:account_id/conversations';
    const SHOW = 'GET /api/v1/accounts/:account_id/conversations/:id';
    /** Requests of each route sent while `run` ran. */
    const sentDuring = async <T>(run: () => Promise<T>) => {
      const before = { ...sandbox.stats.byRoute };
      const value = await run();
      const sent: Record<string, number> = {};
      for (const [route, count] of Object.entries(sandbox.stats.byRoute)) {
        if (count !== (before[route] ?? 0)) sent[route] = count - (before[route] ?? 0);
      }
      return { value, sent };
    };

    it('finds the newest on the first page and the oldest with one look-up', async () => {
      const wanted = new Set([...ids.slice(-20), ids[0] as number]);
      const { value, sent } = await sentDuring(() => readBack(client, inboxId, wanted));
      const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
      assert.deepEqual(sorted(value.found.keys()), sorted(wanted));
      assert.equal(value.gone.size, 0);
      assert.deepEqual(sent, { [LIST]: 1, [SHOW]: 1 });
    });

    it('reads the pages a batch spans at once, and tells a conversation no longer there apart', async () => {
      const missing = 99_999;
      const wanted = new Set([...ids.slice(-70), missing]);
      const { value, sent } = await sentDuring(() => readBack(client, inboxId, wanted));
      assert.deepEqual([...value.gone], [missing]);
      assert.equal(value.found.size, 70);
      assert.deepEqual(
        sent,
        { [LIST]: 3, [SHOW]: 1 },
        '70 of the newest: 3 pages; only the missing one looked up',
      );
    });

    it('reads one page more, not a look-up each, when conversations created meanwhile push the batch down', async () => {
      const listPages = client.listConversationPages.bind(client);
      let created = false;
      // Five conversations created while the first page is answered: the batch's last five move a page down.
      client.listConversationPages = async function* (options) {
        for await (const answer of listPages(options)) {
          if (options?.startPage === 1 && !created) {
            created = true;
            for (let i = 0; i < 5; i++)
              await call('POST', '/conversations', { inbox_id: inboxId, contact_id: contact });
          }
          yield answer;
        }
      } as typeof client.listConversationPages;
      const wanted = new Set(ids.slice(-75));
      const { value, sent } = await sentDuring(() => readBack(client, inboxId, wanted));
      assert.equal(value.found.size, 75);
      assert.deepEqual(
        sent,
        { [LIST]: 4, 'POST /api/v1/accounts/:account_id/conversations': 5 },
        'pages 1-3, then page 4 for the five pushed down; no look-up',
      );
    });
  });
});

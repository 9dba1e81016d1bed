/**
 * The order a chunk's conversations start in (importWorkflow's IMPORT_LONGEST_FIRST): the ones with
 * the most parts first, ties in export order; export order without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ActivityDeps } from '../src/activities/deps.js';
import { createImportPlanningActivities } from '../src/activities/import/planning.js';
import { writeChunk } from '../src/activities/manifests.js';
import type { MigrationInput } from '../src/config.js';
import { LocalBlobStore } from '../src/storage/localStore.js';

describe('the order of a chunk’s conversations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'i2c-import-order-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the conversations with the most parts first, ties in export order; export order otherwise', async () => {
    const store = new LocalBlobStore(dir);
    const deps = { store: () => store } as unknown as ActivityDeps;
    const { listChunkConversationIds } = createImportPlanningActivities(deps);
    const input = {} as MigrationInput;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 6 }), { maxLength: 12 }), async (partCounts) => {
        const conversations = partCounts.map((count, index) => ({
          id: `c${index}`,
          conversation_parts: {
            total_count: count,
            conversation_parts: Array.from({ length: count }, (_, part) => ({ id: `p${index}-${part}` })),
          },
        }));
        await writeChunk(store, 'chunk.jsonl', conversations);
        const exportOrder = await listChunkConversationIds({ input }, 'chunk.jsonl');
        assert.deepEqual(
          exportOrder,
          conversations.map((c) => c.id),
        );
        const longestFirst = await listChunkConversationIds({ input }, 'chunk.jsonl', 'longestFirst');
        // The oracle: for each part count from the largest down, that count's ids in export order.
        const expected: string[] = [];
        for (let count = 6; count >= 0; count--) {
          partCounts.forEach((c, index) => {
            if (c === count) expected.push(`c${index}`);
          });
        }
        assert.deepEqual(longestFirst, expected);
      }),
      { numRuns: 40 },
    );
  });
});

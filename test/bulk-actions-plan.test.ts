/**
 * The plan of POST /bulk_actions requests for a batch: applied as BulkActionsJob applies them (labels
 * added, status set), every conversation ends with exactly its labels and status; no request carries
 * more than BULK_IDS_PER_REQUEST ids; never more requests than distinct (status, labels).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BULK_IDS_PER_REQUEST,
  bulkRequests,
  type PendingFinalState,
} from '../src/activities/import/bulkActions.js';

const entries = fc
  .uniqueArray(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 260 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record({
          chatwootId: fc.constant(id),
          status: fc.option(fc.constantFrom('open', 'resolved', 'snoozed' as const), { nil: undefined }),
          labels: fc.uniqueArray(fc.constantFrom('from_intercom', 'billing', 'vip', 'Urgent', 'refund'), {
            maxLength: 4,
          }),
        }),
      ),
    ),
  )
  .map((list) =>
    list.map(
      (entry): PendingFinalState => ({
        ...entry,
        record: {
          updatedAt: 0,
          state: 'open',
          snoozedUntil: null,
          adminAssigneeId: null,
          teamAssigneeId: null,
          labels: [],
        },
      }),
    ),
  );

describe('POST /bulk_actions plan (bulkRequests)', () => {
  it('gives every conversation exactly its labels and status, in few requests of at most 100 ids', () => {
    fc.assert(
      fc.property(entries, (batch) => {
        const requests = bulkRequests(batch);
        const state = new Map(
          batch.map((entry) => [entry.chatwootId, { status: 'pending', labels: new Set<string>() }]),
        );
        for (const request of requests) {
          assert.ok(request.ids.length > 0 && request.ids.length <= BULK_IDS_PER_REQUEST);
          for (const id of request.ids) {
            const conversation = state.get(id);
            assert.ok(conversation, 'only ids of the batch');
            for (const label of request.labels) conversation.labels.add(label);
            if (request.status !== undefined) conversation.status = request.status;
          }
        }
        for (const entry of batch) {
          const conversation = state.get(entry.chatwootId);
          assert.deepEqual([...(conversation?.labels ?? [])].sort(), [...entry.labels].sort());
          assert.equal(conversation?.status, entry.status ?? 'pending');
        }
        const combos = new Set(
          batch.map((entry) => JSON.stringify([entry.status ?? null, [...entry.labels].sort()])),
        );
        const floor = Math.ceil(batch.length / BULK_IDS_PER_REQUEST);
        assert.ok(
          requests.length <= combos.size + floor,
          `${requests.length} requests for ${combos.size} combinations`,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('a varied batch of 100 costs statuses + labels, not combinations', () => {
    const labels = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const batch: PendingFinalState[] = Array.from({ length: 100 }, (_, i) => ({
      chatwootId: i + 1,
      status: i % 3 === 0 ? 'resolved' : 'open',
      labels: ['from_intercom', ...labels.filter((_, bit) => (i >> bit) & 1)],
      record: {
        updatedAt: 0,
        state: 'open',
        snoozedUntil: null,
        adminAssigneeId: null,
        teamAssigneeId: null,
        labels: [],
      },
    }));
    assert.equal(bulkRequests(batch).length, 2 + labels.length);
  });
});

/**
 * The plan of POST /bulk_actions requests for a batch: applied as BulkActionsJob applies them (labels
 * added, status set), every conversation ends with exactly its labels and status; no request carries
 * more than BULK_IDS_PER_REQUEST ids; never more requests than distinct (status, labels). The
 * assignees: one request per agent (sent with its own token) for at most BULK_IDS_PER_REQUEST ids,
 * each conversation assigned exactly its agent; and after a read-back only what Chatwoot does not
 * show yet is sent again.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assigneeRequests,
  BULK_IDS_PER_REQUEST,
  bulkRequests,
  notYetApplied,
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
          assigneeId: fc.option(fc.integer({ min: 2, max: 7 }), { nil: undefined }),
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

  it('assigns every conversation exactly its agent, one request per agent and 100 ids', () => {
    fc.assert(
      fc.property(entries, (batch) => {
        const requests = assigneeRequests(batch);
        const assigned = new Map<number, number>();
        for (const request of requests) {
          assert.ok(request.ids.length > 0 && request.ids.length <= BULK_IDS_PER_REQUEST);
          for (const id of request.ids) {
            assert.ok(!assigned.has(id), `${id} assigned once`);
            assigned.set(id, request.assigneeId);
          }
        }
        for (const entry of batch) assert.equal(assigned.get(entry.chatwootId), entry.assigneeId);
        assert.equal(assigned.size, batch.filter((entry) => entry.assigneeId !== undefined).length);
        let floor = 0;
        for (const agent of new Set(batch.map((entry) => entry.assigneeId))) {
          if (agent === undefined) continue;
          const count = batch.filter((entry) => entry.assigneeId === agent).length;
          floor += Math.ceil(count / BULK_IDS_PER_REQUEST);
        }
        assert.equal(requests.length, floor);
      }),
      { numRuns: 200 },
    );
  });

  it('sends again only what the read-back does not show', () => {
    const pending: PendingFinalState = {
      chatwootId: 7,
      status: 'resolved',
      labels: ['from_intercom', 'Billing'],
      assigneeId: 3,
      record: {
        updatedAt: 0,
        state: 'closed',
        snoozedUntil: null,
        adminAssigneeId: '9',
        teamAssigneeId: null,
        labels: [],
      },
    };
    // Labels compare without case; the assignee is meta.assignee.id.
    const everything = {
      status: 'resolved',
      labels: ['billing', 'from_intercom'],
      meta: { assignee: { id: 3 } },
    };
    assert.equal(notYetApplied(everything, pending), undefined);
    assert.deepEqual(notYetApplied({ ...everything, meta: { assignee: null } }, pending), {
      chatwootId: 7,
      labels: [],
      assigneeId: 3,
      record: pending.record,
    });
    assert.deepEqual(notYetApplied({ ...everything, meta: { assignee: { id: 4 } } }, pending)?.assigneeId, 3);
    assert.deepEqual(notYetApplied({ status: 'pending', labels: ['from_intercom'], meta: {} }, pending), {
      chatwootId: 7,
      status: 'resolved',
      labels: ['Billing'],
      assigneeId: 3,
      record: pending.record,
    });
    // Nothing about the assignee when none waits (an agent without a token was assigned per conversation).
    const { assigneeId: _, ...withoutAssignee } = pending;
    assert.equal(notYetApplied({ ...everything, meta: { assignee: { id: 4 } } }, withoutAssignee), undefined);
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

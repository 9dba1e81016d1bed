/**
 * The verification's comparison of a conversation's final status, labels and assignee (pure): what
 * counts as Intercom's state in Chatwoot, and what does not.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  expectedFinalState,
  finalStateMismatch,
  finalStatesMarkdown,
  labelTitlesByTag,
} from '../src/activities/verification/finalStates.js';

const tags = (...names: string[]) => ({ tags: names.map((name, i) => ({ id: String(i + 1), name })) });
const NOW = 1_800_000_000;

describe('final states against Intercom', () => {
  const titles = labelTitlesByTag({
    labels: [
      { title: 'billing', tags: ['billing'] },
      { title: 'needs-reply', tags: ['Needs reply', 'needs-reply'] },
      { title: 'vip-customer', tags: ['VIP customer'] },
    ],
  });

  it('expects the status of the state and the planned label of each tag, plus from_intercom', () => {
    assert.deepEqual(
      expectedFinalState({ state: 'closed', tags: tags('Needs reply', 'needs-reply') }, titles),
      {
        status: 'resolved',
        labels: ['from_intercom', 'needs-reply'],
      },
    );
    assert.deepEqual(expectedFinalState({ state: 'open', tags: null }, titles), {
      status: 'open',
      labels: ['from_intercom'],
    });
    assert.deepEqual(
      expectedFinalState({ state: 'snoozed', snoozed_until: NOW + 60, tags: tags('VIP customer') }, titles),
      { status: 'snoozed', snoozedUntil: NOW + 60, labels: ['from_intercom', 'vip-customer'] },
    );
    // A tag the plan does not know still gets a valid title, never its raw name.
    assert.deepEqual(expectedFinalState({ state: 'open', tags: tags('Gone Tag') }, titles).labels, [
      'from_intercom',
      'gone-tag',
    ]);
  });

  it('takes pending as the final status never applied, and a snooze that ended as open', () => {
    const closed = expectedFinalState({ state: 'closed', tags: tags('billing') }, titles);
    assert.deepEqual(
      finalStateMismatch(
        'c1',
        closed,
        { id: 7, status: 'pending', labels: ['billing', 'from_intercom'] },
        NOW,
      ),
      {
        conversationId: 'c1',
        chatwootId: 7,
        status: { expected: 'resolved', found: 'pending' },
        missingLabels: [],
      },
    );
    const ended = expectedFinalState({ state: 'snoozed', snoozed_until: NOW - 1, tags: null }, titles);
    assert.equal(
      finalStateMismatch('c2', ended, { id: 8, status: 'open', labels: ['from_intercom'] }, NOW),
      undefined,
    );
    const running = expectedFinalState({ state: 'snoozed', snoozed_until: NOW + 1, tags: null }, titles);
    assert.deepEqual(
      finalStateMismatch('c3', running, { id: 9, status: 'open', labels: ['from_intercom'] }, NOW)?.status,
      {
        expected: 'snoozed',
        found: 'open',
      },
    );
  });

  it('expects the agent matched to Intercom’s admin assignee, and nothing for no one or an unmatched admin', () => {
    const agents = { '901': 3, '902': 5 };
    const expected = expectedFinalState(
      { state: 'open', tags: null, admin_assignee_id: '901' },
      titles,
      agents,
    );
    assert.equal(expected.assigneeId, 3);
    const shown = { id: 4, status: 'open', labels: ['from_intercom'] };
    assert.equal(
      finalStateMismatch('c', expected, { ...shown, meta: { assignee: { id: 3 } } }, NOW),
      undefined,
    );
    assert.deepEqual(finalStateMismatch('c', expected, { ...shown, meta: { assignee: null } }, NOW), {
      conversationId: 'c',
      chatwootId: 4,
      missingLabels: [],
      assignee: { expected: 3, found: null },
    });
    assert.deepEqual(
      finalStateMismatch('c', expected, { ...shown, meta: { assignee: { id: 5 } } }, NOW)?.assignee,
      { expected: 3, found: 5 },
    );
    // No one in Intercom, or an admin with no Chatwoot agent: whoever Chatwoot shows is no mismatch.
    for (const admin of [null, '999']) {
      const none = expectedFinalState(
        { state: 'open', tags: null, admin_assignee_id: admin },
        titles,
        agents,
      );
      assert.equal(none.assigneeId, undefined);
      assert.equal(
        finalStateMismatch('c', none, { ...shown, meta: { assignee: { id: 5 } } }, NOW),
        undefined,
      );
    }
  });

  it('finds exactly the expected labels missing, whatever their case and whatever else is there', () => {
    const label = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{1,8}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(label, { minLength: 1, maxLength: 6 }),
        fc.array(label, { maxLength: 3 }),
        fc.nat(),
        fc.boolean(),
        (wanted, extra, pick, upper) => {
          const expected = {
            status: 'open' as const,
            labels: [...new Set([...wanted, 'from_intercom'])].sort(),
          };
          const shown = expected.labels.map((l) => (upper ? l.toUpperCase() : l));
          const all = finalStateMismatch(
            'c',
            expected,
            { id: 1, status: 'open', labels: [...shown, ...extra] },
            NOW,
          );
          assert.equal(all, undefined);
          const dropped = expected.labels[pick % expected.labels.length];
          const without = shown.filter((l) => l.toLowerCase() !== dropped);
          // The other labels stay: one of them may be the dropped label itself, which then is not missing.
          const lacking = finalStateMismatch(
            'c',
            expected,
            { id: 1, status: 'open', labels: [...without, ...extra] },
            NOW,
          );
          assert.deepEqual(lacking?.missingLabels, extra.includes(dropped) ? undefined : [dropped]);
        },
      ),
    );
  });

  it('lists mismatches in the report, and nothing when there are none', () => {
    assert.deepEqual(finalStatesMarkdown([]), []);
    const lines = finalStatesMarkdown([
      {
        conversationId: '42',
        chatwootId: 3,
        status: { expected: 'resolved', found: 'pending' },
        missingLabels: ['vip'],
      },
      { conversationId: '43', chatwootId: 4, missingLabels: [], assignee: { expected: 3, found: null } },
    ]);
    assert.ok(
      lines[0].startsWith("## Conversations whose status, labels or assignee differ from Intercom's (2)"),
    );
    assert.ok(lines.includes('- 42 (Chatwoot #3): status pending, expected resolved; labels missing: vip'));
    assert.ok(lines.includes('- 43 (Chatwoot #4): assignee none, expected #3'));
  });
});

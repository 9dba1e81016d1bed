/**
 * The delta sync's decision on a conversation already in Chatwoot (src/mapping/syncMerge.ts): what
 * agents did in Chatwoot stays unless Intercom changed the same thing since the last sync, and every
 * write that would change nothing is left out. The expectations are stated field by field here, with
 * set arithmetic of their own, not by calling the merge again.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type ChatwootConversationState,
  createdWithBaseline,
  decideSync,
  mergeLabels,
  type SyncedIntercomState,
  type SyncWrites,
} from '../src/mapping/syncMerge.js';

const MARKER = 'from_intercom';
const label = fc.constantFrom<string>('billing', 'vip', 'bug', 'refund', 'urgent', 'sales', MARKER);
const labels = fc.uniqueArray(label, { maxLength: 6 });
const intercomLabels = labels.map((list) => [...new Set([...list, MARKER])].sort());
const adminId = fc.option(fc.constantFrom('a1', 'a2', 'a3', 'unmatched'), { nil: null });
const teamId = fc.option(fc.constantFrom('t1', 't2', 'unmatched'), { nil: null });
const intercomState = fc.constantFrom('open', 'closed', 'snoozed');
const snooze = fc.option(fc.constantFrom(1_900_000_000, 1_900_003_600), { nil: null });

const AGENTS: Record<string, number> = { a1: 11, a2: 12, a3: 13 };
const TEAMS: Record<string, number> = { t1: 21, t2: 22 };
const agentOf = (id: string) => AGENTS[id];
const teamOf = (id: string) => TEAMS[id];
const STATUS: Record<string, string> = { open: 'open', closed: 'resolved', snoozed: 'snoozed' };

const synced = fc.record({
  updatedAt: fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }),
  state: intercomState,
  snoozedUntil: snooze,
  adminAssigneeId: adminId,
  teamAssigneeId: teamId,
  labels: intercomLabels,
});
const chatwootSide = fc.record({
  status: fc.constantFrom('open', 'resolved', 'snoozed'),
  snoozedUntil: snooze,
  assigneeId: fc.option(fc.constantFrom(11, 12, 13, 14), { nil: null }),
  teamId: fc.option(fc.constantFrom(21, 22), { nil: null }),
  labels,
});

const set = (list: readonly string[]) => new Set(list);
const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
const chatwootId = (id: string | null, table: Record<string, number>) =>
  id === null ? null : (table[id] ?? null);

/** Chatwoot after the writes, as the API would leave it (team membership aside). */
function applied(before: ChatwootConversationState, writes: SyncWrites): ChatwootConversationState {
  const after = { ...before, labels: writes.labels ?? before.labels };
  if (writes.teamId !== undefined) after.teamId = writes.teamId;
  if (writes.assigneeId !== undefined) after.assigneeId = writes.assigneeId;
  if (writes.status) {
    after.status = writes.status.status;
    after.snoozedUntil = writes.status.status === 'snoozed' ? (writes.status.snoozedUntil ?? null) : null;
  }
  return after;
}

describe('delta sync merge (syncMerge)', () => {
  it('labels: agents’ additions stay, Intercom’s additions and removals since the record apply, from_intercom stays', () => {
    fc.assert(
      fc.property(labels, intercomLabels, intercomLabels, (current, recorded, now) => {
        const result = mergeLabels(current, now, recorded);
        const removedByIntercom = minus(recorded, now).filter((l) => l !== MARKER);
        for (const l of minus(current, removedByIntercom)) assert.ok(result.includes(l), `kept ${l}`);
        for (const l of minus(now, recorded)) assert.ok(result.includes(l), `added ${l}`);
        for (const l of removedByIntercom) assert.ok(!result.includes(l), `removed ${l}`);
        assert.ok(result.includes(MARKER));
        for (const l of result) assert.ok(current.includes(l) || now.includes(l) || l === MARKER);
        assert.equal(result.length, set(result).size, 'no duplicates');
      }),
    );
  });

  it('labels without a record: the union of Chatwoot’s and Intercom’s', () => {
    fc.assert(
      fc.property(labels, intercomLabels, (current, now) => {
        assert.deepEqual(set(mergeLabels(current, now, 'union')), set([...current, ...now, MARKER]));
        assert.deepEqual(set(mergeLabels(current, now, 'keep')), set([...current, MARKER]));
      }),
    );
  });

  it('status, assignee and team: Intercom’s value only when Intercom changed it since the record', () => {
    fc.assert(
      fc.property(synced, synced, chatwootSide, (recorded, now, chatwoot) => {
        fc.pre(now.updatedAt >= recorded.updatedAt);
        const writes = decideSync({
          intercom: now,
          baseline: { kind: 'record', state: recorded },
          chatwoot,
          postedIncoming: false,
          agentOf,
          teamOf,
        });
        assert.equal(writes.recordSnapshot, true);
        const wantedTeam = chatwootId(now.teamAssigneeId, TEAMS);
        if (now.teamAssigneeId === recorded.teamAssigneeId) assert.equal(writes.teamId, undefined);
        else assert.equal(writes.teamId, wantedTeam === chatwoot.teamId ? undefined : wantedTeam);
        const wantedAgent = chatwootId(now.adminAssigneeId, AGENTS);
        if (now.adminAssigneeId !== recorded.adminAssigneeId && wantedAgent !== chatwoot.assigneeId) {
          assert.equal(writes.assigneeId, wantedAgent);
        } else if (writes.teamId !== undefined && chatwoot.assigneeId !== null) {
          // A team change may drop the agent: the one Chatwoot had is put back.
          assert.equal(writes.assigneeId, chatwoot.assigneeId);
        } else assert.equal(writes.assigneeId, undefined);
        const statusOf = (s: SyncedIntercomState) =>
          s.state === 'snoozed' ? `snoozed@${s.snoozedUntil}` : STATUS[s.state];
        const chatwootStatus =
          chatwoot.status === 'snoozed' ? `snoozed@${chatwoot.snoozedUntil}` : chatwoot.status;
        if (statusOf(now) === statusOf(recorded) || statusOf(now) === chatwootStatus) {
          assert.equal(writes.status, undefined);
        } else {
          assert.equal(writes.status?.status, STATUS[now.state]);
          if (now.state === 'snoozed') assert.equal(writes.status?.snoozedUntil ?? null, now.snoozedUntil);
        }
      }),
    );
  });

  it('converges: synced again with nothing new, it writes nothing', () => {
    fc.assert(
      fc.property(synced, synced, chatwootSide, fc.boolean(), (recorded, now, chatwoot, recordedBefore) => {
        fc.pre(now.updatedAt >= recorded.updatedAt);
        const first = decideSync({
          intercom: now,
          baseline: recordedBefore ? { kind: 'record', state: recorded } : { kind: 'unfinished' },
          chatwoot,
          postedIncoming: false,
          agentOf,
          teamOf,
        });
        const again = decideSync({
          intercom: now,
          baseline: { kind: 'record', state: now },
          chatwoot: applied(chatwoot, first),
          postedIncoming: false,
          agentOf,
          teamOf,
        });
        assert.deepEqual(again, { recordSnapshot: true });
      }),
    );
  });

  it('customer messages posted by the sync: Chatwoot ends with Intercom’s new status, else open if Intercom is open, else its own', () => {
    fc.assert(
      fc.property(synced, synced, chatwootSide, (recorded, now, chatwoot) => {
        fc.pre(now.updatedAt >= recorded.updatedAt);
        const writes = decideSync({
          intercom: now,
          baseline: { kind: 'record', state: recorded },
          chatwoot,
          postedIncoming: true,
          agentOf,
          teamOf,
        });
        // Message#reopen_conversation, stated apart.
        const afterMessages =
          chatwoot.status === 'resolved' || chatwoot.status === 'snoozed'
            ? { ...chatwoot, status: 'open', snoozedUntil: null }
            : chatwoot;
        const final = applied(afterMessages, writes);
        const key = (status: string, until: number | null) =>
          status === 'snoozed' ? `${status}@${until}` : status;
        const intercomKey = (s: SyncedIntercomState) => key(STATUS[s.state] as string, s.snoozedUntil);
        if (intercomKey(now) !== intercomKey(recorded)) {
          assert.equal(key(final.status, final.snoozedUntil), intercomKey(now));
        } else if (now.state === 'open') {
          assert.equal(final.status, afterMessages.status);
        } else {
          assert.equal(key(final.status, final.snoozedUntil), key(chatwoot.status, chatwoot.snoozedUntil));
        }
      }),
    );
  });

  it('an older snapshot than the record changes nothing and is not recorded', () => {
    fc.assert(
      fc.property(synced, synced, chatwootSide, (recorded, now, chatwoot) => {
        fc.pre(now.updatedAt < recorded.updatedAt);
        const writes = decideSync({
          intercom: now,
          baseline: { kind: 'record', state: recorded },
          chatwoot: { ...chatwoot, labels: [...new Set([...chatwoot.labels, MARKER])] },
          postedIncoming: false,
          agentOf,
          teamOf,
        });
        assert.deepEqual(writes, { recordSnapshot: false });
      }),
    );
  });

  it('an unfinished first import gets every Intercom value it can map, and never unassigns', () => {
    fc.assert(
      fc.property(synced, chatwootSide, (now, chatwoot) => {
        const writes = decideSync({
          intercom: now,
          baseline: { kind: 'unfinished' },
          chatwoot: { ...chatwoot, status: 'pending' },
          postedIncoming: true,
          agentOf,
          teamOf,
        });
        assert.equal(writes.status?.status, STATUS[now.state]);
        const wantedAgent = chatwootId(now.adminAssigneeId, AGENTS);
        assert.equal(
          writes.assigneeId,
          wantedAgent === null || wantedAgent === chatwoot.assigneeId ? undefined : wantedAgent,
        );
        const wantedTeam = chatwootId(now.teamAssigneeId, TEAMS);
        assert.equal(
          writes.teamId,
          wantedTeam === null || wantedTeam === chatwoot.teamId ? undefined : wantedTeam,
        );
        assert.deepEqual(set(writes.labels ?? chatwoot.labels), set([...chatwoot.labels, ...now.labels]));
      }),
    );
  });

  it('a conversation reopened by the customer messages posted stays open only when Intercom has it open', () => {
    const recorded: SyncedIntercomState = {
      updatedAt: 1_700_000_000,
      state: 'closed',
      snoozedUntil: null,
      adminAssigneeId: 'a1',
      teamAssigneeId: null,
      labels: [MARKER],
    };
    const chatwoot = {
      status: 'snoozed',
      snoozedUntil: 1_900_000_000,
      assigneeId: 11,
      teamId: null,
      labels: [MARKER],
    };
    const decide = (postedIncoming: boolean, state = 'closed') =>
      decideSync({
        intercom: { ...recorded, state, updatedAt: 1_700_000_050 },
        baseline: { kind: 'record', state: recorded },
        chatwoot,
        postedIncoming,
        agentOf,
        teamOf,
      }).status;
    // An agent snoozed it in Chatwoot; the customer wrote in Intercom, which was closed again since.
    assert.deepEqual(decide(true), { status: 'snoozed', snoozedUntil: 1_900_000_000 });
    assert.equal(decide(false), undefined);
    // Intercom reopened it: so did the customer's message in Chatwoot, nothing more to write.
    assert.equal(decide(true, 'open'), undefined);
    assert.deepEqual(decide(false, 'open'), { status: 'open' });
    // Open in Intercom all along, resolved by an agent in Chatwoot: the customer's new message reopens it.
    const stillOpen = { ...recorded, state: 'open' };
    const reopenedByCustomer = decideSync({
      intercom: { ...stillOpen, updatedAt: 1_700_000_050 },
      baseline: { kind: 'record', state: stillOpen },
      chatwoot: { ...chatwoot, status: 'resolved', snoozedUntil: null },
      postedIncoming: true,
      agentOf,
      teamOf,
    });
    assert.equal(reopenedByCustomer.status, undefined);
  });

  it('the agent’s label and status stay while Intercom’s tag removal and new assignee apply', () => {
    const recorded: SyncedIntercomState = {
      updatedAt: 1_700_000_000,
      state: 'open',
      snoozedUntil: null,
      adminAssigneeId: 'a1',
      teamAssigneeId: 't1',
      labels: ['billing', MARKER, 'refund'],
    };
    const writes = decideSync({
      intercom: { ...recorded, updatedAt: 1_700_000_500, adminAssigneeId: 'a2', labels: ['billing', MARKER] },
      baseline: { kind: 'record', state: recorded },
      chatwoot: {
        status: 'resolved',
        snoozedUntil: null,
        assigneeId: 11,
        teamId: 21,
        labels: ['billing', MARKER, 'refund', 'vip'],
      },
      postedIncoming: false,
      agentOf,
      teamOf,
    });
    assert.deepEqual(writes, { recordSnapshot: true, labels: ['billing', MARKER, 'vip'], assigneeId: 12 });
  });

  it('without a record, what the conversation was created with is the baseline; pending means unfinished', () => {
    const attributes = {
      intercom_state: 'snoozed',
      intercom_snoozed_until: '2030-03-17T17:46:40Z',
      intercom_admin_assignee_id: 'a1',
    };
    assert.deepEqual(createdWithBaseline('resolved', attributes), {
      kind: 'created-with',
      state: { state: 'snoozed', snoozedUntil: 1_900_000_000, adminAssigneeId: 'a1', teamAssigneeId: null },
    });
    assert.deepEqual(createdWithBaseline('pending', attributes), { kind: 'unfinished' });
    assert.deepEqual(createdWithBaseline('open', {}), { kind: 'unfinished' });
    // Intercom still as created: the agent's resolved and reassignment stay.
    const writes = decideSync({
      intercom: {
        updatedAt: 1,
        state: 'snoozed',
        snoozedUntil: 1_900_000_000,
        adminAssigneeId: 'a1',
        teamAssigneeId: null,
        labels: [MARKER],
      },
      baseline: createdWithBaseline('resolved', attributes),
      chatwoot: { status: 'resolved', snoozedUntil: null, assigneeId: 13, teamId: null, labels: ['vip'] },
      postedIncoming: false,
      agentOf,
      teamOf,
    });
    assert.deepEqual(writes, { recordSnapshot: true, labels: ['vip', MARKER] });
  });
});

/**
 * The input's filters (src/mapping/filters.ts): the verdict against an oracle written here from the
 * README's rules (not from the module), the parse errors an operator sees, and the search query the
 * delta narrows with, run through the Intercom sandbox's query compiler as Intercom would run it.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMigrationInput } from '../src/config.js';
import {
  contactVerdict,
  conversationVerdict,
  intercomSearchQuery,
  type MigrationFilters,
  parseFilters,
  updatedSinceMillis,
} from '../src/mapping/filters.js';

const STATES = ['open', 'closed', 'snoozed'] as const;

/** A date-time the way an operator writes it, and the instant it names (via Date, not the module). */
const instant = fc.integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2035, 0, 1) });

const tagNames = fc.constantFrom('Spam', 'spam', 'SPAM', 'VIP', 'billing', 'Billing ', 'Ünïcode', 'ünïcode');

const conversation = fc.record({
  updated_at: fc.integer({ min: Date.UTC(2010, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 }),
  state: fc.constantFrom(...STATES),
  tags: fc.record({ tags: fc.array(fc.record({ name: tagNames }), { maxLength: 3 }) }),
});

const filters = fc.record({
  conversations: fc.record(
    {
      updatedSince: instant.map((ms) => new Date(ms).toISOString()),
      states: fc.subarray([...STATES], { minLength: 1 }),
      excludeTags: fc.array(tagNames, { maxLength: 2 }),
    },
    { requiredKeys: ['excludeTags'] },
  ),
  contacts: fc.constantFrom('all' as const, 'referenced' as const),
}) as fc.Arbitrary<MigrationFilters>;

type Sample = { updated_at: number; state: string; tags: { tags: { name: string }[] } };

/** The rules as the README states them, in the stated order of reasons. */
function oracle(f: MigrationFilters, c: Sample) {
  const since = f.conversations.updatedSince ? new Date(f.conversations.updatedSince).getTime() : undefined;
  if (since !== undefined && c.updated_at * 1000 < since) return 'updated-before';
  if (f.conversations.states && !(f.conversations.states as string[]).includes(c.state)) return 'state';
  const lower = (s: string) => s.trim().toLocaleLowerCase('und');
  if (c.tags.tags.some((t) => f.conversations.excludeTags.some((x) => lower(x) === lower(t.name))))
    return 'excluded-tag';
  return 'kept';
}

describe('filters (mapping/filters.ts)', () => {
  it('keeps a conversation exactly when the README rules do, with the first failing rule as reason', () => {
    fc.assert(
      fc.property(filters, conversation, (f, c) => {
        const verdict = conversationVerdict(f, c);
        assert.equal(verdict.kept ? 'kept' : verdict.reason, oracle(f, c));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps everything without filters, and without any conversation filter set', () => {
    fc.assert(
      fc.property(conversation, (c) => {
        assert.deepEqual(conversationVerdict(undefined, c), { kept: true });
        const parsed = parseFilters({});
        assert.ok(parsed.ok);
        assert.deepEqual(conversationVerdict(parsed.filters, c), { kept: true });
      }),
    );
  });

  it('matches tags case-insensitively, as Intercom tag names are', () => {
    const f = parseFilters({ conversations: { excludeTags: ['Spam'] } });
    assert.ok(f.ok);
    const tagged = (name: string) => ({ updated_at: 1, state: 'open', tags: { tags: [{ name }] } });
    assert.deepEqual(conversationVerdict(f.filters, tagged('SPAM')), { kept: false, reason: 'excluded-tag' });
    assert.deepEqual(conversationVerdict(f.filters, tagged(' spam ')), {
      kept: false,
      reason: 'excluded-tag',
    });
    assert.deepEqual(conversationVerdict(f.filters, tagged('spammy')), { kept: true });
  });

  it('keeps a conversation updated exactly at updatedSince, and leaves out the second before', () => {
    const f = parseFilters({ conversations: { updatedSince: '2025-03-01T10:00:00+01:00' } });
    assert.ok(f.ok);
    const at = Date.UTC(2025, 2, 1, 9) / 1000;
    const c = (updated_at: number) => ({ updated_at, state: 'open', tags: { tags: [] } });
    assert.deepEqual(conversationVerdict(f.filters, c(at)), { kept: true });
    assert.deepEqual(conversationVerdict(f.filters, c(at - 1)), { kept: false, reason: 'updated-before' });
  });

  it('reads an ISO date as midnight UTC and a date-time with its zone, as Date does', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -14 * 60, max: 14 * 60 }), (ms, offsetMin) => {
        const day = new Date(ms).toISOString().slice(0, 10);
        assert.equal(updatedSinceMillis(day), Date.parse(`${day}T00:00:00Z`));
        const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
        const sign = offsetMin < 0 ? '-' : '+';
        const abs = Math.abs(offsetMin);
        const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        assert.equal(updatedSinceMillis(`${local}${zone}`), Date.parse(`${local}${zone}`));
      }),
    );
  });

  it('contacts: all keeps every contact; referenced keeps only the referenced ones', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 8 }), fc.string(), (ids, id) => {
        const referenced = new Set(ids);
        const all = parseFilters({ contacts: 'all' });
        const only = parseFilters({ contacts: 'referenced' });
        assert.ok(all.ok && only.ok);
        assert.equal(contactVerdict(all.filters, id, referenced).kept, true);
        assert.equal(contactVerdict(only.filters, id, referenced).kept, referenced.has(id));
      }),
    );
  });
});

describe('filters in the migration input: errors name the field', () => {
  const base = { account: 1, chatwoot: { baseUrl: 'http://localhost:3000' } };
  const problems = (filtersInput: unknown) => {
    const result = parseMigrationInput({ ...base, filters: filtersInput });
    assert.equal(result.ok, false, `accepted ${JSON.stringify(filtersInput)}`);
    return (result as { problems: string }).problems;
  };

  for (const bad of [
    'yesterday',
    '2025-02-30',
    '2025-13-01',
    '2025-01-01T10:00:00',
    '01/02/2025',
    '2025-01-01T25:00:00Z',
  ]) {
    it(`refuses updatedSince ${JSON.stringify(bad)}`, () => {
      const text = problems({ conversations: { updatedSince: bad } });
      assert.match(text, /^filters\.conversations\.updatedSince: not a date/);
      assert.match(text, /ISO date/);
    });
  }

  it('refuses an unknown state, naming it and the allowed values', () => {
    const text = problems({ conversations: { states: ['open', 'pending'] } });
    assert.match(
      text,
      /^filters\.conversations\.states\.1: unknown state "pending"; allowed values: open, closed, snoozed$/,
    );
  });

  it('refuses an unknown contacts scope and unknown keys', () => {
    assert.match(problems({ contacts: 'some' }), /^filters\.contacts: allowed values: all, referenced$/);
    assert.match(problems({ conversations: { updatedAfter: '2025-01-01' } }), /filters\.conversations/);
  });

  it('defaults to everything: contacts all, no conversation filter', () => {
    const result = parseMigrationInput(base);
    assert.ok(result.ok);
    assert.deepEqual(result.input.filters, { conversations: { excludeTags: [] }, contacts: 'all' });
  });
});

describe('the search query the delta narrows with', () => {
  it('only ever narrows: every conversation the verdict keeps matches the query (sandbox compiler)', async () => {
    const { searchConversations } = await import('../src/sandbox/intercom/search.js');
    fc.assert(
      fc.property(filters, fc.array(conversation, { minLength: 1, maxLength: 20 }), (f, items) => {
        const query = intercomSearchQuery(f);
        if (!query) return;
        const withIds = items.map((c, i) => ({ ...c, id: String(i + 1) }));
        const reply = searchConversations(
          { all: () => withIds as never, wire: (c) => ({ id: (c as { id: string }).id }) },
          { query, pagination: { per_page: 150 } },
        ) as { body: { conversations: { id: string }[] } };
        const matched = new Set(reply.body.conversations.map((c) => c.id));
        for (const c of withIds) {
          if (conversationVerdict(f, c).kept)
            assert.ok(matched.has(c.id), `kept ${JSON.stringify(c)} not matched`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The Chatwoot sandbox's indexed look-ups (src/sandbox/chatwoot/lookup.ts) answer exactly as the scans
 * they replace (`Array.prototype.find`), whatever the sandbox does to the arrays between look-ups
 * (appends, removals by splice, a replaced array; it never sorts or reverses a table in place).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AppendIndex, ChangingKeyIndex, findByAscendingKey } from '../src/sandbox/chatwoot/lookup.js';

interface Row {
  id: number;
  key: string;
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const) }),
  fc.record({ kind: fc.constant('find' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
);

describe('the Chatwoot sandbox look-ups', () => {
  it('finds by ascending key exactly what find does, sorted or not, and nothing for null', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 40 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 210 }), { nil: null }),
        (ids, sorted, wanted) => {
          const rows = (sorted ? [...ids].sort((a, b) => a - b) : ids).map((id) => ({ id, key: `${id}` }));
          const expected = wanted === null ? undefined : rows.find((row) => row.id === wanted);
          assert.equal(
            findByAscendingKey(rows, (row) => row.id, wanted),
            expected,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('sees a record removed and another appended between two look-ups (same length as before)', () => {
    const index = new AppendIndex<Row>((row) => row.key);
    const rows: Row[] = [
      { id: 1, key: 'a' },
      { id: 2, key: 'b' },
    ];
    assert.equal(index.find(rows, 'a'), rows[0]);
    rows.splice(0, 1);
    rows.push({ id: 3, key: 'c' });
    assert.equal(index.find(rows, 'a'), undefined);
    assert.equal(index.find(rows, 'c'), rows[1]);
  });

  it('keeps its index in step with appends, removals and a replaced array (the ways the sandbox changes its tables)', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const index = new AppendIndex<Row>((row) => row.key);
        let rows: Row[] = [];
        let nextId = 1;
        for (const op of operations) {
          if (op.kind === 'append') rows.push({ id: nextId++, key: op.key });
          else if (op.kind === 'remove' && rows.length > 0) rows.splice(op.at % rows.length, 1);
          else if (op.kind === 'replace') rows = rows.filter((row) => row.id % 2 === 0);
          else if (op.kind === 'find')
            assert.equal(
              index.find(rows, op.key),
              rows.find((row) => row.key === op.key),
            );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('finds the holders of a key that records change in place exactly as a scan does', () => {
    interface Person {
      id: number;
      email: string | null;
      phone: string | null;
    }
    const value = fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null });
    const step = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), email: value, phone: value }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('change' as const), at: fc.nat(), email: value, phone: value }),
      fc.record({ kind: fc.constant('replace' as const) }),
      fc.record({
        kind: fc.constant('holders' as const),
        field: fc.constantFrom('email', 'phone'),
        key: value,
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const index = new ChangingKeyIndex<Person>((person) => [
          ...(person.email === null ? [] : [`email:${person.email}`]),
          ...(person.phone === null ? [] : [`phone:${person.phone}`]),
        ]);
        let people: Person[] = [];
        let nextId = 1;
        for (const op of steps) {
          if (op.kind === 'append') people.push({ id: nextId++, email: op.email, phone: op.phone });
          else if (op.kind === 'remove' && people.length > 0) people.splice(op.at % people.length, 1);
          else if (op.kind === 'change' && people.length > 0) {
            const person = people[op.at % people.length] as Person;
            person.email = op.email;
            person.phone = op.phone;
            index.changed(people, person);
          } else if (op.kind === 'replace') people = people.filter((person) => person.id % 2 === 1);
          else if (op.kind === 'holders' && op.key !== null) {
            const found = index.holders(people, `${op.field}:${op.key}`).map((person) => person.id);
            const scanned = people.filter((person) => person[op.field] === op.key).map((person) => person.id);
            assert.deepEqual(
              found.sort((x, y) => x - y),
              scanned.sort((x, y) => x - y),
            );
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never names a record under a key it changed without telling the index', () => {
    const index = new ChangingKeyIndex<{ email: string }>((person) => [person.email]);
    const people = [{ email: 'a' }, { email: 'b' }];
    assert.equal(index.holders(people, 'a').length, 1);
    (people[0] as { email: string }).email = 'c';
    assert.deepEqual(index.holders(people, 'a'), []);
  });
});

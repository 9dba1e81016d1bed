/**
 * Contact notes, labels and companies (src/mapping/contactNotes.ts): a note's content names its
 * Intercom id, author and UTC time on its first line and is never blank; importing what is missing
 * twice writes nothing the second time; labels only grow; the primary company is the first named one.
 * Expected values are computed here, not with the functions under test.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  companyAttributesDiffer,
  contactCompanyAttributes,
  contactLabelsToSet,
  contactNoteContent,
  importedNoteId,
  notesToWrite,
} from '../src/mapping/contactNotes.js';

const noteArb = fc.record({
  id: fc.stringMatching(/^[0-9]{1,9}$/),
  created_at: fc.integer({ min: 0, max: 4_000_000_000 }),
  author: fc.option(
    fc.record({
      type: fc.constant('admin'),
      name: fc.option(fc.string(), { nil: null }),
      email: fc.option(fc.emailAddress(), { nil: null }),
    }),
    { nil: null },
  ),
  body: fc.option(
    fc.oneof(
      fc.string(),
      fc.string().map((text) => `<p>${text}</p>`),
    ),
    { nil: null },
  ),
});

const utcOf = (seconds: number) => {
  const date = new Date(seconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
};

describe('mapping: contact notes, labels and companies', () => {
  it('names the note, its author and its UTC time on a first line, and is never blank', () => {
    fc.assert(
      fc.property(noteArb, (note) => {
        const content = contactNoteContent(note);
        const [first = ''] = content.split('\n');
        assert.ok(first.startsWith(`Intercom note #${note.id} · `));
        assert.ok(first.endsWith(` · ${utcOf(note.created_at)}`), first);
        const name = (note.author?.name ?? '').replace(/\s+/g, ' ').trim();
        if (name && !name.includes('\u0000')) assert.ok(first.includes(name.slice(0, 20)), first);
        assert.ok(content.trim().length > 0);
        assert.equal(importedNoteId(content), note.id);
        assert.ok(!content.includes('\u0000'));
      }),
    );
  });

  it('keeps the text of an HTML body', () => {
    const content = contactNoteContent({
      id: '7',
      created_at: 1_600_000_000,
      author: { type: 'admin', name: 'Ann Lee', email: 'ann@example.com' },
      body: '<p>Prefers e-mail. <b>Do not</b> call.</p>',
    });
    assert.equal(
      content,
      'Intercom note #7 · Ann Lee (ann@example.com) · 2020-09-13 12:26:40 UTC\n\nPrefers e-mail. **Do not** call.',
    );
  });

  it('writes each missing note once, oldest first, and nothing when all are there', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(noteArb, { selector: (note) => note.id, maxLength: 15 }),
        fc.nat(),
        (notes, cut) => {
          const alreadyThere = notes.slice(0, cut % (notes.length + 1)).map(contactNoteContent);
          const other = ['an agent wrote this', null, 'Intercom note without a number'];
          const missing = notesToWrite(notes, [...other, ...alreadyThere]);
          const expectedIds = notes.slice(cut % (notes.length + 1)).map((note) => note.id);
          assert.deepEqual(new Set(missing.map((note) => note.id)), new Set(expectedIds));
          for (let i = 1; i < missing.length; i++) {
            assert.ok(
              (missing[i - 1] as { created_at: number }).created_at <=
                (missing[i] as { created_at: number }).created_at,
            );
          }
          const all = [...alreadyThere, ...missing.map(contactNoteContent)];
          assert.deepEqual(notesToWrite(notes, all), []);
        },
      ),
    );
  });

  it("adds the tags' labels to the contact's, and writes nothing when none is missing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{1,10}$/)),
        fc.array(fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/)),
        (existing, tags) => {
          const result = contactLabelsToSet(existing, tags);
          const titles = new Set(tags);
          const missing = [...titles].filter((title) => !existing.includes(title));
          if (missing.length === 0) assert.equal(result, undefined);
          else {
            assert.ok(result);
            assert.deepEqual(result.slice(0, existing.length), existing, 'existing labels stay first');
            for (const title of titles) assert.ok(result.includes(title));
            assert.equal(contactLabelsToSet(result, tags), undefined);
          }
        },
      ),
    );
    assert.deepEqual(contactLabelsToSet(['VIP'], ['vip', 'Bug Report']), ['VIP', 'bug-report']);
  });

  it('makes the first named company company_name and lists the others once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,12}$/), { nil: null })),
        (names) => {
          const attributes = contactCompanyAttributes(names.map((name) => ({ name })));
          const named: string[] = [];
          for (const name of names) {
            const trimmed = (name ?? '').replace(/\s+/g, ' ').trim();
            if (trimmed && !named.includes(trimmed)) named.push(trimmed);
          }
          assert.equal(attributes.company_name, named[0]);
          assert.deepEqual(attributes.other_companies, named.length > 1 ? named.slice(1) : undefined);
          assert.equal(companyAttributesDiffer({ ...attributes, city: 'Paris' }, attributes), false);
          if (named.length > 0) assert.equal(companyAttributesDiffer({}, attributes), true);
        },
      ),
    );
  });
});

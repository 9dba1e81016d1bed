/**
 * Intercom tags -> Chatwoot label titles. Every title must pass label.rb as Chatwoot runs it: downcase,
 * then RegexHelper::UNICODE_CHARACTER_NUMBER_HYPHEN_UNDERSCORE, `\A[\p{L}\p{N}]+[\p{L}\p{N}_-]+\Z`
 * (lib/regex_helper.rb). The regular expression is translated here, not imported from the sandbox.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  conversationLabels,
  FROM_INTERCOM_LABEL,
  labelTitle,
  planLabels,
  stableHash,
  tagSlug,
} from '../src/mapping/index.js';

/**
 * Ruby's `\A` is the start of the string: `^` without the m flag. Ruby's `\Z` is the end of the string
 * or the position before a final "\n": `(?=\n?$)` (`$` without m is the end only). Onigmo's \p{L} and
 * \p{N} are the Unicode categories, as with the u flag.
 */
const RUBY_LABEL_TITLE = /^[\p{L}\p{N}]+[\p{L}\p{N}_-]+(?=\n?$)/u;

/** What Rails' `title.downcase` leaves (full Unicode case mapping, as String#toLowerCase). */
const downcased = (title: string) => title.toLowerCase();

/** The letters and digits of a name, lower-cased and without marks: all a slug keeps, computed apart. */
const lettersAndDigits = (name: string) =>
  name
    .normalize('NFC')
    .toLowerCase()
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, '');

const awkward = fc.constantFrom(
  'A',
  'a',
  '7',
  '_internal',
  '__init__',
  '-x-',
  '_',
  '🔥🔥',
  '!!!',
  '…',
  ' . ',
  '',
  '𝐀',
  '𝐀𝐁',
  'İ',
  'İstanbul',
  'ǅemal',
  'ΣΊΣΥΦΟΣ',
  'हिन्दी',
  'Straße',
  'ﬁle',
  'é',
  'e\u0301',
  'Needs reply',
  'needs-reply',
  'NEEDS_REPLY',
  'vip\n',
  '\u0000a',
  '\uD83Dab',
  'a\uDC00',
  '👩‍👩‍👧',
);

const tagName = fc.oneof(
  { weight: 3, arbitrary: awkward },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom('a', 'B', '1', '_', '-', ' ', '.', 'é', '🔥', '𝐀', 'ß'), { maxLength: 8 })
      .map((chars) => chars.join('')),
  },
);

/** A second name likely to share the first one's slug, or not quite. */
const nearby = (name: string) =>
  fc.constantFrom(
    name.toUpperCase(),
    name.toLowerCase(),
    `_${name}`,
    `-${name}`,
    `${name}!`,
    ` ${name} `,
    name.replace(/ /g, '-'),
    name.replace(/-/g, '_'),
    name.replace(/[aeiou]/g, '.'),
    name.normalize('NFD'),
    `${name}${name}`,
    name.slice(1),
  );

const pairs = fc.oneof(
  fc.tuple(tagName, tagName),
  tagName.chain((name) => fc.tuple(fc.constant(name), nearby(name))),
);

describe('label properties: labelTitle', () => {
  it('gives a title Chatwoot accepts: its regex as Ruby runs it, already lower case, storable', () => {
    fc.assert(
      fc.property(tagName, (name) => {
        const title = labelTitle(name);
        assert.match(title, RUBY_LABEL_TITLE, JSON.stringify(name));
        assert.equal(downcased(title), title, 'Chatwoot would store another title than the one sent');
        assert.ok(title.length <= 255);
        assert.ok(!title.includes('\n'));
      }),
      { numRuns: 2000 },
    );
  });

  it('is stable: the same for the same name, whatever its Unicode normalization form', () => {
    fc.assert(
      fc.property(tagName, (name) => {
        const title = labelTitle(name);
        assert.equal(labelTitle(`${name}`), title);
        assert.equal(labelTitle(name.normalize('NFC')), title);
        assert.equal(labelTitle(name.normalize('NFD')), title);
      }),
      { numRuns: 1000 },
    );
  });

  it('makes two tags one label exactly when their slugs are equal (a non-empty slug)', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const same = labelTitle(a) === labelTitle(b);
        const slugA = tagSlug(a);
        const slugB = tagSlug(b);
        if (same) {
          assert.equal(slugA, slugB, `${JSON.stringify(a)} and ${JSON.stringify(b)} share a title`);
          // Independent of the slug: one label only for names with the same letters and digits
          // (unless both were cut to Chatwoot's 255 characters).
          if (slugA.length < 250) assert.equal(lettersAndDigits(a), lettersAndDigits(b));
        }
        if (slugA === slugB && slugA !== '') assert.ok(same);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the names Chatwoot refused titles of their own, under "tag--"', () => {
    assert.equal(labelTitle('A'), 'tag--a');
    assert.equal(labelTitle('7'), 'tag--7');
    assert.equal(labelTitle('𝐀'), 'tag--𝐀');
    assert.equal(labelTitle('_internal'), 'internal');
    assert.equal(labelTitle('-x-'), 'tag--x');
    assert.equal(labelTitle('🔥🔥'), `tag--${stableHash('🔥🔥')}`);
    assert.notEqual(labelTitle('🔥🔥'), labelTitle('🎉'));
    assert.equal(labelTitle('!!!'), `tag--${stableHash('!!!')}`);
    assert.equal(labelTitle('Billing / VAT 2.0'), 'billing-vat-2-0');
    assert.equal(labelTitle('İstanbul'), 'istanbul');
    // A name that looks like a made-up title is slugged like any other: "--" never survives.
    assert.equal(labelTitle('tag--a'), 'tag-a');
    assert.notEqual(labelTitle('tag--a'), labelTitle('A'));
  });
});

describe('label properties: conversationLabels and planLabels', () => {
  it('labels a conversation with valid, unique, sorted titles and the from_intercom marker', () => {
    fc.assert(
      fc.property(fc.array(tagName, { maxLength: 8 }), (names) => {
        const labels = conversationLabels(names);
        for (const label of labels) assert.match(label, RUBY_LABEL_TITLE);
        assert.ok(labels.includes(FROM_INTERCOM_LABEL));
        assert.deepEqual(labels, [...new Set(labels)].sort());
        for (const name of names) assert.ok(labels.includes(labelTitle(name)));
      }),
      { numRuns: 500 },
    );
  });

  it('plans every tag once, under its title, whatever the order; merges are the shared titles', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.oneof(tagName, awkward), { maxLength: 20 })
          .chain((names) =>
            fc.tuple(fc.constant(names), fc.shuffledSubarray(names, { minLength: names.length })),
          ),
        ([names, shuffled]) => {
          const plan = planLabels(names);
          assert.deepEqual(planLabels([...shuffled, ...shuffled]), plan, 'order and repeats do not matter');
          const listed = plan.labels.flatMap((label) => label.tags);
          assert.deepEqual([...listed].sort(), [...new Set(names)].sort());
          const titles = plan.labels.map((label) => label.title);
          assert.equal(new Set(titles).size, titles.length);
          for (const label of plan.labels) {
            for (const tag of label.tags) assert.equal(labelTitle(tag), label.title);
            assert.match(label.title, RUBY_LABEL_TITLE);
          }
          assert.deepEqual(
            plan.merges,
            plan.labels.filter((label) => label.tags.length > 1 || label.title === FROM_INTERCOM_LABEL),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('lists tags equal once slugged as one merged label', () => {
    const plan = planLabels([
      'Needs reply',
      'needs-reply',
      'A',
      '_internal',
      '🔥🔥',
      'VIP',
      'vip',
      'From Intercom',
    ]);
    assert.deepEqual(plan.merges, [
      { title: 'needs-reply', tags: ['Needs reply', 'needs-reply'] },
      { title: 'vip', tags: ['VIP', 'vip'] },
    ]);
    assert.deepEqual(planLabels(['from_intercom']).merges, [
      { title: 'from_intercom', tags: ['from_intercom'] },
    ]);
  });
});

/**
 * Conversation attributes within Chatwoot's JsonbAttributesLengthValidator
 * (app/models/jsonb_attributes_length_validator.rb, run by conversation.rb on additional_attributes and
 * custom_attributes): a top-level String of at most 1,500 characters (Ruby's `length`: code points),
 * a top-level Integer of at most 9,999,999,999. What is cut stays whole in a private note. A ticket's
 * conversation is validated the same: its attributes fit too, each whole in its opening note.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Conversation } from '../src/clients/intercom/schemas.js';
import { Ticket } from '../src/clients/intercom/ticketSchemas.js';
import {
  conversationAdditionalAttributes,
  conversationAttributeAdjustments,
  conversationCustomAttributes,
  fitAttributeHash,
  planMessages,
} from '../src/mapping/index.js';
import {
  planTicketMessages,
  ticketAdditionalAttributes,
  ticketAttributeAdjustments,
  ticketAttributeKey,
  ticketCustomAttributes,
} from '../src/mapping/tickets.js';

/** The validator, written from the Ruby source: the keys Chatwoot would refuse, and why. */
function rubyValidatorErrors(values: Record<string, unknown>): { key: string; error: string }[] {
  const errors: { key: string; error: string }[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string' && Array.from(value).length > 1500) errors.push({ key, error: 'length' });
    if (typeof value === 'number' && Number.isInteger(value) && value > 9_999_999_999)
      errors.push({ key, error: 'value' });
  }
  return errors;
}

const hasLoneSurrogate = (text: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

/** Strings around the limit, in UTF-16 units and in characters, with emoji across the cut. */
const attributeText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc
    .tuple(fc.integer({ min: 1_400, max: 1_600 }), fc.constantFrom('x', '🎉', 'é', 'x🎉', '👩‍👩‍👧 '))
    .map(([length, unit]) => unit.repeat(Math.ceil(length / Array.from(unit).length))),
  fc.string({ unit: 'grapheme', minLength: 1_480, maxLength: 1_700 }),
);
const attributeValue = fc.oneof(
  attributeText,
  fc.integer(),
  fc.constantFrom(9_999_999_999, 10_000_000_000, 2 ** 53 - 1, -(10 ** 12), 1e21, 12_345_678_901.5),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 5 }), attributeText, { maxKeys: 2 }),
);

describe('attribute properties: fitAttributeHash', () => {
  it('leaves nothing Chatwoot refuses, changes only what it would refuse, and lists exactly that', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), attributeValue, { maxKeys: 5 }),
        fc.constantFrom('custom_attributes' as const, 'additional_attributes' as const),
        (values, attribute) => {
          const { values: fitted, adjustments, cut } = fitAttributeHash(values, attribute);
          const out = fitted as Record<string, unknown>;
          assert.deepEqual(rubyValidatorErrors(out), []);
          assert.deepEqual(Object.keys(out), Object.keys(values));
          const refused = new Set(rubyValidatorErrors(values).map((error) => error.key));
          assert.deepEqual(new Set(adjustments.map((a) => a.key)), refused);
          for (const [key, value] of Object.entries(values)) {
            const now = out[key];
            if (!refused.has(key)) {
              assert.deepEqual(now, value, `${key} is within the limits and must not change`);
              continue;
            }
            const adjustment = adjustments.find((a) => a.key === key);
            assert.equal(adjustment?.attribute, attribute);
            if (typeof value === 'number') {
              assert.equal(now, String(value));
              assert.equal(adjustment?.change, 'stringified');
              continue;
            }
            const text = value as string;
            const kept = now as string;
            assert.equal(adjustment?.change, 'truncated');
            assert.equal(adjustment?.originalLength, Array.from(text).length);
            assert.ok(kept.endsWith('…'));
            assert.ok(text.startsWith(kept.slice(0, -1)), 'the start of the text is kept');
            if (!hasLoneSurrogate(text)) assert.ok(!hasLoneSurrogate(kept), 'no half surrogate pair');
            assert.deepEqual(
              cut.find((c) => c.key === key),
              { ...adjustment, fullText: text },
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

const SEP_13_2020 = 1_600_000_000;
const joe = { type: 'user', id: 'u1', name: 'Joe Bloggs' };

function conversation(remark: string, custom: Record<string, unknown> = {}) {
  return Conversation.parse({
    id: '525',
    created_at: SEP_13_2020,
    updated_at: SEP_13_2020 + 500,
    state: 'closed',
    source: { type: 'conversation', id: '4039', body: '<p>Hi</p>', author: joe },
    conversation_parts: {
      conversation_parts: [
        { id: '1', part_type: 'comment', body: '<p>Hello</p>', created_at: SEP_13_2020 + 1, author: joe },
      ],
    },
    conversation_rating: { rating: 2, remark },
    custom_attributes: custom,
  });
}

const lettersOf = (text: string) => text.replace(/[^\p{L}\p{N}]+/gu, '');

describe('attribute properties: the note that keeps a cut remark', () => {
  const remark = fc
    .tuple(
      fc.integer({ min: 1_400, max: 4_000 }),
      fc.constantFrom('Too slow. ', 'Trop lent 🐢 *vraiment* | ', 'x'),
    )
    .map(([length, sentence]) => Array.from(sentence.repeat(length)).slice(0, length).join('').trim());

  it('cuts the remark to fit and posts it whole, once, as the last message: a private note', () => {
    fc.assert(
      fc.property(remark, fc.boolean(), (text, timestampLine) => {
        const source = conversation(text, { Summary: 's'.repeat(3_000) });
        const additional = conversationAdditionalAttributes(source) as Record<string, unknown>;
        assert.deepEqual(rubyValidatorErrors(additional), []);
        assert.deepEqual(
          rubyValidatorErrors(conversationCustomAttributes(source) as Record<string, unknown>),
          [],
        );
        // Nested: Chatwoot does not look inside, so the Intercom custom attribute stays whole.
        assert.deepEqual(additional.intercom_custom_attributes, { Summary: 's'.repeat(3_000) });

        const plan = planMessages(source, { activityParts: 'note', timestampLine });
        assert.deepEqual(planMessages(source, { activityParts: 'note', timestampLine }), plan, 'stable');
        const notes = plan.filter((m) => m.sourceId.startsWith('attributes:525'));
        const long = Array.from(text).length > 1_500;
        if (!long) {
          assert.equal(notes.length, 0);
          assert.equal(additional.intercom_rating_remark, text);
          return;
        }
        assert.ok(notes.length >= 1);
        assert.equal(notes[0].sourceId, 'attributes:525');
        assert.deepEqual(plan.slice(-notes.length), notes, 'after every other message');
        for (const note of notes) {
          assert.equal(note.private, true);
          assert.equal(note.messageType, 'outgoing');
          assert.equal(note.externalCreatedAt, SEP_13_2020, "the conversation's created_at");
        }
        const shown = lettersOf(notes.map((note) => note.content).join(''));
        assert.ok(shown.includes(lettersOf(text)), 'the whole remark is in the note');
        const cutRemark = additional.intercom_rating_remark as string;
        assert.ok(text.startsWith(cutRemark.slice(0, -1)));
        assert.deepEqual(conversationAttributeAdjustments(source).adjustments, [
          {
            attribute: 'additional_attributes',
            key: 'intercom_rating_remark',
            change: 'truncated',
            originalLength: Array.from(text).length,
          },
        ]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('attribute properties: ticket attributes', () => {
  // Values as Intercom's ticket types hold them: text around the limit (one or two UTF-16 units a
  // character) and integers around the validator's maximum.
  const ticketValue = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1_450, max: 2_200 }), fc.constantFrom('x', '🎉', 'ab '))
      .map(([length, unit]) => Array.from(unit.repeat(length)).slice(0, length).join('').trim()),
    fc.integer({ min: 1, max: 100 }),
    fc.constantFrom(9_999_999_999, 10_000_000_000, 12_345_678_901, 2 ** 53 - 1),
  );
  const names = fc.uniqueArray(
    fc.constantFrom('Affected users', 'Internal reason', 'Order number', 'Votes'),
    {
      minLength: 1,
      maxLength: 4,
    },
  );

  it('leaves nothing Chatwoot refuses, keeps every value whole in the opening note, and lists exactly what changed', () => {
    fc.assert(
      fc.property(names, fc.array(ticketValue, { minLength: 4, maxLength: 4 }), (keys, values) => {
        const raw = Object.fromEntries(keys.map((name, i) => [name, values[i]]));
        const ticket = Ticket.parse({ id: '77', created_at: SEP_13_2020, ticket_attributes: raw });
        const custom = ticketCustomAttributes(ticket);
        assert.deepEqual(rubyValidatorErrors(custom), []);
        assert.deepEqual(rubyValidatorErrors(ticketAdditionalAttributes(ticket)), []);

        const expected = Object.entries(raw)
          .filter(([, v]) =>
            typeof v === 'number' ? v > 9_999_999_999 : Array.from(v as string).length > 1_500,
          )
          .map(([name, v]) =>
            typeof v === 'number'
              ? { name, change: 'stringified', originalLength: String(v).length }
              : { name, change: 'truncated', originalLength: Array.from(v as string).length },
          );
        const listed = ticketAttributeAdjustments(ticket);
        assert.equal(listed.length, expected.length);
        for (const { name, change, originalLength } of expected) {
          const found = listed.find((a) => a.key === ticketAttributeKey(name));
          assert.deepEqual(found, {
            attribute: 'custom_attributes',
            key: ticketAttributeKey(name),
            change,
            originalLength,
          });
          const stored = custom[ticketAttributeKey(name)];
          if (change === 'stringified') assert.equal(stored, String(raw[name]));
          else assert.ok((raw[name] as string).startsWith((stored as string).slice(0, -1)));
        }

        const opening = planTicketMessages(ticket, { activityParts: 'note', timestampLine: false })[0];
        assert.equal(opening?.private, true);
        const shown = lettersOf(opening?.content ?? '');
        for (const value of Object.values(raw)) assert.ok(shown.includes(lettersOf(String(value))));
      }),
      { numRuns: 60 },
    );
  });
});

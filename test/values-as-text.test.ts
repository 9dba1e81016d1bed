/** The report's "Numbers stored as text": what the mapping sent against what Chatwoot lists. */
import assert from 'node:assert/strict';
import { attributeHashesAsText, valuesStoredAsText } from '../src/activities/verification/valuesAsText.js';

describe('values stored as text', () => {
  it('names each number or boolean Chatwoot holds as its text, nested ones by their path', () => {
    const sent = {
      intercom_state: 'closed',
      intercom_parts_count: 12,
      intercom_custom_attributes: { 'Refund amount': 12.5, 'Follow up': false, tags: [1, 'a'] },
    };
    const held = {
      intercom_state: 'closed',
      intercom_parts_count: '12',
      intercom_custom_attributes: { 'Refund amount': '12.5', 'Follow up': 'false', tags: ['1', 'a'] },
    };
    assert.deepEqual(valuesStoredAsText(sent, held), [
      'intercom_parts_count',
      'intercom_custom_attributes.Refund amount',
      'intercom_custom_attributes.Follow up',
      'intercom_custom_attributes.tags[0]',
    ]);
  });

  it('names nothing where the types were kept, a value differs, or a key is gone', () => {
    assert.deepEqual(valuesStoredAsText({ a: 4, b: true }, { a: 4, b: true }), []);
    assert.deepEqual(valuesStoredAsText({ a: 4 }, { a: '5' }), [], 'another value is not this one as text');
    assert.deepEqual(valuesStoredAsText({ a: 4 }, {}), []);
    assert.deepEqual(valuesStoredAsText({ a: 4 }, null), []);
  });

  it('gives an entry for each attribute hash holding text, none for a hash kept whole', () => {
    const sent = {
      custom_attributes: { intercom_rating: 4 },
      additional_attributes: { intercom_parts_count: 3 },
    };
    assert.deepEqual(
      attributeHashesAsText(sent, {
        custom_attributes: { intercom_rating: '4' },
        additional_attributes: { intercom_parts_count: '3' },
      }),
      [
        { attribute: 'custom_attributes', paths: ['intercom_rating'] },
        { attribute: 'additional_attributes', paths: ['intercom_parts_count'] },
      ],
    );
    assert.deepEqual(
      attributeHashesAsText(sent, { custom_attributes: { intercom_rating: 4 }, additional_attributes: null }),
      [],
    );
  });
});

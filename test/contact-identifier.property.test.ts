/**
 * The Chatwoot identifier of an Intercom contact (mapping/contacts.ts contactIdentifier): the
 * external id a website passes to `$chatwoot.setUser`, else `intercom:<id>`; and the forms an import
 * looks a contact up by (contactIdentifierForms).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Contact } from '../src/clients/intercom/schemas.js';
import { contactIdentifier, contactIdentifierForms, contactPayload } from '../src/mapping/index.js';

const hasUnstorable = (text: string) =>
  text.includes('\u0000') ||
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

const intercomId = fc.stringMatching(/^[0-9a-f]{24}$/);
/** External ids as sites make them, plus blanks, padding, NUL and half emoji. */
const externalId = fc.oneof(
  fc.constantFrom(null, undefined, '', '   ', '\t\n'),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom(' ', '\u0000', '\ud83d', ''),
      fc.stringMatching(/^[a-z0-9-]{1,12}$/),
      fc.constantFrom(' ', '\n', ''),
    )
    .map((parts) => parts.join('')),
);

describe('contact identifier (property)', () => {
  it('is the trimmed external id when it has one, else intercom:<id>; never blank, padded or unstorable', () => {
    fc.assert(
      fc.property(intercomId, externalId, (id, external) => {
        const identifier = contactIdentifier({ id, external_id: external });
        assert.ok(identifier.length > 0);
        assert.equal(identifier, identifier.trim());
        assert.equal(hasUnstorable(identifier), false);
        const cleaned = (external ?? '').replaceAll('\u0000', '').trim();
        if (cleaned === '' || hasUnstorable(external ?? '')) {
          // Only a cleaned external id could differ from the text; blank ones fall back.
          if (cleaned === '') assert.equal(identifier, `intercom:${id}`);
        } else {
          assert.equal(identifier, cleaned);
        }
      }),
    );
  });

  it('is the identifier the contact payload carries', () => {
    fc.assert(
      fc.property(intercomId, externalId, (id, external) => {
        const contact = Contact.parse({
          id,
          external_id: external ?? null,
          role: 'user',
          created_at: 1,
          updated_at: 1,
        });
        assert.equal(contactPayload(contact).identifier, contactIdentifier({ id, external_id: external }));
      }),
    );
  });

  it('looks a contact up under its identifier first, then the form of imports before external ids', () => {
    fc.assert(
      fc.property(intercomId, externalId, (id, external) => {
        const forms = contactIdentifierForms({ id, external_id: external });
        assert.equal(forms[0], contactIdentifier({ id, external_id: external }));
        assert.equal(forms.at(-1), `intercom:${id}`);
        assert.equal(new Set(forms).size, forms.length);
        assert.ok(forms.length <= 2);
      }),
    );
  });

  it('keeps contacts without external ids apart', () => {
    fc.assert(
      fc.property(intercomId, intercomId, (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(contactIdentifier({ id: a }), contactIdentifier({ id: b, external_id: '  ' }));
      }),
    );
  });

  it('uses the external id as the site gave it: case and inner spaces kept', () => {
    assert.equal(contactIdentifier({ id: 'abc', external_id: '  User 42 ' }), 'User 42');
    assert.equal(contactIdentifier({ id: 'abc', external_id: 'user-1000' }), 'user-1000');
    assert.equal(contactIdentifier({ id: 'abc', external_id: null }), 'intercom:abc');
  });
});

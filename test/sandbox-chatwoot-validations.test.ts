/**
 * The Chatwoot sandbox refuses what Chatwoot 4.10 refuses, with the same 422 bodies:
 * - label titles: label.rb downcases, then validates presence and RegexHelper's
 *   `\A[\p{L}\p{N}]+[\p{L}\p{N}_-]+\Z` (lib/regex_helper.rb);
 * - conversation attributes: conversation.rb runs JsonbAttributesLengthValidator
 *   (app/models/jsonb_attributes_length_validator.rb) on additional_attributes and custom_attributes;
 *   contact.rb does not.
 */
import assert from 'node:assert/strict';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { call as api } from './helpers/chatwootApi.js';

const A1 = '/api/v1/accounts/1';

const call = (sandbox: ChatwootSandbox, method: string, path: string, body?: unknown) =>
  api(sandbox, method, path, { body });

describe('Chatwoot sandbox validations', () => {
  let sandbox: ChatwootSandbox;
  let inboxId: number;
  let contactId: number;

  beforeEach(async () => {
    sandbox = await startChatwootSandbox({ now: () => Date.UTC(2025, 0, 6, 9) });
    const inbox = await call(sandbox, 'POST', `${A1}/inboxes`, {
      name: 'Intercom archive',
      channel: { type: 'api', webhook_url: '' },
    });
    assert.equal(inbox.status, 200, inbox.text);
    inboxId = Number(inbox.json.id);
    const contact = await call(sandbox, 'POST', `${A1}/contacts`, { identifier: 'intercom:1', name: 'Ann' });
    assert.equal(contact.status, 200, contact.text);
    contactId = Number((contact.json.payload as { contact: { id: number } }).contact.id);
  });

  afterEach(() => sandbox.close());

  describe('label titles (label.rb, lib/regex_helper.rb)', () => {
    const createLabel = (title: unknown) => call(sandbox, 'POST', `${A1}/labels`, { title });

    it('refuses one character, a leading "_" or "-", emoji and punctuation with "Title is invalid"', async () => {
      // "𝐀" is one character in Ruby, two UTF-16 units in JavaScript.
      for (const title of ['A', '7', '_internal', '-x', '🔥🔥', '!!', 'needs review', 'v1.2', '𝐀', 'é']) {
        const answer = await createLabel(title);
        assert.equal(answer.status, 422, `${title}: ${answer.text}`);
        assert.deepEqual(answer.json, { message: 'Title is invalid', attributes: ['title'] }, title);
      }
    });

    it('answers a blank title with both the presence and the format error', async () => {
      for (const title of ['', '   ', null]) {
        const answer = await createLabel(title);
        assert.equal(answer.status, 422);
        assert.deepEqual(answer.json, {
          message: 'Title must not be blank, Title is invalid',
          attributes: ['title'],
        });
      }
    });

    it('accepts two letters or digits and more, "_" and "-" after the first, and downcases', async () => {
      const accepted: [string, string][] = [
        ['ab', 'ab'],
        ['A1', 'a1'],
        ['a_', 'a_'],
        ['x-', 'x-'],
        ['tag--a', 'tag--a'],
        ['Zahlung-Überfällig', 'zahlung-überfällig'],
        ['𝐀𝐁', '𝐀𝐁'],
        ['中文', '中文'],
        // Ruby's \Z also matches before a final newline.
        ['vip\n', 'vip\n'],
      ];
      for (const [title, stored] of accepted) {
        const answer = await createLabel(title);
        assert.equal(answer.status, 200, `${JSON.stringify(title)}: ${answer.text}`);
        assert.equal(answer.json.title, stored);
      }
      const twice = await createLabel('AB');
      assert.deepEqual(twice.json, { message: 'Title has already been taken', attributes: ['title'] });
    });
  });

  describe('conversation attributes (jsonb_attributes_length_validator.rb)', () => {
    const create = (attributes: Record<string, unknown>) =>
      call(sandbox, 'POST', `${A1}/conversations`, {
        inbox_id: inboxId,
        contact_id: contactId,
        ...attributes,
      });
    const conversationCount = () => sandbox.dump().accounts[0].conversations.length;

    it('refuses a top-level string over 1,500 characters, and writes nothing', async () => {
      const long = await create({ additional_attributes: { intercom_rating_remark: 'x'.repeat(1501) } });
      assert.equal(long.status, 422, long.text);
      assert.deepEqual(long.json, {
        message: 'Additional attributes intercom_rating_remark length should be < 1500',
        attributes: ['additional_attributes'],
      });
      const custom = await create({ custom_attributes: { note: 'y'.repeat(2000) } });
      assert.deepEqual(custom.json, {
        message: 'Custom attributes note length should be < 1500',
        attributes: ['custom_attributes'],
      });
      assert.equal(conversationCount(), 0);
    });

    it('counts characters as Ruby does, not UTF-16 units', async () => {
      const exactly = await create({ additional_attributes: { remark: 'x'.repeat(1500) } });
      assert.equal(exactly.status, 200, exactly.text);
      // 1,500 emoji: 3,000 UTF-16 units, 1,500 characters.
      const emoji = await create({ custom_attributes: { remark: '🎉'.repeat(1500) } });
      assert.equal(emoji.status, 200, emoji.text);
      const over = await create({ custom_attributes: { remark: '🎉'.repeat(1501) } });
      assert.equal(over.status, 422, over.text);
    });

    it('refuses a top-level integer above 9,999,999,999, not a float or a string of digits', async () => {
      const big = await create({ custom_attributes: { account_number: 10_000_000_000 } });
      assert.equal(big.status, 422, big.text);
      assert.deepEqual(big.json, {
        message: 'Custom attributes account_number value should be < 9999999999',
        attributes: ['custom_attributes'],
      });
      for (const value of [9_999_999_999, 12_345_678_901.5, '12345678901234', -99_999_999_999]) {
        const answer = await create({ custom_attributes: { account_number: value } });
        assert.equal(answer.status, 200, `${value}: ${answer.text}`);
      }
    });

    it('checks top-level values only: nested hashes and arrays may be any size', async () => {
      const nested = await create({
        additional_attributes: {
          intercom_custom_attributes: { 'Internal summary': 'z'.repeat(5000), big: 10 ** 15 },
          list: ['w'.repeat(5000)],
        },
      });
      assert.equal(nested.status, 200, nested.text);
    });

    it('lists every error, additional_attributes first as conversation.rb declares them', async () => {
      const both = await create({
        custom_attributes: { a: 'x'.repeat(1501), n: 10_000_000_000 },
        additional_attributes: { b: 'y'.repeat(1501) },
      });
      assert.equal(both.status, 422);
      assert.deepEqual(both.json, {
        message:
          'Additional attributes b length should be < 1500, Custom attributes a length should be < 1500, ' +
          'Custom attributes n value should be < 9999999999',
        attributes: ['additional_attributes', 'custom_attributes'],
      });
    });

    it('refuses the same on POST /conversations/:id/custom_attributes and keeps what was there', async () => {
      const created = await create({ custom_attributes: { intercom_conversation_id: '42' } });
      assert.equal(created.status, 200, created.text);
      const id = Number(created.json.id);
      const refused = await call(sandbox, 'POST', `${A1}/conversations/${id}/custom_attributes`, {
        custom_attributes: { intercom_conversation_id: '42', remark: 'r'.repeat(1501) },
      });
      assert.equal(refused.status, 422, refused.text);
      assert.deepEqual(refused.json, {
        message: 'Custom attributes remark length should be < 1500',
        attributes: ['custom_attributes'],
      });
      const stored = sandbox.dump().accounts[0].conversations.find((c) => c.display_id === id);
      assert.deepEqual(stored?.custom_attributes, { intercom_conversation_id: '42' });
    });

    it('leaves contacts alone: contact.rb has no such validator', async () => {
      const answer = await call(sandbox, 'POST', `${A1}/contacts`, {
        identifier: 'intercom:2',
        name: 'Bob',
        custom_attributes: { notes: 'n'.repeat(3000), big: 10_000_000_000 },
        additional_attributes: { bio: 'b'.repeat(3000) },
      });
      assert.equal(answer.status, 200, answer.text);
    });
  });
});

/**
 * Properties of the ticket mapping (src/mapping/tickets.ts) over generated tickets of any category,
 * parts, attributes and types. The rules checked come from Chatwoot's own code, translated here:
 * label.rb's title rule (lib/regex_helper.rb), custom_attribute_definition.rb's key format and its
 * STANDARD_ATTRIBUTES, and jsonb_attributes_length_validator.rb's 1,500-character strings.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ticket } from '../src/clients/intercom/ticketSchemas.js';
import {
  mapTicketStatus,
  planTicketMessages,
  ticketAttributeDefinitions,
  ticketCustomAttributes,
  ticketLabels,
  ticketOpeningSourceId,
} from '../src/mapping/tickets.js';

/** label.rb: downcased, `\A[\p{L}\p{N}]+[\p{L}\p{N}_-]+\Z`. */
const LABEL_TITLE = /^[\p{L}\p{N}]+[\p{L}\p{N}_-]+(?=\n?$)/u;
/** custom_attribute_definition.rb: `\A[\p{L}\p{N}_.\-]+\z`. */
const ATTRIBUTE_KEY = /^[\p{L}\p{N}_.-]+$/u;
const STANDARD_CONVERSATION_KEYS = new Set([
  'status',
  'priority',
  'assignee_id',
  'inbox_id',
  'team_id',
  'display_id',
  'campaign_id',
  'labels',
  'browser_language',
  'country_code',
  'referer',
  'created_at',
  'last_activity_at',
]);

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    '   ',
    '🔥🔥',
    'Bug / VAT 2.0',
    'A',
    '\u0000x',
    'Status',
    '<b>x</b> & y',
    'x'.repeat(1_700),
  ),
);
const dataType = fc.constantFrom(
  'string',
  'list',
  'integer',
  'decimal',
  'boolean',
  'datetime',
  'files',
  'weird',
);
const author = fc.record({
  type: fc.constantFrom('admin', 'user', 'lead', 'bot', 'team'),
  id: fc.option(fc.constantFrom('1', '2', 'abc'), { nil: null }),
  name: fc.option(text, { nil: null }),
});
const attachment = fc.record({
  type: fc.constant('upload'),
  name: text,
  url: fc.constantFrom('https://files.example/a.png', 'https://files.example/b.pdf'),
});
const part = fc.record({
  id: fc.stringMatching(/^[1-9][0-9]{0,6}$/),
  part_type: fc.constantFrom(
    'comment',
    'note',
    'ticket_state_updated_by_admin',
    'ticket_attribute_updated_by_admin',
    'assignment',
    'mystery',
  ),
  body: fc.option(fc.oneof(text, fc.constant('<p>Hello <img src="https://files.example/i.png"></p>')), {
    nil: null,
  }),
  created_at: fc.integer({ min: 1_500_000_000, max: 1_800_000_000 }),
  author,
  attachments: fc.array(attachment, { maxLength: 3 }),
  ticket_state: fc.option(fc.constantFrom('submitted', 'in_progress', 'resolved'), { nil: undefined }),
});
const typeAttribute = fc.record({
  id: fc.stringMatching(/^[1-9][0-9]{0,4}$/),
  name: text,
  data_type: dataType,
});
const category = fc.constantFrom('Customer', 'Back-office', 'Tracker', 'Something new');
const ticketType = fc.record({
  id: fc.stringMatching(/^[1-9][0-9]{0,3}$/),
  name: fc.option(text, { nil: null }),
  category,
  ticket_type_attributes: fc.record({
    type: fc.constant('list'),
    data: fc.array(typeAttribute, { maxLength: 5 }),
  }),
});
const ticketArbitrary = fc
  .record({
    id: fc.stringMatching(/^[1-9][0-9]{0,7}$/),
    ticket_id: fc.stringMatching(/^[1-9][0-9]{0,4}$/),
    category: fc.option(category, { nil: undefined }),
    ticket_type: ticketType,
    ticket_state: fc.record({
      category: fc.constantFrom('submitted', 'in_progress', 'waiting_on_customer', 'resolved'),
    }),
    open: fc.option(fc.boolean(), { nil: undefined }),
    snoozed_until: fc.option(fc.integer({ min: 1, max: 1_900_000_000 }), { nil: null }),
    created_at: fc.integer({ min: 1_500_000_000, max: 1_800_000_000 }),
    attributes: fc.dictionary(text, fc.oneof(text, fc.integer(), fc.boolean(), fc.double({ noNaN: true })), {
      maxKeys: 4,
    }),
    parts: fc.array(part, { maxLength: 8 }),
    linked: fc.array(fc.stringMatching(/^[1-9][0-9]{0,5}$/), { maxLength: 3 }),
  })
  .map((t) =>
    Ticket.parse({
      type: 'ticket',
      id: t.id,
      ticket_id: t.ticket_id,
      category: t.category,
      ticket_type: t.ticket_type,
      ticket_state: t.ticket_state,
      open: t.open,
      snoozed_until: t.snoozed_until,
      created_at: t.created_at,
      updated_at: t.created_at + 10,
      ticket_attributes: { _default_title_: 'Title', _default_description_: null, ...t.attributes },
      ticket_parts: { ticket_parts: t.parts, total_count: t.parts.length },
      linked_objects: { data: t.linked.map((id) => ({ type: 'conversation', id })) },
      contacts: { contacts: [] },
    }),
  );

const options = fc.record({
  activityParts: fc.constantFrom('activity', 'note', 'skip') as fc.Arbitrary<'activity' | 'note' | 'skip'>,
  timestampLine: fc.boolean(),
});

describe('ticket mapping properties', () => {
  it('opens with a private note, keeps source ids unique and stable, and is deterministic', () => {
    fc.assert(
      fc.property(ticketArbitrary, options, (ticket, opts) => {
        const plan = planTicketMessages(ticket, opts);
        assert.equal(plan[0]?.sourceId, ticketOpeningSourceId(ticket.id));
        assert.ok(plan[0]?.private);
        const ids = plan.map((m) => m.sourceId);
        assert.equal(new Set(ids).size, ids.length);
        assert.deepEqual(planTicketMessages(ticket, opts), plan);
        // Every part's id is its message's source id (or the base of its pieces).
        for (const message of plan.slice(1)) assert.ok(message.sourceId.startsWith(message.partId));
      }),
    );
  });

  it('posts nothing public for Back-office, Tracker and unknown categories', () => {
    fc.assert(
      fc.property(ticketArbitrary, options, (ticket, opts) => {
        const kind = (ticket.category ?? ticket.ticket_type?.category ?? '').toLowerCase();
        const plan = planTicketMessages(ticket, opts);
        const publicOnes = plan.filter((m) => !m.private && m.messageType !== 'activity');
        if (kind !== 'customer') assert.deepEqual(publicOnes, []);
        else
          for (const m of publicOnes)
            assert.ok(
              m.partType === 'comment' ||
                m.partType === 'ticket_state_updated_by_admin' ||
                m.kind === 'message',
            );
      }),
    );
  });

  it('gives labels Chatwoot accepts, and attribute keys each with a valid definition', () => {
    fc.assert(
      fc.property(ticketArbitrary, (ticket) => {
        for (const label of ticketLabels(ticket)) {
          assert.match(label.toLowerCase(), LABEL_TITLE);
          assert.equal(label, label.toLowerCase());
        }
        const definitions = ticketAttributeDefinitions(ticket.ticket_type ? [ticket.ticket_type] : []);
        const keys = definitions.map((d) => d.key);
        assert.equal(new Set(keys).size, keys.length);
        for (const key of keys) {
          assert.match(key, ATTRIBUTE_KEY);
          assert.ok(!STANDARD_CONVERSATION_KEYS.has(key), key);
          assert.ok([...key].length <= 255);
        }
        const defined = new Set([
          ...keys,
          'intercom_ticket_id',
          'intercom_ticket_number',
          'intercom_ticket_type',
          'intercom_ticket_category',
          'intercom_ticket_state',
          'intercom_linked_conversation_ids',
          'intercom_created_at',
          'intercom_updated_at',
          'intercom_title',
        ]);
        const attributes = ticketCustomAttributes(ticket);
        assert.equal(attributes.intercom_ticket_id, ticket.id);
        const listedNames = new Set(
          (ticket.ticket_type?.ticket_type_attributes?.data ?? []).map((a) => a.name as string),
        );
        const unlisted = Object.keys(ticket.ticket_attributes ?? {}).filter(
          (name) => !listedNames.has(name) && name !== '_default_title_' && name !== '_default_description_',
        );
        let undefinedKeys = 0;
        for (const [key, value] of Object.entries(attributes)) {
          // A value of an attribute its type lists has a definition (Chatwoot's filter needs one);
          // only an attribute the type does not list may lack one.
          if (!defined.has(key)) {
            assert.ok(key.startsWith('intercom_ticket_'), key);
            undefinedKeys++;
          }
          assert.match(key, ATTRIBUTE_KEY);
          assert.ok([...key].length <= 255, key);
          if (typeof value === 'string') assert.ok([...value].length <= 1_500, key);
          if (typeof value === 'number' && Number.isInteger(value)) assert.ok(value <= 9_999_999_999, key);
        }
        assert.ok(undefinedKeys <= unlisted.length, `${undefinedKeys} keys without a definition`);
      }),
    );
  });

  it('keeps every value of attributes whose names make the same key, each under a key with a definition', () => {
    // Intercom's attribute names are free text: these pairs differ only where a key cannot (case,
    // punctuation, what lies past 255 characters), and "Order ID 2" is what a suffix would make.
    const pool = [
      'Order ID',
      'Order id',
      'order_id',
      'ORDER-ID',
      'Order ID 2',
      'ID',
      'id',
      `${'Long name '.repeat(30)}A`,
      `${'Long name '.repeat(30)}B`,
    ];
    const attribute = fc.record({
      id: fc.stringMatching(/^[1-9][0-9]{0,3}$/),
      data_type: fc.constantFrom('string', 'list', 'integer'),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: pool.length }),
        fc.array(attribute, { minLength: pool.length, maxLength: pool.length }),
        fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 3 }),
        (listedNames, shapes, extraNames) => {
          const data = listedNames.map((name, i) => ({ ...shapes[i], name }));
          const given = [...new Set([...listedNames, ...extraNames])];
          const values = Object.fromEntries(given.map((name, i) => [name, `value ${i}`]));
          const type = {
            id: '9',
            name: 'Order',
            category: 'Customer',
            ticket_type_attributes: { type: 'list', data },
          };
          const ticket = Ticket.parse({
            type: 'ticket',
            id: '31',
            ticket_type: type,
            ticket_state: { category: 'submitted' },
            created_at: 1_700_000_000,
            ticket_attributes: values,
            ticket_parts: { ticket_parts: [], total_count: 0 },
            contacts: { contacts: [] },
          });
          const attributes = ticketCustomAttributes(ticket);
          const definitions = new Set(
            ticketAttributeDefinitions(ticket.ticket_type ? [ticket.ticket_type] : []).map((d) => d.key),
          );
          assert.equal(definitions.size, listedNames.length);
          for (const [name, value] of Object.entries(values)) {
            const holding = Object.entries(attributes).filter(([, stored]) => stored === value);
            assert.equal(holding.length, 1, `${name}: ${holding.length} keys hold its value`);
            const [key] = holding[0] as [string, unknown];
            assert.match(key, ATTRIBUTE_KEY);
            assert.ok([...key].length <= 255, key);
            if (listedNames.includes(name))
              assert.ok(definitions.has(key), `${name} -> ${key} has no definition`);
          }
        },
      ),
    );
  });

  it('gives the same definitions for the types in any order', () => {
    fc.assert(
      fc.property(fc.array(ticketArbitrary, { maxLength: 4 }), (tickets) => {
        const types = tickets.map((t) => t.ticket_type).filter((t) => t !== null && t !== undefined);
        assert.deepEqual(ticketAttributeDefinitions([...types].reverse()), ticketAttributeDefinitions(types));
      }),
    );
  });

  it('settles a key shared by two attributes the same way in any order (the counterexample CI found)', () => {
    const typeWith = (typeId: string, attributeId: string, dataType: string) => ({
      id: typeId,
      name: `Type ${typeId}`,
      category: 'Customer',
      ticket_type_attributes: { type: 'list', data: [{ id: attributeId, name: 'A', data_type: dataType }] },
    });
    const sameId = [typeWith('1', '1', 'datetime'), typeWith('2', '1', 'string')];
    const forward = ticketAttributeDefinitions(sameId);
    assert.deepEqual(ticketAttributeDefinitions([...sameId].reverse()), forward);
    assert.equal(forward.length, 1);
    // The older id wins, and "9" is older than "10".
    const olderShorter = [typeWith('1', '10', 'string'), typeWith('2', '9', 'datetime')];
    assert.equal(ticketAttributeDefinitions(olderShorter)[0]?.type, 'date');
    assert.equal(ticketAttributeDefinitions([...olderShorter].reverse())[0]?.type, 'date');
  });

  it("never lets a type's attribute named like the migration's own keys overwrite them", () => {
    const names = ['ID', 'id', 'Number', 'Type', 'Category', 'State'];
    const ticket = Ticket.parse({
      type: 'ticket',
      id: '777',
      ticket_id: '12',
      ticket_type: {
        id: '5',
        name: 'Bug',
        category: 'Customer',
        ticket_type_attributes: {
          type: 'list',
          data: names.map((name, i) => ({ id: String(100 + i), name, data_type: 'string' })),
        },
      },
      ticket_state: { category: 'submitted' },
      created_at: 1_700_000_000,
      ticket_attributes: { _default_title_: 'Title', ID: 'X-1', Number: 'N-2', Type: 'T', State: 'S' },
      ticket_parts: { ticket_parts: [], total_count: 0 },
      contacts: { contacts: [] },
    });
    const attributes = ticketCustomAttributes(ticket);
    assert.equal(attributes.intercom_ticket_id, '777');
    assert.equal(attributes.intercom_ticket_number, '12');
    assert.equal(attributes.intercom_ticket_type, 'Bug');
    assert.equal(attributes.intercom_ticket_state, 'submitted');
    assert.equal(attributes.intercom_ticket_attribute_id, 'X-1');
    assert.equal(attributes.intercom_ticket_attribute_number, 'N-2');
    assert.equal(attributes.intercom_ticket_attribute_type, 'T');
    assert.equal(attributes.intercom_ticket_attribute_state, 'S');
    const keys = ticketAttributeDefinitions(ticket.ticket_type ? [ticket.ticket_type] : []).map((d) => d.key);
    assert.deepEqual(keys, [
      'intercom_ticket_attribute_category',
      'intercom_ticket_attribute_id',
      'intercom_ticket_attribute_id_2',
      'intercom_ticket_attribute_number',
      'intercom_ticket_attribute_state',
      'intercom_ticket_attribute_type',
    ]);
  });

  it('maps a closed or resolved ticket to resolved, a snoozed one to snoozed, the rest to open', () => {
    fc.assert(
      fc.property(ticketArbitrary, (ticket) => {
        const { status, snoozedUntil } = mapTicketStatus(ticket);
        if (ticket.open === false || ticket.ticket_state?.category === 'resolved')
          assert.equal(status, 'resolved');
        else if (ticket.snoozed_until)
          assert.deepEqual([status, snoozedUntil], ['snoozed', ticket.snoozed_until]);
        else assert.equal(status, 'open');
      }),
    );
  });
});

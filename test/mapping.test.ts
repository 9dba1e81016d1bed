import assert from 'node:assert/strict';
import { Article, Contact, Conversation } from '../src/clients/intercom/schemas.js';
import {
  articlePartTitle,
  articlePayload,
  CHATWOOT_LIMITS,
  categorySlug,
  contactPayload,
  conversationAdditionalAttributes,
  conversationCustomAttributes,
  conversationLabels,
  customAttributes,
  FROM_INTERCOM_LABEL,
  labelSlug,
  mapConversationStatus,
  mergeContactsByEmail,
  messageDirection,
  normalizeEmail,
  normalizePhone,
  type PlanMessagesOptions,
  planMessages,
  splitArticle,
  stableHash,
} from '../src/mapping/index.js';

const SEP_13_2020 = 1_600_000_000; // 2020-09-13 12:26:40 UTC

const ann = { type: 'admin', id: '9', name: 'Ann Smith', email: 'Ann@Example.com' };
const joe = { type: 'user', id: 'u1', name: 'Joe Bloggs', email: 'joe@bloggs.com' };

function conversation(parts: unknown[], overrides: Record<string, unknown> = {}) {
  return Conversation.parse({
    id: '525',
    created_at: SEP_13_2020,
    updated_at: SEP_13_2020 + 500,
    state: 'closed',
    source: { type: 'conversation', id: '4039', body: '<p>Where is my <b>order</b>?</p>', author: joe },
    conversation_parts: { conversation_parts: parts },
    ...overrides,
  });
}

function part(
  id: string,
  partType: string,
  body: string | null,
  createdAt: number,
  author: object,
  extra = {},
) {
  return {
    type: 'conversation_part',
    id,
    part_type: partType,
    body,
    created_at: createdAt,
    author,
    ...extra,
  };
}

const plain: PlanMessagesOptions = { activityParts: 'note', timestampLine: false };

describe('mapping: contacts', () => {
  it('normalizes emails the way Chatwoot stores them', () => {
    assert.equal(normalizeEmail('  Ann.Smith@Example.COM '), 'ann.smith@example.com');
    for (const invalid of [
      '',
      '   ',
      'no-at-sign',
      'two@@example.com',
      'a b@example.com',
      'a@',
      null,
      undefined,
    ]) {
      assert.equal(normalizeEmail(invalid), undefined, String(invalid));
    }
    assert.equal(normalizeEmail(`${'a'.repeat(250)}@example.com`), undefined);
  });

  it('makes phones E.164 when valid and keeps the original otherwise', () => {
    assert.deepEqual(normalizePhone('+1 (415) 555-2671'), { e164: '+14155552671' });
    assert.deepEqual(normalizePhone('(415) 555-2671', 'US'), { e164: '+14155552671' });
    assert.deepEqual(normalizePhone('020 7946 0958', 'GB'), { e164: '+442079460958' });
    assert.deepEqual(normalizePhone('(415) 555-2671'), { original: '(415) 555-2671' });
    assert.deepEqual(normalizePhone(' call me '), { original: 'call me' });
    assert.deepEqual(normalizePhone('+1 415 555 2671 ext. 12'), {
      e164: '+14155552671',
      original: '+1 415 555 2671 ext. 12',
    });
    assert.deepEqual(normalizePhone(''), {});
    assert.deepEqual(normalizePhone(null), {});
  });

  it('builds the Chatwoot contact payload', () => {
    const contact = Contact.parse({
      id: '6762f1571bb69f9f2193bbbb',
      role: 'user',
      external_id: 'ext-70',
      email: ' Joe@Bloggs.COM ',
      phone: '555-2671',
      name: ' Joe Bloggs ',
      created_at: SEP_13_2020,
      updated_at: SEP_13_2020,
      location: { city: 'Dublin', country: 'Ireland', region: null },
      companies: { data: [{ id: 'co-1' }, { id: 'co-2' }] },
      custom_attributes: {
        'Plan Type': 'pro',
        seats: 12,
        trial: false,
        tags: ['a', 'b'],
        profile: { tier: 2 },
        gone: null,
        name: 'shadow',
      },
    });
    assert.deepEqual(contactPayload(contact, { companyNames: { 'co-2': 'Acme', other: 'X' } }), {
      // The external id: what the site passes to $chatwoot.setUser.
      identifier: 'ext-70',
      name: 'Joe Bloggs',
      email: 'joe@bloggs.com',
      additional_attributes: {
        intercom_id: '6762f1571bb69f9f2193bbbb',
        intercom_role: 'user',
        intercom_external_id: 'ext-70',
        original_phone: '555-2671',
        company_name: 'Acme',
        city: 'Dublin',
        country: 'Ireland',
        intercom_created_at: '2020-09-13T12:26:40.000Z',
      },
      custom_attributes: {
        intercom_name: 'shadow',
        plan_type: 'pro',
        profile: '{"tier":2}',
        seats: 12,
        tags: '["a","b"]',
        trial: false,
      },
    });
  });

  it('always sets an identifier and falls back to the email, then role and id, for the name', () => {
    const base = { role: 'lead', created_at: SEP_13_2020, updated_at: SEP_13_2020 };
    const withEmail = contactPayload(Contact.parse({ ...base, id: '1', email: 'A@B.CO', name: '  ' }));
    assert.equal(withEmail.name, 'a@b.co');
    assert.equal(withEmail.identifier, 'intercom:1');
    const anonymous = contactPayload(Contact.parse({ ...base, id: '2', phone: '+353 1 234 5678' }));
    assert.equal(anonymous.name, 'Intercom lead 2');
    assert.equal(anonymous.identifier, 'intercom:2');
    assert.equal(anonymous.phone_number, '+35312345678');
    assert.equal(anonymous.email, undefined);
    assert.equal(contactPayload(Contact.parse({ ...base, id: '3', name: 'n'.repeat(400) })).name.length, 255);
  });

  it('keeps colliding custom attribute keys apart', () => {
    assert.deepEqual(customAttributes({ planType: 'b', 'Plan Type': 'a', plan_type: 'c' }), {
      plan_type: 'a',
      plan_type_2: 'b',
      plan_type_3: 'c',
    });
  });

  it('merges contacts whose emails differ only by case, keeping the earliest', () => {
    const contacts = [
      { id: 'c3', email: 'ANN@example.com', created_at: 300, updated_at: 300 },
      { id: 'c1', email: 'ann@example.com', created_at: 100, updated_at: 100 },
      { id: 'c2', email: ' Ann@Example.com ', created_at: 100, updated_at: 100 },
      { id: 'c4', email: 'bob@example.com', created_at: 50, updated_at: 50 },
      { id: 'c5', email: null, created_at: 10, updated_at: 10 },
      { id: 'c6', email: 'not an email', created_at: 10, updated_at: 10 },
    ];
    const plan = mergeContactsByEmail(contacts);
    assert.deepEqual(plan, {
      canonicalIdByEmail: { 'ann@example.com': 'c1', 'bob@example.com': 'c4' },
      canonicalIdByContactId: { c1: 'c1', c2: 'c1', c3: 'c1', c4: 'c4', c5: 'c5', c6: 'c6' },
      merged: [{ email: 'ann@example.com', canonicalId: 'c1', mergedIds: ['c2', 'c3'] }],
    });
    assert.deepEqual(mergeContactsByEmail([...contacts].reverse()), plan);
  });

  it('counts a contact listed twice once, in its latest version', () => {
    const plan = mergeContactsByEmail([
      { id: 'c1', email: 'old@example.com', created_at: 1, updated_at: 1 },
      { id: 'c1', email: 'new@example.com', created_at: 1, updated_at: 2 },
      { id: 'c2', email: 'old@example.com', created_at: 5, updated_at: 5 },
    ]);
    assert.deepEqual(plan.canonicalIdByEmail, { 'new@example.com': 'c1', 'old@example.com': 'c2' });
    assert.deepEqual(plan.merged, []);
  });
});

describe('mapping: labels', () => {
  it('turns tag names into Chatwoot label titles', () => {
    assert.equal(labelSlug('Billing / VAT 2.0'), 'billing-vat-2-0');
    assert.equal(labelSlug('  VIP  '), 'vip');
    assert.equal(labelSlug('needs_review'), 'needs_review');
    assert.equal(labelSlug('中文 标签'), '中文-标签');
    assert.equal(labelSlug('Ünïcödé'), 'ünïcödé');
    assert.equal(labelSlug('...'), `tag-${stableHash('...')}`);
    assert.equal(labelSlug('a'.repeat(300)).length, 255);
  });

  it('gives each conversation its unique, sorted labels plus from_intercom', () => {
    assert.deepEqual(conversationLabels(['VIP', 'vip', 'Billing issue']), [
      'billing-issue',
      FROM_INTERCOM_LABEL,
      'vip',
    ]);
    assert.deepEqual(conversationLabels([]), ['from_intercom']);
  });
});

describe('mapping: conversations', () => {
  it('maps states to Chatwoot statuses', () => {
    assert.equal(mapConversationStatus('open'), 'open');
    assert.equal(mapConversationStatus('closed'), 'resolved');
    assert.equal(mapConversationStatus('snoozed'), 'snoozed');
    assert.equal(mapConversationStatus('Closed '), 'resolved');
    assert.equal(mapConversationStatus('archived'), 'open');
    assert.equal(mapConversationStatus(undefined), 'open');
  });

  it('stamps the conversation with scalar custom attributes', () => {
    const conv = conversation([], {
      title: ' Refund ',
      priority: 'priority',
      conversation_rating: { rating: 4, remark: 'Quick!' },
    });
    assert.deepEqual(conversationCustomAttributes(conv), {
      intercom_conversation_id: '525',
      intercom_created_at: '2020-09-13T12:26:40.000Z',
      intercom_updated_at: '2020-09-13T12:35:00.000Z',
      intercom_title: 'Refund',
      intercom_priority: 'priority',
      intercom_rating: 4,
    });
    assert.deepEqual(conversationCustomAttributes(conversation([])), {
      intercom_conversation_id: '525',
      intercom_created_at: '2020-09-13T12:26:40.000Z',
      intercom_updated_at: '2020-09-13T12:35:00.000Z',
    });
  });

  it('keeps conversation context in additional attributes', () => {
    const conv = conversation([part('1', 'comment', '<p>x</p>', SEP_13_2020 + 1, ann)], {
      source: {
        type: 'email',
        id: '77',
        delivered_as: 'customer_initiated',
        subject: '<p>Order &amp; refund</p>',
        body: '<p>Hi</p>',
        author: joe,
        url: 'https://shop.example/checkout',
      },
      admin_assignee_id: 991267715,
      team_assignee_id: '5017691',
      contacts: { contacts: [{ type: 'contact', id: 'c1' }] },
      snoozed_until: SEP_13_2020 + 3600,
      conversation_rating: { rating: 5, remark: 'Great' },
      statistics: { count_conversation_parts: 3 },
      custom_attributes: { 'Issue Type': 'Bug' },
    });
    assert.deepEqual(conversationAdditionalAttributes(conv), {
      intercom_state: 'closed',
      referer: 'https://shop.example/checkout',
      intercom_subject: 'Order & refund',
      intercom_source_type: 'email',
      intercom_delivered_as: 'customer_initiated',
      intercom_admin_assignee_id: '991267715',
      intercom_team_assignee_id: '5017691',
      intercom_contact_ids: ['c1'],
      intercom_snoozed_until: '2020-09-13T13:26:40.000Z',
      intercom_rating_remark: 'Great',
      intercom_parts_count: 3,
      intercom_parts_exported: 1,
      intercom_custom_attributes: { 'Issue Type': 'Bug' },
    });
  });
});

describe('mapping: what the API description lets Intercom leave out', () => {
  it('reads an admin_assignee_id or team_assignee_id of 0 as unassigned', () => {
    for (const zero of [0, '0']) {
      const conv = conversation([], { admin_assignee_id: zero, team_assignee_id: zero });
      assert.equal(conv.admin_assignee_id, null);
      assert.equal(conv.team_assignee_id, null);
      const attributes = conversationAdditionalAttributes(conv);
      assert.ok(!('intercom_admin_assignee_id' in attributes), `admin ${typeof zero} 0`);
      assert.ok(!('intercom_team_assignee_id' in attributes), `team ${typeof zero} 0`);
    }
    assert.equal(conversation([], { admin_assignee_id: 7 }).admin_assignee_id, '7');
  });

  it('keys an opening message without id by its conversation, the same on every run, apart from parts', () => {
    const withoutId = (id: string) =>
      conversation([part('1', 'comment', '<p>x</p>', SEP_13_2020 + 1, ann)], {
        id,
        source: { type: 'conversation', id: null, body: '<p>Hi</p>', author: joe },
      });
    const plan = planMessages(withoutId('525'), { activityParts: 'activity', timestampLine: false });
    assert.deepEqual(
      plan.map((m) => m.sourceId),
      ['source:conversation-525', '1'],
    );
    assert.deepEqual(
      planMessages(withoutId('525'), { activityParts: 'activity', timestampLine: false }).map(
        (m) => m.sourceId,
      ),
      ['source:conversation-525', '1'],
    );
    // Another conversation's opening, and a present source id equal to this conversation's id, differ.
    assert.equal(
      planMessages(withoutId('526'), { activityParts: 'activity', timestampLine: false })[0]?.sourceId,
      'source:conversation-526',
    );
    const idAsSource = conversation([], { source: { id: '525', body: '<p>Hi</p>', author: joe } });
    assert.equal(
      planMessages(idAsSource, { activityParts: 'activity', timestampLine: false })[0]?.sourceId,
      'source:525',
    );
  });

  it('maps a blank (Twitter) author as an unknown, outgoing author and keeps the part', () => {
    for (const author of [undefined, null, {}, { type: '', id: '', name: null, email: null }]) {
      const raw = part('2', 'comment', '<p>tweet</p>', SEP_13_2020 + 2, {});
      const conv = conversation([{ ...raw, author }]);
      const message = planMessages(conv, { activityParts: 'activity', timestampLine: true }).find(
        (m) => m.partId === '2',
      );
      assert.ok(message, `author ${JSON.stringify(author)}`);
      assert.equal(message.messageType, 'outgoing');
      assert.ok(message.authorName.trim());
      assert.match(message.content, /tweet/);
    }
  });

  it('takes missing times and state from what the conversation has', () => {
    const conv = Conversation.parse({
      id: '9',
      open: false,
      source: { id: '1', body: '<p>Hi</p>', author: joe },
      conversation_parts: {
        conversation_parts: [
          { id: 'a', part_type: 'comment', body: '<p>1</p>', author: ann },
          { id: 'b', part_type: 'comment', body: '<p>2</p>', author: ann, created_at: SEP_13_2020 + 9 },
          { id: 'c', part_type: 'comment', body: '<p>3</p>', author: ann },
        ],
      },
    });
    assert.equal(conv.state, 'closed', 'from open: false');
    assert.equal(conv.created_at, SEP_13_2020 + 9, 'from the first timed part');
    assert.equal(conv.updated_at, SEP_13_2020 + 9);
    const times = (conv.conversation_parts?.conversation_parts ?? []).map((p) => p.created_at);
    assert.deepEqual(times, [SEP_13_2020 + 9, SEP_13_2020 + 9, SEP_13_2020 + 9], 'each from the one before');
    const order = planMessages(conv, { activityParts: 'activity', timestampLine: false }).map(
      (m) => m.sourceId,
    );
    assert.deepEqual(order, ['source:1', 'a', 'b', 'c'], 'listed order kept');
  });
});

describe('mapping: planMessages', () => {
  it('puts the opening message first, then the parts in time order, ties in original order', () => {
    const conv = conversation([
      part('3', 'comment', '<p>third</p>', SEP_13_2020 + 20, joe),
      part('1', 'comment', '<p>first</p>', SEP_13_2020 + 10, ann),
      part('2', 'note', '<p>second</p>', SEP_13_2020 + 10, ann),
    ]);
    const plan = planMessages(conv, plain);
    assert.deepEqual(
      plan.map((m) => [m.sourceId, m.content]),
      [
        ['source:4039', 'Where is my **order**?'],
        ['1', 'first'],
        ['2', 'second'],
        ['3', 'third'],
      ],
    );
  });

  it('sets direction by author and makes notes private outgoing messages', () => {
    const lead = { type: 'lead', id: 'l1', name: 'Lee' };
    const contact = { type: 'contact', id: 'k1' };
    const bot = { type: 'bot', id: '278', name: 'Fin' };
    const plan = planMessages(
      conversation([
        part('1', 'comment', '<p>a</p>', 1, ann),
        part('2', 'comment', '<p>b</p>', 2, lead),
        part('3', 'comment', '<p>c</p>', 3, contact),
        part('4', 'comment', '<p>d</p>', 4, bot),
        part('5', 'note', '<p>e</p>', 5, ann),
        part('6', 'note_and_reopen', '<p>f</p>', 6, ann),
      ]),
      plain,
    );
    assert.deepEqual(
      plan.map((m) => [m.sourceId, m.kind, m.messageType, m.private]),
      [
        ['source:4039', 'message', 'incoming', false],
        ['1', 'message', 'outgoing', false],
        ['2', 'message', 'incoming', false],
        ['3', 'message', 'incoming', false],
        ['4', 'message', 'outgoing', false],
        ['5', 'note', 'outgoing', true],
        ['6', 'note', 'outgoing', true],
      ],
    );
    assert.equal(messageDirection('USER'), 'incoming');
    assert.equal(messageDirection('team'), 'outgoing');
    assert.equal(messageDirection(undefined), 'outgoing');
  });

  it('prefixes each message with its original UTC time and author', () => {
    const [opening, reply] = planMessages(
      conversation([part('1', 'comment', '<p>Hello</p>', SEP_13_2020 + 60, ann)]),
      {
        activityParts: 'note',
        timestampLine: true,
      },
    );
    assert.equal(opening.content, '— 2020-09-13 12:26:40 UTC · Joe Bloggs\n\nWhere is my **order**?');
    assert.equal(reply.content, '— 2020-09-13 12:27:40 UTC · Ann Smith\n\nHello');
    assert.equal(reply.externalCreatedAt, SEP_13_2020 + 60);
    assert.equal(reply.authorType, 'admin');
    assert.equal(reply.authorId, '9');
    assert.equal(reply.authorName, 'Ann Smith');
    assert.equal(reply.authorEmail, 'ann@example.com');
  });

  it('describes state changes without a body as activity notes, or skips them', () => {
    const conv = conversation([
      part('1', 'assignment', null, 1, ann, { assigned_to: { type: 'team', id: '5' } }),
      part('2', 'assignment', '', 2, ann, { assigned_to: { type: 'admin', id: '10' } }),
      part('3', 'assignment', null, 3, ann, { assigned_to: { type: 'nobody_admin', id: null } }),
      part('4', 'close', null, 4, ann),
      part('5', 'open', null, 5, { type: 'admin', id: '11' }),
      part('6', 'snoozed', null, 6, ann, { snoozed_until: SEP_13_2020 }),
      part('7', 'custom_action_started', null, 7, { type: 'bot', id: '278', name: 'Fin' }),
      part('8', 'assign_and_reopen', null, 8, ann, { assigned_to: { type: 'admin', id: '10' } }),
    ]);
    const notes = planMessages(conv, { ...plain, teamNames: { '5': 'Billing' }, adminNames: { '10': 'Bo' } });
    assert.deepEqual(
      notes.slice(1).map((m) => [m.sourceId, m.kind, m.private, m.messageType, m.content]),
      [
        ['1', 'activity', true, 'outgoing', 'Assigned to team Billing by Ann Smith'],
        ['2', 'activity', true, 'outgoing', 'Assigned to Bo by Ann Smith'],
        ['3', 'activity', true, 'outgoing', 'Unassigned by Ann Smith'],
        ['4', 'activity', true, 'outgoing', 'Closed by Ann Smith'],
        ['5', 'activity', true, 'outgoing', 'Reopened by Intercom admin 11'],
        ['6', 'activity', true, 'outgoing', 'Snoozed until 2020-09-13T12:26:40.000Z by Ann Smith'],
        ['7', 'activity', true, 'outgoing', 'Custom action started (Fin)'],
        ['8', 'activity', true, 'outgoing', 'Reopened and assigned to Bo by Ann Smith'],
      ],
    );
    assert.equal(
      planMessages(conv, { ...plain, teamNames: {} })[1].content,
      'Assigned to team 5 by Ann Smith',
    );
    assert.deepEqual(
      planMessages(conv, { ...plain, activityParts: 'skip' }).map((m) => m.sourceId),
      ['source:4039'],
    );
  });

  it('keeps the body of a state change as a public message, with the event as a note', () => {
    const conv = conversation([
      part('132', 'open', '<p>Thanks again :)</p>', 1, joe),
      part('133', 'close', '<p>Done!</p>', 2, ann),
    ]);
    assert.deepEqual(
      planMessages(conv, plain).map((m) => [m.sourceId, m.kind, m.messageType, m.private, m.content]),
      [
        ['source:4039', 'message', 'incoming', false, 'Where is my **order**?'],
        ['132', 'message', 'incoming', false, 'Thanks again :)'],
        ['132:event', 'activity', 'outgoing', true, 'Reopened by Joe Bloggs'],
        ['133', 'message', 'outgoing', false, 'Done!'],
        ['133:event', 'activity', 'outgoing', true, 'Closed by Ann Smith'],
      ],
    );
    assert.deepEqual(
      planMessages(conv, { ...plain, activityParts: 'skip' }).map((m) => m.sourceId),
      ['source:4039', '132', '133'],
    );
  });

  it('makes state changes Chatwoot activity messages: one line, Chatwoot’s words, the original time', () => {
    const fin = { type: 'bot', id: '278', name: 'Fin' };
    const conv = conversation([
      part('1', 'assignment', null, SEP_13_2020 + 60, ann, { assigned_to: { type: 'team', id: '5' } }),
      part('2', 'assignment', '', SEP_13_2020 + 120, ann, { assigned_to: { type: 'admin', id: '10' } }),
      part('3', 'assignment', null, SEP_13_2020 + 180, ann, {
        assigned_to: { type: 'nobody_admin', id: null },
      }),
      part('4', 'close', null, SEP_13_2020 + 240, ann),
      part('5', 'open', null, SEP_13_2020 + 300, { type: 'admin', id: '11' }),
      part('6', 'snoozed', null, SEP_13_2020 + 360, ann, { snoozed_until: SEP_13_2020 + 86_400 }),
      part('7', 'timer_unsnooze', null, SEP_13_2020 + 420, fin),
      part('8', 'custom_action_started', null, SEP_13_2020 + 480, fin),
      part('9', 'close', '<p>Done!</p>', SEP_13_2020 + 540, { ...ann, name: 'Ann *the* Smith' }),
    ]);
    const options: PlanMessagesOptions = {
      activityParts: 'activity',
      timestampLine: true,
      teamNames: { '5': 'Billing' },
      adminNames: { '10': 'Bo' },
    };
    const plan = planMessages(conv, options);
    assert.deepEqual(
      plan.slice(1).map((m) => [m.sourceId, m.kind, m.messageType, m.private, m.content]),
      [
        ['1', 'activity', 'activity', false, 'Assigned to Billing by Ann Smith · 2020-09-13 12:27 UTC'],
        ['2', 'activity', 'activity', false, 'Assigned to Bo by Ann Smith · 2020-09-13 12:28 UTC'],
        ['3', 'activity', 'activity', false, 'Conversation unassigned by Ann Smith · 2020-09-13 12:29 UTC'],
        [
          '4',
          'activity',
          'activity',
          false,
          'Conversation was marked resolved by Ann Smith · 2020-09-13 12:30 UTC',
        ],
        [
          '5',
          'activity',
          'activity',
          false,
          'Conversation was reopened by Intercom admin 11 · 2020-09-13 12:31 UTC',
        ],
        [
          '6',
          'activity',
          'activity',
          false,
          'Conversation was snoozed until 2020-09-14 12:26 UTC by Ann Smith · 2020-09-13 12:32 UTC',
        ],
        [
          '7',
          'activity',
          'activity',
          false,
          'Conversation was reopened as its snooze ended · 2020-09-13 12:33 UTC',
        ],
        ['8', 'activity', 'activity', false, 'Custom action started (Fin) · 2020-09-13 12:34 UTC'],
        ['9', 'message', 'outgoing', false, '— 2020-09-13 12:35:40 UTC · Ann \\*the\\* Smith\n\nDone!'],
        // Plain text: the dashboard renders an activity's content as HTML, not Markdown.
        [
          '9:event',
          'activity',
          'activity',
          false,
          'Conversation was marked resolved by Ann *the* Smith · 2020-09-13 12:35 UTC',
        ],
      ],
    );
    assert.ok(plan.slice(1).every((m) => m.externalCreatedAt >= SEP_13_2020 + 60));
    // The same source ids in every mode: a resumed import finds what an earlier attempt posted.
    const ids = (mode: PlanMessagesOptions['activityParts']) =>
      planMessages(conv, { ...options, activityParts: mode }).map((m) => m.sourceId);
    assert.deepEqual(ids('activity'), ids('note'));
    assert.deepEqual(ids('skip'), ['source:4039', '9']);
  });

  it('marks parts written by an Intercom bot, never the migration’s own notes', () => {
    const fin = { type: 'Bot', id: '278', name: 'Fin', email: 'operator+abc@intercom.io' };
    const plan = planMessages(
      conversation([
        part('1', 'comment', '<p>I am Fin</p>', 1, fin),
        part('2', 'note', '<p>handed over</p>', 2, fin),
        part('3', 'comment', '<p>Ann here</p>', 3, ann),
        part('4', 'close', null, 4, fin),
      ]),
      { activityParts: 'activity', timestampLine: false },
    );
    assert.deepEqual(
      plan.map((m) => [m.sourceId, m.messageType, m.botAuthored]),
      [
        ['source:4039', 'incoming', false],
        ['1', 'outgoing', true],
        ['2', 'outgoing', true],
        ['3', 'outgoing', false],
        ['4', 'activity', true],
      ],
    );
    const remark = 'x'.repeat(1_600);
    const withRemark = planMessages(
      conversation([], { conversation_rating: { rating: 5, remark, created_at: 1 } }),
      { activityParts: 'activity', timestampLine: false },
    );
    const note = withRemark.find((m) => m.sourceId === 'attributes:525');
    assert.equal(note?.authorType, 'bot', 'the migration’s note has a bot-typed author...');
    assert.equal(note?.botAuthored, false, '...but no Intercom bot wrote it');
  });

  it('keeps unknown part types with a body as private notes naming the type', () => {
    const plan = planMessages(conversation([part('9', 'quick_reply', '<p>Yes please</p>', 1, joe)]), {
      ...plain,
      activityParts: 'skip',
    });
    assert.deepEqual(
      plan.slice(1).map((m) => [m.sourceId, m.kind, m.private, m.messageType, m.content]),
      [['9', 'note', true, 'outgoing', '_Intercom quick\\_reply_\n\nYes please']],
    );
  });

  it('keeps empty comments that carry attachments and drops empty ones without', () => {
    const attachment = {
      type: 'upload',
      name: 'invoice.pdf',
      url: 'https://downloads.intercomcdn.com/i/o/2/invoice.pdf',
      content_type: 'application/pdf',
      filesize: 2048,
    };
    const plan = planMessages(
      conversation([
        part('1', 'comment', '', 1, joe, { attachments: [attachment] }),
        part('2', 'comment', '<p> </p>', 2, joe),
      ]),
      plain,
    );
    assert.deepEqual(
      plan.map((m) => m.sourceId),
      ['source:4039', '1'],
    );
    assert.equal(plan[1].content, '');
    assert.deepEqual(plan[1].attachments, [
      {
        url: attachment.url,
        name: 'invoice.pdf',
        contentType: 'application/pdf',
        size: 2048,
        index: 0,
        inline: false,
      },
    ]);
  });

  it('lists inline images as attachments after the regular ones, without repeats', () => {
    const body =
      '<p>See <img src="https://downloads.intercomcdn.com/i/o/3/shot.png"> and ' +
      '<img src="https://downloads.intercomcdn.com/i/o/4/file.bin"></p>';
    const [opening] = planMessages(
      conversation([], {
        source: {
          id: '1',
          body,
          author: joe,
          attachments: [{ url: 'https://downloads.intercomcdn.com/i/o/4/file.bin', name: 'file.bin' }],
        },
      }),
      plain,
    );
    assert.deepEqual(opening.attachments, [
      {
        url: 'https://downloads.intercomcdn.com/i/o/4/file.bin',
        name: 'file.bin',
        contentType: 'application/octet-stream',
        index: 0,
        inline: false,
      },
      {
        url: 'https://downloads.intercomcdn.com/i/o/3/shot.png',
        name: 'shot.png',
        contentType: 'image/png',
        index: 1,
        inline: true,
      },
    ]);
    // The body names the attached files; the signed links expire, so none is kept.
    assert.equal(opening.content, 'See [image: shot.png — attached] and [image: file.bin — attached]');
  });

  it('shows the subject of an email conversation first', () => {
    const [opening] = planMessages(
      conversation([], { source: { id: '1', subject: 'Refund', body: '<p>Hi</p>', author: joe } }),
      plain,
    );
    assert.equal(opening.content, '**Refund**\n\nHi');
  });

  it('splits long bodies so that every content, timestamp line included, fits', () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => `<p>${String(i).repeat(40)}</p>`).join('');
    const plan = planMessages(conversation([part('7', 'comment', paragraphs, 1, ann)]), {
      activityParts: 'note',
      timestampLine: true,
      maxContentLength: 120,
    });
    const pieces = plan.filter((m) => m.partId === '7');
    assert.deepEqual(
      pieces.map((m) => m.sourceId),
      ['7', '7:2', '7:3', '7:4', '7:5', '7:6'],
    );
    for (const piece of pieces) assert.ok(piece.content.length <= 120, piece.content);
    assert.ok(pieces[0].content.startsWith('— 1970-01-01 00:00:01 UTC · Ann Smith\n\n0000'));
    assert.ok(pieces[1].content.startsWith('— 1970-01-01 00:00:01 UTC · Ann Smith (continued)\n\n1111'));
    assert.deepEqual(
      pieces.map((m) => m.content.split('\n\n')[1]),
      Array.from({ length: 6 }, (_, i) => String(i).repeat(40)),
    );
    assert.throws(
      () =>
        planMessages(conversation([]), { activityParts: 'note', timestampLine: true, maxContentLength: 30 }),
      RangeError,
    );
  });

  it('spills attachments beyond the per-message limit into extra messages', () => {
    const attachments = Array.from({ length: 33 }, (_, i) => ({
      url: `https://downloads.intercomcdn.com/i/o/${i}/f${i}.txt`,
      name: `f${i}.txt`,
    }));
    const plan = planMessages(
      conversation([part('8', 'comment', '<p>files</p>', 1, ann, { attachments })]),
      plain,
    );
    const messages = plan.filter((m) => m.partId === '8');
    assert.deepEqual(
      messages.map((m) => [m.sourceId, m.content, m.attachments.length]),
      [
        ['8', 'files', 15],
        ['8:a2', '', 15],
        ['8:a3', '', 3],
      ],
    );
    assert.deepEqual(
      messages.flatMap((m) => m.attachments.map((a) => a.index)),
      Array.from({ length: 33 }, (_, i) => i),
    );
    const few = planMessages(conversation([part('8', 'comment', '', 1, ann, { attachments })]), {
      ...plain,
      maxAttachmentsPerMessage: 20,
    });
    assert.deepEqual(
      few.map((m) => m.sourceId),
      ['source:4039', '8', '8:a2'],
    );
  });

  it('plans a part listed twice once', () => {
    const plan = planMessages(
      conversation([part('1', 'comment', '<p>a</p>', 1, ann), part('1', 'comment', '<p>a</p>', 1, ann)]),
      plain,
    );
    assert.deepEqual(
      plan.map((m) => m.sourceId),
      ['source:4039', '1'],
    );
  });
});

describe('mapping: help center', () => {
  it('builds article payloads from HTML bodies', () => {
    const article = Article.parse({
      id: '42',
      title: '  Getting   started ',
      description: 'How to begin',
      body: '<h1>Welcome</h1><p>Read <a href="https://example.com">this</a>.</p>',
      state: 'published',
      default_locale: 'en',
    });
    assert.deepEqual(articlePayload(article), {
      title: 'Getting started',
      content: '# Welcome\n\nRead [this](https://example.com).',
      description: 'How to begin',
      status: 'published',
      locale: 'en',
    });
    assert.equal(
      articlePayload(Article.parse({ id: '43', title: '', state: 'draft' })).title,
      'Intercom article 43',
    );
    assert.equal(articlePayload(Article.parse({ id: '44', title: 'x' })).status, 'draft');
  });

  it('splits long articles and titles the parts', () => {
    const markdown = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(9000)).join('\n\n');
    const pieces = splitArticle(markdown);
    assert.equal(pieces.length, 3);
    for (const piece of pieces) assert.ok(piece.length <= CHATWOOT_LIMITS.text);
    assert.equal(pieces.join('\n\n'), markdown);
    assert.equal(articlePartTitle('Guide', 1), 'Guide');
    assert.equal(articlePartTitle('Guide', 2), 'Guide (part 2)');
    const long = articlePartTitle('t'.repeat(300), 12);
    assert.equal(long.length, 255);
    assert.ok(long.endsWith(' (part 12)'));
  });

  it('makes category slugs', () => {
    assert.equal(categorySlug('Getting Started!'), 'getting-started');
    assert.equal(categorySlug('Café & Crème'), 'cafe-creme');
    assert.equal(categorySlug('Billing', '123'), 'billing-123');
    assert.equal(categorySlug('常见问题', '9'), 'category-9');
    assert.equal(categorySlug('常见问题'), `category-${stableHash('常见问题')}`);
  });
});

/**
 * Text Chatwoot's database cannot store: NUL and lone UTF-16 surrogates. storableText and where the
 * mapping applies it, the Chatwoot sandbox refusing such text as Rails on PostgreSQL does, and how the
 * Intercom client decodes bytes that are not UTF-8.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { IntercomClient } from '../src/clients/intercom/client.js';
import { Article, Collection, Contact, Conversation } from '../src/clients/intercom/schemas.js';
import {
  articlePartTitle,
  articlePayload,
  categoryPayload,
  contactPayload,
  conversationAdditionalAttributes,
  conversationCustomAttributes,
  conversationLabels,
  isStorableText,
  normalizeEmail,
  type PlanMessagesOptions,
  type PlannedMessage,
  planMessages,
  splitArticle,
  storableJson,
  storableText,
} from '../src/mapping/index.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';

const NUL = '\u0000';
const HIGH = '\ud83d'; // the first half of most emoji
const LOW = '\ude00';
const GRINNING = '\ud83d\ude00'; // 😀
const FAMILY = '👩‍👩‍👧';
const REPLACEMENT = '\ufffd';

/** The definition, written as a plain loop over code units (an oracle independent of the regex). */
function referenceStorable(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) continue;
    const high = unit >= 0xd800 && unit <= 0xdbff;
    const low = unit >= 0xdc00 && unit <= 0xdfff;
    const next = text.charCodeAt(i + 1);
    if (high && next >= 0xdc00 && next <= 0xdfff) {
      out += text[i] + text[i + 1];
      i++;
    } else if (high || low) {
      out += REPLACEMENT;
    } else {
      out += text[i];
    }
  }
  return out;
}

/** Node writes U+FFFD for a lone surrogate in UTF-8, so only a well-formed string survives the trip. */
const isWellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;
const storableByDefinition = (text: string) => !text.includes(NUL) && isWellFormed(text);

/** Every string in a value, object keys included. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, entry]) => [key, ...stringsIn(entry)]);
  }
  return [];
}

/** What the importer sends to Chatwoot of a planned message (its source id is the Intercom part id). */
function sentFields(plan: readonly PlannedMessage[]) {
  return plan.map((message) => ({
    content: message.content,
    author: [message.authorType, message.authorId, message.authorName, message.authorEmail],
    attachments: message.attachments.map((attachment) => [attachment.name, attachment.contentType]),
  }));
}

function assertAllStorable(value: unknown, what: string): void {
  for (const text of stringsIn(value)) {
    assert.ok(storableByDefinition(text), `${what} holds unstorable text ${JSON.stringify(text)}`);
  }
}

/** Text that often holds NUL, lone surrogates of both kinds, emoji and whitespace. */
const dirtyText = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(NUL, HIGH, LOW, GRINNING, FAMILY, `${LOW}${HIGH}`, ' ', '\n\n'),
      },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 5, maxLength: 40 }) },
    ),
    { maxLength: 30 },
  )
  .map((chunks) => chunks.join(''));

describe('storableText', () => {
  it('removes NUL and replaces lone surrogates with U+FFFD', () => {
    assert.equal(storableText(`a${NUL}b${NUL}`), 'ab');
    assert.equal(storableText(`Hi ${HIGH}`), `Hi ${REPLACEMENT}`, 'an emoji cut in half at the end');
    assert.equal(storableText(`${LOW}x`), `${REPLACEMENT}x`);
    assert.equal(storableText(`${LOW}${HIGH}`), `${REPLACEMENT}${REPLACEMENT}`, 'a pair in the wrong order');
    assert.equal(storableText(`${HIGH}${GRINNING}`), `${REPLACEMENT}${GRINNING}`);
    assert.equal(storableText(`${GRINNING}${LOW}${NUL}`), `${GRINNING}${REPLACEMENT}`);
  });

  it('returns well-formed text as it is, emoji sequences included', () => {
    for (const text of ['', 'plain', `${GRINNING} ${FAMILY} 🇫🇷 é e\u0301 中文`, '\u0001\u001f\ufffd\uffff']) {
      assert.equal(storableText(text), text);
      assert.ok(isStorableText(text));
    }
    assert.ok(!isStorableText(NUL));
    assert.ok(!isStorableText(HIGH));
    assert.ok(!isStorableText(LOW));
  });

  it('matches the definition, is idempotent, and only NULs shorten the text', () => {
    fc.assert(
      fc.property(dirtyText, (text) => {
        const storable = storableText(text);
        assert.equal(storable, referenceStorable(text));
        assert.equal(storableText(storable), storable);
        assert.ok(storableByDefinition(storable));
        assert.equal(isStorableText(text), storableByDefinition(text));
        const nuls = text.split(NUL).length - 1;
        assert.equal(storable.length, text.length - nuls);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves every well-formed text without NUL unchanged', () => {
    const wellFormed = fc
      .string({ unit: 'grapheme', maxLength: 60 })
      .map((text) => text.replaceAll(NUL, ''))
      .filter(isWellFormed);
    fc.assert(
      fc.property(wellFormed, (text) => {
        assert.equal(storableText(text), text);
      }),
      { numRuns: 500 },
    );
  });

  it('storableJson cleans keys and values at any depth and leaves the input alone', () => {
    const input = {
      [`k${NUL}`]: [`v${HIGH}`, 3, true, null, { deep: `x${NUL}y` }],
      n: 1.5,
      plain: 'ok',
    };
    const copy = structuredClone(input);
    assert.deepEqual(storableJson(input), {
      k: [`v${REPLACEMENT}`, 3, true, null, { deep: 'xy' }],
      n: 1.5,
      plain: 'ok',
    });
    assert.deepEqual(input, copy);
  });
});

const PLAN: PlanMessagesOptions = { activityParts: 'note', timestampLine: true };

function dirtyConversation(body: string, extra: Partial<{ subject: string; author: string }> = {}) {
  return Conversation.parse({
    id: '7',
    created_at: 1_700_000_000,
    updated_at: 1_700_000_100,
    state: 'closed',
    title: `Title ${NUL}${HIGH}`,
    priority: `priority${NUL}`,
    custom_attributes: { [`Plan${NUL}`]: `gold${LOW}`, nested: { list: [`a${NUL}`] } },
    conversation_rating: { rating: 5, remark: `great${NUL}${HIGH}` },
    source: {
      id: 's7',
      type: 'conversation',
      subject: extra.subject ?? `<b>Order ${NUL}42</b>`,
      body,
      url: `https://example.com/${NUL}`,
      author: {
        type: 'user',
        id: 'u1',
        name: extra.author ?? `Ann${NUL} ${HIGH}Smith`,
        email: 'ann@example.com',
      },
      attachments: [
        { url: 'https://downloads.intercomcdn.com/i/o/1/file%00.pdf', name: `bad${NUL}name.pdf` },
        {
          url: 'https://downloads.intercomcdn.com/i/o/2/report.pdf',
          name: null,
          content_type: `text/${NUL}`,
        },
      ],
    },
    conversation_parts: {
      conversation_parts: [
        {
          id: 'p1',
          part_type: 'comment',
          body: `<p>Thanks ${GRINNING}${HIGH}</p>`,
          created_at: 1_700_000_010,
          author: { type: 'admin', id: 'a1', name: `Bob${LOW}` },
          attachments: [],
        },
        {
          id: 'p2',
          part_type: 'note',
          body: `<p>${NUL}</p>`,
          created_at: 1_700_000_020,
          author: { type: 'admin', id: 'a1', name: 'Bob' },
          attachments: [],
        },
        {
          id: 'p3',
          part_type: `close${NUL}`,
          body: null,
          created_at: 1_700_000_030,
          author: { type: `bot${NUL}`, id: `b${NUL}1`, name: `Fin${HIGH}` },
          attachments: [],
        },
      ],
    },
  });
}

describe('mapping outputs are storable', () => {
  it('planMessages cleans bodies, subject, names, attachments and activity notes', () => {
    const conversation = dirtyConversation(`<p>Hello ${NUL}there ${HIGH}</p><p>${FAMILY}</p>`);
    const plan = planMessages(conversation, PLAN);
    assertAllStorable(sentFields(plan), 'the plan');
    const opening = plan.find((message) => message.sourceId === 'source:s7');
    assert.ok(opening);
    assert.match(opening.content, new RegExp(`Hello there ${REPLACEMENT}`));
    assert.ok(opening.content.includes(FAMILY), 'valid emoji sequences survive');
    assert.ok(opening.content.includes('**Order 42**'), opening.content);
    assert.equal(opening.authorName, `Ann ${REPLACEMENT}Smith`);
    assert.deepEqual(
      opening.attachments.map((attachment) => [attachment.name, attachment.contentType]),
      [
        ['badname.pdf', 'application/octet-stream'],
        ['report.pdf', `text/`],
      ],
    );
    const reply = plan.find((message) => message.sourceId === 'p1');
    assert.ok(reply?.content.endsWith(`Thanks ${GRINNING}${REPLACEMENT}`), reply?.content);
    assert.deepEqual(
      plan.filter((message) => message.partId === 'p2').map((message) => message.kind),
      ['activity'],
      'a note of nothing but NUL is an empty note: only described',
    );
    const activity = plan.find((message) => message.partId === 'p3');
    assert.ok(activity, 'the state change is still described');
    assert.equal(activity.authorType, 'bot');
    assert.equal(activity.authorId, 'b1');
  });

  it('planMessages splits cleaned text, so no piece starts or ends with half a character', () => {
    fc.assert(
      fc.property(dirtyText, fc.integer({ min: 120, max: 400 }), (text, maxContentLength) => {
        const body = `<p>${text.replaceAll('<', ' ').replaceAll('&', ' ')}</p>`.repeat(4);
        const plan = planMessages(dirtyConversation(body), { ...PLAN, maxContentLength });
        assertAllStorable(sentFields(plan), 'the plan');
        for (const message of plan) assert.ok(message.content.length <= maxContentLength);
      }),
      { numRuns: 150 },
    );
  });

  it('contactPayload cleans every text it sends', () => {
    const contact = Contact.parse({
      id: 'c1',
      role: `user${NUL}`,
      external_id: `ext${HIGH}`,
      name: `Ann${NUL} Smith`,
      email: ` Ann${NUL}@Example.com `,
      phone: `+1 415 555 0100${NUL} ext. ${HIGH}9`,
      created_at: 1_700_000_000,
      updated_at: 1_700_000_000,
      location: { city: `Paris${LOW}`, country: `France${NUL}` },
      custom_attributes: {
        [`tier${NUL}`]: `gold${HIGH}`,
        blob: { [`k${NUL}`]: `v${LOW}` },
        count: 3,
      },
    });
    const payload = contactPayload(contact, { companyNames: {} });
    assertAllStorable(payload, 'the contact payload');
    assert.equal(payload.name, 'Ann Smith');
    assert.equal(payload.email, 'ann@example.com');
    assert.equal(payload.additional_attributes.intercom_role, 'user');
    assert.equal(payload.additional_attributes.city, `Paris${REPLACEMENT}`);
    assert.equal(payload.custom_attributes.tier, `gold${REPLACEMENT}`);
    assert.equal(payload.custom_attributes.blob, JSON.stringify({ k: `v${REPLACEMENT}` }));
    assert.equal(normalizeEmail(`${HIGH}@x.y`), `${REPLACEMENT}@x.y`);
  });

  it('contactPayload output is storable for any text fields', () => {
    fc.assert(
      fc.property(dirtyText, dirtyText, dirtyText, dirtyText, (name, email, phone, value) => {
        const contact = Contact.parse({
          id: 'c2',
          role: 'lead',
          name,
          email,
          phone,
          external_id: value,
          created_at: 1,
          updated_at: 1,
          location: { city: value },
          custom_attributes: { [name]: value, other: [value, { [email]: phone }] },
        });
        assertAllStorable(contactPayload(contact), 'the contact payload');
      }),
      { numRuns: 300 },
    );
  });

  it('conversation attributes, labels and help-center payloads are storable', () => {
    const conversation = dirtyConversation('<p>x</p>');
    const custom = conversationCustomAttributes(conversation);
    assertAllStorable(custom, 'custom attributes');
    assert.equal(custom.intercom_title, `Title ${REPLACEMENT}`);
    assert.equal(custom.intercom_conversation_id, '7', 'the lookup key is kept as it is');
    const additional = conversationAdditionalAttributes(conversation);
    assertAllStorable(additional, 'additional attributes');
    assert.deepEqual(additional.intercom_custom_attributes, {
      Plan: `gold${REPLACEMENT}`,
      nested: { list: ['a'] },
    });
    assert.equal(additional.intercom_rating_remark, `great${REPLACEMENT}`);
    assertAllStorable(conversationLabels([`VIP${NUL}`, HIGH, `a${LOW}b`, NUL]), 'labels');

    const article = Article.parse({
      id: '5',
      title: `Refunds ${NUL}${HIGH}`,
      description: `How${NUL}`,
      body: `<p>${'Long paragraph. '.repeat(40)}${HIGH}</p><p>more ${NUL}text</p>`,
      state: 'published',
      default_locale: `en${NUL}`,
    });
    const payload = articlePayload(article);
    assertAllStorable(payload, 'the article payload');
    assert.equal(payload.title, `Refunds ${REPLACEMENT}`);
    const pieces = splitArticle(`${payload.content}${HIGH}`, 200);
    assertAllStorable(pieces, 'article pieces');
    assert.equal(articlePartTitle(`T${NUL}`, 2), 'T (part 2)');
    const category = categoryPayload(
      Collection.parse({ id: '9', name: `Billing${NUL}`, description: `All ${HIGH}`, default_locale: null }),
    );
    assert.deepEqual(category, {
      name: 'Billing',
      slug: 'billing-9',
      locale: 'en',
      description: `All ${REPLACEMENT}`,
    });
  });
});

describe('the Chatwoot sandbox refuses unstorable text as Rails on PostgreSQL does', () => {
  let sandbox: ChatwootSandbox;
  const ACCOUNT = '/api/v1/accounts/1';

  beforeEach(async () => {
    sandbox = await startChatwootSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  async function call(method: string, path: string, body?: unknown | FormData) {
    const headers: Record<string, string> = { api_access_token: 'sandbox-admin-token' };
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      // JSON.stringify writes a lone surrogate as a "\ud83d" escape, as got does for the client.
      payload = JSON.stringify(body);
    }
    const response = await fetch(`${sandbox.url}${ACCOUNT}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> };
  }

  const SERVER_ERROR = { status: 500, error: 'Internal Server Error' };
  const BAD_REQUEST = { status: 400, error: 'Bad Request' };

  it('answers 500 to NUL and 400 to a lone surrogate, writes nothing, and takes the cleaned text', async () => {
    const inbox = await call('POST', '/inboxes', { name: 'Intercom archive', channel: { type: 'api' } });
    assert.equal(inbox.status, 200, inbox.text);

    const withNul = await call('POST', '/contacts', { name: `Ann${NUL}`, identifier: 'intercom:c1' });
    assert.equal(withNul.status, 500);
    assert.deepEqual(withNul.json, SERVER_ERROR);
    const nulInKey = await call('POST', '/contacts', {
      identifier: 'x',
      custom_attributes: { [`k${NUL}`]: 1 },
    });
    assert.deepEqual([nulInKey.status, nulInKey.json], [500, SERVER_ERROR]);
    const withHalfEmoji = await call('POST', '/contacts', { name: `Ann ${HIGH}`, identifier: 'intercom:c1' });
    assert.equal(withHalfEmoji.status, 400);
    assert.deepEqual(withHalfEmoji.json, BAD_REQUEST);
    assert.equal(sandbox.dump().accounts[0]?.contacts.length, 0, 'nothing was written');

    const contact = Contact.parse({
      id: 'c1',
      role: 'user',
      name: `Ann${NUL} ${HIGH}Smith`,
      email: 'ann@example.com',
      created_at: 1_700_000_000,
      updated_at: 1_700_000_000,
      custom_attributes: { tier: `gold${NUL}` },
    });
    const created = await call('POST', '/contacts', { ...contactPayload(contact), inbox_id: inbox.json.id });
    assert.equal(created.status, 200, created.text);
    const contactId = (created.json.payload as { contact: { id: number; name: string } }).contact.id;
    assert.equal(sandbox.dump().accounts[0]?.contacts[0]?.name, `Ann ${REPLACEMENT}Smith`);

    const conversation = dirtyConversation(`<p>Hello ${NUL}there ${HIGH}</p>`);
    const rawAttributes = await call('POST', '/conversations', {
      inbox_id: inbox.json.id,
      contact_id: contactId,
      custom_attributes: { intercom_title: `Title ${NUL}` },
    });
    assert.deepEqual([rawAttributes.status, rawAttributes.json], [500, SERVER_ERROR]);
    const opened = await call('POST', '/conversations', {
      inbox_id: inbox.json.id,
      contact_id: contactId,
      custom_attributes: conversationCustomAttributes(conversation),
      additional_attributes: conversationAdditionalAttributes(conversation),
    });
    assert.equal(opened.status, 200, opened.text);
    const messages = `/conversations/${opened.json.id}/messages`;

    const rawNul = await call('POST', messages, { content: `Hello ${NUL}there`, source_id: 'raw-1' });
    assert.deepEqual([rawNul.status, rawNul.json], [500, SERVER_ERROR]);
    const rawHalf = await call('POST', messages, { content: `Hello ${HIGH}`, source_id: 'raw-2' });
    assert.deepEqual([rawHalf.status, rawHalf.json], [400, BAD_REQUEST]);
    const form = new FormData();
    form.append('content', `multipart ${NUL}`);
    form.append('attachments[]', new Blob(['x'], { type: 'text/plain' }), 'x.txt');
    const rawMultipart = await call('POST', messages, form);
    assert.deepEqual([rawMultipart.status, rawMultipart.json], [500, SERVER_ERROR]);

    const plan = planMessages(conversation, PLAN);
    for (const message of plan) {
      const posted = await call('POST', messages, {
        content: message.content,
        message_type: message.messageType,
        private: message.private,
        source_id: message.sourceId,
        content_attributes: {
          intercom_author: { type: message.authorType, id: message.authorId, name: message.authorName },
        },
      });
      assert.equal(posted.status, 200, `${message.sourceId}: ${posted.text}`);
    }
    const stored = sandbox.dump().accounts[0]?.conversations[0]?.messages ?? [];
    assert.deepEqual(
      stored.map((message) => [message.source_id, message.content]),
      plan.map((message) => [message.sourceId, message.content]),
      'Chatwoot holds exactly what was planned, so verification compares like with like',
    );
  });
});

describe('the Intercom client and bytes that are not UTF-8', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (!server) return;
    const closing = server;
    server = undefined;
    closing.closeAllConnections();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
  });

  it('decodes invalid UTF-8 as U+FFFD and passes JSON escapes through for the mapping to clean', async () => {
    const template = JSON.stringify({
      type: 'conversation',
      id: '8',
      created_at: 1_700_000_000,
      updated_at: 1_700_000_100,
      state: 'open',
      source: {
        id: 's8',
        body: '<p>caf@1 @2 x @3 y</p>',
        author: { type: 'user', id: 'u1', name: `Zoë ${HIGH}` },
        attachments: [],
      },
      conversation_parts: {
        conversation_parts: [
          {
            id: 'p1',
            part_type: 'comment',
            body: `<p>nul${NUL}here</p>`,
            created_at: 1_700_000_001,
            author: { type: 'admin', id: 'a1' },
            attachments: [],
          },
        ],
      },
    });
    assert.ok(template.includes('\\ud83d') && template.includes('\\u0000'), 'sent as JSON escapes');
    const [before, afterFirst] = template.split('@1');
    const [middle, afterSecond] = afterFirst.split('@2');
    const [third, rest] = afterSecond.split('@3');
    const body = Buffer.concat([
      Buffer.from(before),
      Buffer.from([0xe9]), // Latin-1 "é"
      Buffer.from(middle),
      Buffer.from([0xf0, 0x9f, 0x98]), // an emoji's first three bytes
      Buffer.from(third),
      Buffer.from([0xed, 0xa0, 0xbd]), // a surrogate encoded as if it were a character (CESU-8)
      Buffer.from(rest),
    ]);
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      response.end(body);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new IntercomClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });

    const conversation = await client.getConversation('8');

    const R = REPLACEMENT;
    assert.equal(conversation.source.body, `<p>caf${R} ${R} x ${R}${R}${R} y</p>`);
    assert.ok(isWellFormed(conversation.source.body ?? ''), 'raw bytes never become lone surrogates');
    assert.equal(conversation.source.author.name, `Zoë ${HIGH}`, 'an escaped lone surrogate stays one');
    assert.equal(conversation.conversation_parts?.conversation_parts[0]?.body, `<p>nul${NUL}here</p>`);
    const plan = planMessages(conversation, PLAN);
    assertAllStorable(sentFields(plan), 'the plan of the fetched conversation');
    assert.ok(plan.some((message) => message.content.includes('nulhere')));
  });
});

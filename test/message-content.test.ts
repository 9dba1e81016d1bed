/**
 * What an agent reads must not break later (src/mapping/messageContent.ts, through planMessages):
 * inline images name their attached copy instead of an expiring link, a second participant's
 * messages say who wrote them, and a conversation Intercom returned truncated says so.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Conversation } from '../src/clients/intercom/schemas.js';
import { type PlanMessagesOptions, planMessages } from '../src/mapping/index.js';

const CREATED = 1_600_000_000; // 2020-09-13 12:26:40 UTC
const joe = { type: 'user', id: 'u1', name: 'Joe Bloggs', email: 'joe@bloggs.com' };
const ann = { type: 'admin', id: '9', name: 'Ann Smith', email: 'ann@example.com' };
const plain: PlanMessagesOptions = { activityParts: 'note', timestampLine: false };

function conversation(parts: unknown[], overrides: Record<string, unknown> = {}) {
  return Conversation.parse({
    id: '525',
    created_at: CREATED,
    updated_at: CREATED + 500,
    state: 'open',
    source: { type: 'conversation', id: '4039', body: '<p>Hello</p>', author: joe },
    contacts: { contacts: [{ type: 'contact', id: 'u1' }] },
    conversation_parts: { conversation_parts: parts },
    ...overrides,
  });
}

function part(id: string, partType: string, body: string | null, at: number, author: object, extra = {}) {
  return { id, part_type: partType, body, created_at: at, author, attachments: [], ...extra };
}

const signed = (path: string) =>
  `https://downloads.intercomcdn.com/i/o/${path}?expires=1600001800&amp;signature=ab12&amp;req=x`;

describe('message content: inline images', () => {
  it('names each inline image as attached, or as not copied when its copy is missing', () => {
    const body = `<p>Before <img src="${signed('1/a.png')}"> middle <img src="${signed('2/b.png')}"> after</p>`;
    const asked: string[] = [];
    const [, reply] = planMessages(conversation([part('7', 'comment', body, CREATED + 5, ann)]), {
      ...plain,
      attachmentCopied: (sourceId, index) => {
        asked.push(`${sourceId}#${index}`);
        return index === 0;
      },
    });
    assert.equal(
      reply.content,
      'Before [image: a.png — attached] middle [image: b.png — could not be copied from Intercom] after',
    );
    assert.deepEqual(asked, ['7#0', '7#1']);
    assert.deepEqual(
      reply.attachments.map((a) => [a.index, a.name, a.inline]),
      [
        [0, 'a.png', true],
        [1, 'b.png', true],
      ],
    );
  });

  it('asks about an image spilled into an extra message under that message', () => {
    const body = `<p><img src="${signed('1/a.png')}"><img src="${signed('2/b.png')}"></p>`;
    const asked: string[] = [];
    const plan = planMessages(conversation([part('7', 'comment', body, CREATED + 5, ann)]), {
      ...plain,
      maxAttachmentsPerMessage: 1,
      attachmentCopied: (sourceId, index) => {
        asked.push(`${sourceId}#${index}`);
        return true;
      },
    });
    assert.deepEqual(asked, ['7#0', '7:a2#1']);
    assert.deepEqual(
      plan.filter((m) => m.partId === '7').map((m) => [m.sourceId, m.attachments.map((a) => a.index)]),
      [
        ['7', [0]],
        ['7:a2', [1]],
      ],
    );
  });

  it('keeps no link to the message files or to any Intercom file host, and keeps other links', () => {
    const image = signed('3/shot.png');
    const body =
      `<p><a href="${image}"><img src="${image}"></a> ` +
      '<a href="https://downloads.intercomcdn.com/i/o/9/x.pdf?expires=1">invoice</a> ' +
      '<a href="https://intercom-attachments-7.com/i/o/5/y.txt">https://intercom-attachments-7.com/i/o/5/y.txt</a> ' +
      '<a href="https://help.example.com/a">the guide</a></p>';
    const [, reply] = planMessages(conversation([part('7', 'comment', body, CREATED + 5, ann)]), plain);
    assert.equal(
      reply.content,
      '[image: shot.png — attached] invoice [link to a file in Intercom left out: such links expire] ' +
        '[link to a file in Intercom left out: such links expire] [the guide](https://help.example.com/a)',
    );
  });

  it('names an image also listed as an attachment after that attachment', () => {
    const url = 'https://downloads.intercomcdn.com/i/o/4/file.bin';
    const [opening] = planMessages(
      conversation([], {
        source: {
          id: '1',
          body: `<p><img src="${url}"></p>`,
          author: joe,
          attachments: [{ url, name: 'Report_v2.bin' }],
        },
      }),
      { ...plain, attachmentCopied: () => false },
    );
    assert.equal(opening.content, '[image: Report\\_v2.bin — could not be copied from Intercom]');
    assert.equal(opening.attachments.length, 1);
  });
});

const HOSTS = [
  'https://downloads.intercomcdn.com',
  'https://intercom-attachments-3.com',
  'https://uploads.intercomusercontent.com',
  'https://static.intercomassets.com',
  'https://cdn.example.org',
  'http://127.0.0.1:4010/attachments',
];
const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const imageUrl = fc
  .tuple(fc.constantFrom(...HOSTS), fc.array(word, { minLength: 0, maxLength: 3 }), word, fc.boolean(), word)
  .map(
    ([host, folders, name, query, signature]) =>
      `${host}/${[...folders, `${name}.png`].join('/')}${query ? `?expires=1600001800&signature=${signature}` : ''}`,
  );
const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
/** A body of text, images (some wrapped in a link to themselves) and links to Intercom files. */
const imageBody = fc
  .array(
    fc.oneof(
      fc
        .stringMatching(/^[a-z ]{0,12}$/)
        .map((text) => ({ html: `<p>${text}</p>`, images: [] as string[], links: [] as string[] })),
      imageUrl.map((url) => ({
        html: `<img src="${escapeAttribute(url)}" alt="shot">`,
        images: [url],
        links: [],
      })),
      imageUrl.map((url) => ({
        html: `<a href="${escapeAttribute(url)}"><img src="${escapeAttribute(url)}"></a>`,
        images: [url],
        links: [url],
      })),
      fc
        .tuple(imageUrl, fc.stringMatching(/^[a-z ]{0,8}$/))
        .filter(([url]) => !url.includes('example.org') && !url.includes('127.0.0.1'))
        .map(([url, text]) => ({
          html: `<a href="${escapeAttribute(url)}">${text}</a>`,
          images: [],
          links: [url],
        })),
    ),
    { maxLength: 8 },
  )
  .map((pieces) => ({
    html: pieces.map((p) => p.html).join(''),
    images: [...new Set(pieces.flatMap((p) => p.images))],
    urls: pieces.flatMap((p) => [...p.images, ...p.links]),
  }));

describe('message content properties', () => {
  it('never keeps an inline image source or an Intercom file link in any planned content', () => {
    fc.assert(
      fc.property(
        imageBody,
        imageBody,
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.func(fc.boolean()),
        (sourceBody, partBody, timestampLine, perMessage, copied) => {
          const plan = planMessages(
            conversation([part('7', 'comment', partBody.html, CREATED + 5, ann)], {
              source: { id: '1', body: sourceBody.html, author: joe, attachments: [] },
            }),
            {
              activityParts: 'note',
              timestampLine,
              maxAttachmentsPerMessage: perMessage,
              attachmentCopied: (id, index) => copied(id, index),
            },
          );
          for (const message of plan) {
            for (const url of [...sourceBody.urls, ...partBody.urls]) {
              const { host, pathname } = new URL(url);
              assert.ok(!message.content.includes(url), `${message.sourceId} keeps ${url}`);
              assert.ok(!message.content.includes(`${host}${pathname}`), `${message.sourceId} keeps ${url}`);
            }
            assert.doesNotMatch(message.content, /intercomcdn|intercom-attachments|intercomusercontent/);
            assert.doesNotMatch(message.content, /signature=|!\[/);
          }
          // Every image is attached once and named in the text of its message.
          for (const [partId, body] of [
            ['source:1', sourceBody],
            ['7', partBody],
          ] as const) {
            const attached = plan.filter((m) => m.partId === partId).flatMap((m) => m.attachments);
            assert.deepEqual(
              attached.map((a) => a.url),
              body.images,
            );
            const text = plan
              .filter((m) => m.partId === partId)
              .map((m) => m.content)
              .join('\n');
            for (const attachment of attached) {
              assert.ok(text.includes(`[image: ${attachment.name} — `), `${partId} names ${attachment.name}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('message content: other participants', () => {
  const mia = { type: 'user', id: 'u2', name: 'Mia_Wong', email: 'Mia@Example.com' };

  it("starts a part by a contact other than the conversation's with who wrote it", () => {
    const plan = planMessages(
      conversation([
        part('1', 'comment', '<p>Mine</p>', CREATED + 1, joe),
        part('2', 'comment', '<p>Same here</p>', CREATED + 2, mia),
        part('3', 'comment', '<p>On it</p>', CREATED + 3, ann),
        part('4', 'close', null, CREATED + 4, mia),
      ]),
      { ...plain, timestampLine: true },
    );
    const content = new Map(plan.map((m) => [m.sourceId, m.content]));
    assert.equal(
      content.get('2'),
      '— 2020-09-13 12:26:42 UTC · Mia\\_Wong\n\n' +
        '**From Mia\\_Wong (mia@example.com)**, another participant in this conversation:\n\nSame here',
    );
    assert.equal(content.get('1'), '— 2020-09-13 12:26:41 UTC · Joe Bloggs\n\nMine');
    assert.equal(content.get('3'), '— 2020-09-13 12:26:43 UTC · Ann Smith\n\nOn it');
    // An event without a body is described as usual: it already says who.
    assert.doesNotMatch(content.get('4') ?? '', /another participant/);
  });

  it('takes the opening author as the contact when Intercom lists none', () => {
    const plan = planMessages(
      conversation([part('2', 'comment', '<p>Hi</p>', CREATED + 2, { type: 'lead', id: 'l9' })], {
        contacts: null,
      }),
      plain,
    );
    assert.equal(
      plan[1].content,
      '**From Intercom lead l9**, another participant in this conversation:\n\nHi',
    );
  });

  it('marks exactly the incoming parts by another contact, and only their first message', () => {
    const authors = fc.record({
      type: fc.constantFrom('user', 'lead', 'contact', 'admin', 'bot'),
      id: fc.constantFrom('u1', 'u2', 'u3'),
      name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(authors, fc.constantFrom('<p>text here</p>', '', '<p>x</p>'.repeat(40))), {
          maxLength: 8,
        }),
        fc.constantFrom('u1', 'u2'),
        (written, main) => {
          const conv = conversation(
            written.map(([author, body], i) => part(String(i + 1), 'comment', body, CREATED + i + 1, author)),
            { contacts: { contacts: [{ type: 'contact', id: main }] } },
          );
          const plan = planMessages(conv, { ...plain, maxContentLength: 200 });
          for (const message of plan) {
            const author = message.partId.startsWith('source:')
              ? joe
              : written[Number(message.partId) - 1]?.[0];
            const other =
              author !== undefined &&
              ['user', 'lead', 'contact'].includes(author.type) &&
              author.id !== main &&
              message.sourceId === message.partId;
            assert.equal(message.content.startsWith('**From '), other, message.sourceId);
          }
        },
      ),
    );
  });
});

describe('message content: truncated conversations', () => {
  const three = [
    part('1', 'comment', '<p>a</p>', CREATED + 10, joe),
    part('2', 'note', '<p>b</p>', CREATED + 20, ann),
    part('3', 'comment', '<p>c</p>', CREATED + 30, ann),
  ];

  it('puts a private note after the opening message saying how many older parts are missing', () => {
    const plan = planMessages(conversation(three, { statistics: { count_conversation_parts: 560 } }), {
      ...plain,
      timestampLine: true,
    });
    assert.deepEqual(
      plan.map((m) => m.sourceId),
      ['source:4039', 'truncated:525', '1', '2', '3'],
    );
    const note = plan[1];
    assert.equal(note.private, true);
    assert.equal(note.messageType, 'outgoing');
    assert.equal(note.externalCreatedAt, CREATED);
    assert.equal(
      note.content,
      '— 2020-09-13 12:26:40 UTC · Intercom migration\n\n' +
        "_Intercom returned only the 3 most recent of this conversation's 560 parts (replies, notes and " +
        'events), so the 557 older ones, which came between the opening message and the next message here, ' +
        'are not in Chatwoot. Intercom still has the whole conversation: conversation 525 (this ' +
        "conversation's intercom\\_conversation\\_id attribute)._",
    );
  });

  it('says "one" for a single missing part and adds nothing when every part came', () => {
    const one = planMessages(conversation(three, { statistics: { count_conversation_parts: 4 } }), plain);
    assert.match(one[1].content, /so the older one, which came .* is not in Chatwoot/);
    for (const statistics of [{ count_conversation_parts: 3 }, { count_conversation_parts: 2 }, {}, null]) {
      const plan = planMessages(conversation(three, { statistics }), plain);
      assert.ok(!plan.some((m) => m.sourceId.startsWith('truncated:')), JSON.stringify(statistics));
    }
  });

  it('places the note right after the opening messages whenever Intercom counts more parts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.boolean(),
        (kept, total, emptyOpening) => {
          const conv = conversation(three.slice(3 - kept), {
            statistics: { count_conversation_parts: total },
            source: { id: '1', body: emptyOpening ? '' : '<p>Hello</p>', author: joe, attachments: [] },
          });
          const plan = planMessages(conv, plain);
          const at = plan.findIndex((m) => m.sourceId === 'truncated:525');
          assert.equal(at !== -1, total > kept);
          if (at === -1) return;
          assert.equal(at, emptyOpening ? 0 : 1);
          assert.ok(plan[at].content.includes(`${total.toLocaleString('en-US')} parts`));
          assert.equal(plan.filter((m) => m.sourceId === 'truncated:525').length, 1);
        },
      ),
    );
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Conversation } from '../src/clients/intercom/schemas.js';
import {
  extractImageSources,
  formatTimestampLine,
  htmlToMarkdown,
  labelSlug,
  normalizeEmail,
  type PlanMessagesOptions,
  planMessages,
  splitMessageBody,
} from '../src/mapping/index.js';

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;
/** True when a cut at `position` would separate a surrogate pair. */
const splitsPair = (text: string, position: number) =>
  position > 0 &&
  position < text.length &&
  isHigh(text.charCodeAt(position - 1)) &&
  isLow(text.charCodeAt(position));

/** Text with words, spaces, line and paragraph breaks, and astral characters. */
const messageText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 25 }) },
      { weight: 2, arbitrary: fc.constantFrom(' ', '\n', '\n\n', '\t', ' \n\n ', '😀', '👩‍👩‍👧') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 30, maxLength: 90 }) },
    ),
    { maxLength: 40 },
  )
  .map((chunks) => chunks.join(''));

describe('mapping properties: splitMessageBody', () => {
  it('keeps every piece within max and the pieces, in order, are the input with only whitespace between', () => {
    fc.assert(
      fc.property(messageText, fc.integer({ min: 2, max: 80 }), (content, max) => {
        const pieces = splitMessageBody(content, max);
        if (content.length <= max) {
          assert.deepEqual(pieces, [content]);
          return;
        }
        let cursor = 0;
        for (const [i, piece] of pieces.entries()) {
          assert.ok(piece.length > 0 && piece.length <= max, `piece ${i} has length ${piece.length}`);
          const start = content.indexOf(piece, cursor);
          assert.ok(start >= cursor, `piece ${i} not found after ${cursor}`);
          assert.match(content.slice(cursor, start), /^\s*$/u, 'only whitespace between pieces');
          assert.equal(content.slice(start, start + piece.length), piece);
          if (i > 0) assert.match(piece, /^\S/u, 'a continuation starts after the dropped whitespace');
          assert.ok(
            !splitsPair(content, start) && !splitsPair(content, start + piece.length),
            'surrogate pair cut',
          );
          cursor = start + piece.length;
        }
        assert.match(content.slice(cursor), /^\s*$/u);
      }),
      { numRuns: 400 },
    );
  });
});

const AUTHOR_TYPES = ['user', 'lead', 'contact', 'admin', 'bot', 'team', 'visitor'] as const;
const PART_TYPES = [
  'comment',
  'note',
  'note_and_reopen',
  'assignment',
  'open',
  'close',
  'snoozed',
  'quick_reply',
  'custom_action_started',
  'ticket_state_updated_by_admin',
] as const;
const BODIES = [
  null,
  '',
  '<p> </p>',
  '<p>Hello <b>there</b></p>',
  '<p>See <img src="https://downloads.intercomcdn.com/i/o/1/shot.png"></p>',
  `<p>${'long words '.repeat(60)}</p><p>${'x'.repeat(500)}</p>`,
];

const author = fc.record({
  type: fc.constantFrom(...AUTHOR_TYPES),
  id: fc.option(fc.stringMatching(/^[0-9a-f]{1,8}$/), { nil: undefined }),
  name: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
});
const attachment = fc.record({
  url: fc.integer({ min: 0, max: 50 }).map((n) => `https://downloads.intercomcdn.com/i/o/${n}/file${n}.pdf`),
  name: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
});

const conversationArbitrary = fc
  .uniqueArray(fc.stringMatching(/^[1-9][0-9]{0,9}$/), { maxLength: 25 })
  .chain((ids) =>
    fc
      .tuple(
        fc.tuple(...ids.map(() => fc.tuple(fc.constantFrom(...PART_TYPES), fc.constantFrom(...BODIES)))),
        fc.array(fc.integer({ min: 1_600_000_000, max: 1_600_000_050 }), {
          minLength: ids.length,
          maxLength: ids.length,
        }),
        fc.array(author, { minLength: ids.length, maxLength: ids.length }),
        fc.array(fc.array(attachment, { maxLength: 20 }), { minLength: ids.length, maxLength: ids.length }),
        author,
        fc.constantFrom(...BODIES),
      )
      .map(([kinds, times, authors, attachments, sourceAuthor, sourceBody]) =>
        Conversation.parse({
          id: '1',
          created_at: 1_600_000_000,
          updated_at: 1_600_000_100,
          state: 'open',
          source: { id: '99', body: sourceBody, author: sourceAuthor, attachments: [] },
          conversation_parts: {
            conversation_parts: ids.map((id, i) => ({
              id,
              part_type: kinds[i][0],
              body: kinds[i][1],
              created_at: times[i],
              author: authors[i],
              attachments: attachments[i],
            })),
          },
        }),
      ),
  );

const optionsArbitrary: fc.Arbitrary<PlanMessagesOptions> = fc.record({
  activityParts: fc.constantFrom('activity' as const, 'note' as const, 'skip' as const),
  timestampLine: fc.boolean(),
  maxContentLength: fc.integer({ min: 120, max: 1000 }),
  maxAttachmentsPerMessage: fc.integer({ min: 1, max: 15 }),
});

function partsOf(conversation: Conversation) {
  return conversation.conversation_parts?.conversation_parts ?? [];
}

describe('mapping properties: planMessages', () => {
  it('gives unique source ids and the same plan every time', () => {
    fc.assert(
      fc.property(conversationArbitrary, optionsArbitrary, (conversation, options) => {
        const plan = planMessages(conversation, options);
        const ids = plan.map((message) => message.sourceId);
        assert.equal(new Set(ids).size, ids.length, `duplicate source ids: ${ids.join(',')}`);
        assert.deepEqual(planMessages(structuredClone(conversation), options), plan);
      }),
    );
  });

  it('puts the opening message first, then parts by time, ties in the order they were listed', () => {
    fc.assert(
      fc.property(conversationArbitrary, optionsArbitrary, (conversation, options) => {
        const plan = planMessages(conversation, options);
        const plannedParts = [...new Set(plan.map((message) => message.partId))];
        const expected = partsOf(conversation)
          .map((part, order) => ({ part, order }))
          .sort((a, b) => a.part.created_at - b.part.created_at || a.order - b.order)
          .map(({ part }) => part.id);
        const opening = plannedParts[0] === 'source:99' ? ['source:99'] : [];
        assert.deepEqual(plannedParts, [...opening, ...expected.filter((id) => plannedParts.includes(id))]);
        // Every piece of a part comes right after the part's first message.
        const runs = plan
          .map((message) => message.partId)
          .filter((id, i, ids) => i === 0 || ids[i - 1] !== id);
        assert.equal(runs.length, plannedParts.length);
      }),
    );
  });

  it('plans every comment and note that has content, in the right place and direction', () => {
    fc.assert(
      fc.property(conversationArbitrary, optionsArbitrary, (conversation, options) => {
        const plan = planMessages(conversation, options);
        const byId = new Map(plan.map((message) => [message.sourceId, message]));
        for (const part of partsOf(conversation)) {
          const hasContent = htmlToMarkdown(part.body) !== '' || part.attachments.length > 0;
          if (!hasContent) continue;
          if (part.part_type === 'comment' || part.part_type.startsWith('note')) {
            const message = byId.get(part.id);
            assert.ok(message, `part ${part.id} (${part.part_type}) is missing`);
            const isNote = part.part_type !== 'comment';
            assert.equal(message.private, isNote);
            const incoming = ['user', 'lead', 'contact'].includes(part.author.type);
            assert.equal(message.messageType, !isNote && incoming ? 'incoming' : 'outgoing');
          } else {
            assert.ok(byId.has(part.id), `part ${part.id} (${part.part_type}) with content was dropped`);
          }
        }
      }),
    );
  });

  it('plans activities as messages or as notes under the same source ids, the rest alike', () => {
    fc.assert(
      fc.property(conversationArbitrary, optionsArbitrary, (conversation, options) => {
        const asActivity = planMessages(conversation, { ...options, activityParts: 'activity' });
        const asNote = planMessages(conversation, { ...options, activityParts: 'note' });
        assert.deepEqual(
          asActivity.map((message) => message.sourceId),
          asNote.map((message) => message.sourceId),
        );
        const timeOf = new Map(partsOf(conversation).map((part) => [part.id, part.created_at]));
        for (const [i, message] of asActivity.entries()) {
          const note = asNote[i];
          assert.equal(message.kind === 'activity', note.kind === 'activity', message.sourceId);
          if (message.kind !== 'activity') {
            assert.deepEqual(message, note);
            continue;
          }
          assert.equal(message.messageType, 'activity');
          assert.equal(message.private, false);
          assert.equal(note.private, true);
          assert.ok(!message.content.includes('\n'), `one line: ${message.content}`);
          const iso = new Date((timeOf.get(message.partId) ?? Number.NaN) * 1000).toISOString();
          assert.ok(
            message.content.endsWith(` · ${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`),
            `${message.content} ends with the part's time`,
          );
        }
      }),
    );
  });

  it('marks exactly the messages of parts an Intercom bot wrote', () => {
    fc.assert(
      fc.property(conversationArbitrary, optionsArbitrary, (conversation, options) => {
        const authorTypeOf = new Map(partsOf(conversation).map((part) => [part.id, part.author.type]));
        authorTypeOf.set('source:99', conversation.source.author.type);
        for (const message of planMessages(conversation, options)) {
          assert.equal(message.botAuthored, authorTypeOf.get(message.partId) === 'bot', message.sourceId);
        }
      }),
    );
  });

  it('follows the direction rule and the limits for every planned message', () => {
    fc.assert(
      fc.property(conversationArbitrary, optionsArbitrary, (conversation, options) => {
        const plan = planMessages(conversation, options);
        assert.ok(
          plan.length === 0 || plan[0].partId === 'source:99' || !plan.some((m) => m.partId === 'source:99'),
        );
        for (const message of plan) {
          const incoming = ['user', 'lead', 'contact'].includes(message.authorType);
          if (message.private) assert.equal(message.messageType, 'outgoing');
          else if (message.kind === 'activity') assert.equal(message.messageType, 'activity');
          else assert.equal(message.messageType, incoming ? 'incoming' : 'outgoing', message.sourceId);
          assert.ok(message.content.length <= (options.maxContentLength ?? 150_000), message.sourceId);
          assert.ok(message.attachments.length <= (options.maxAttachmentsPerMessage ?? 15));
          assert.ok(
            message.content !== '' || message.attachments.length > 0,
            `empty message ${message.sourceId}`,
          );
        }
        for (const part of partsOf(conversation)) {
          const planned = plan.filter((message) => message.partId === part.id).flatMap((m) => m.attachments);
          if (planned.length === 0) continue;
          assert.deepEqual(
            planned.map((a) => a.index),
            planned.map((_, i) => i),
          );
          const regular = planned.filter((a) => !a.inline).map((a) => a.url);
          assert.deepEqual(
            regular,
            part.attachments.map((a) => a.url),
          );
        }
      }),
    );
  });
});

/** Ways scripts get smuggled into HTML. */
const INJECTIONS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<<script>script>alert(1)<</script>/script>',
  '<img src=x onerror=alert(1)>',
  '<img src="https://ok.example/a.png" onload="alert(1)">',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">y</a>',
  '<a href=" JAVASCRIPT:alert(1)">z</a>',
  '<svg onload=alert(1)><script>alert(2)</script></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<style>@import "javascript:alert(1)"</style>',
  '<div style="background:url(javascript:alert(1))">w</div>',
  '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
  '<object data="javascript:alert(1)"></object>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<p>&lt;img src=x onerror=alert(1)&gt;</p>',
  '<!--<script>alert(1)</script>-->',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  // Pieces that only become a tag next to their neighbours.
  '&lt;<span>img src=x onerror=alert(1)&gt;</span>',
  '&lt;',
  '<',
  '&amp;',
  'script>',
];
const WRAPPERS = ['p', 'div', 'b', 'em', 'li', 'h2', 'blockquote', 'td', 'span'];

const injectedHtml = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(...INJECTIONS),
      fc
        .tuple(fc.constantFrom(...WRAPPERS), fc.constantFrom(...INJECTIONS))
        .map(([tag, inner]) => `<${tag}>${inner}</${tag}>`),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((fragments) => fragments.join(''));

describe('mapping properties: htmlToMarkdown', () => {
  it('lets no script, tag, event handler or javascript: link through', () => {
    fc.assert(
      fc.property(injectedHtml, (html) => {
        const markdown = htmlToMarkdown(html);
        assert.doesNotMatch(markdown, /<script/i);
        // No raw HTML at all: text that looked like a tag is entity-escaped.
        assert.doesNotMatch(markdown, /<[a-z!/?]/i);
        assert.doesNotMatch(markdown, /(?<!\\)\]\(\s*javascript:/i);
      }),
      { numRuns: 300 },
    );
  });
});

/** HTML where images hide in every way a body can hold one, or only look as if it did. */
const IMAGE_URLS = ['https://cdn.example/a.png', 'http://cdn.example/b.gif', 'https://cdn.example/a.png?s=1'];
const imageBodyHtml = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        '<p>',
        '</p>',
        '<div>',
        '</div>',
        '<br>',
        '<strong>',
        '</strong>',
        '<a href="https://x.example/">',
        '</a>',
      ),
      fc
        .tuple(
          fc.constantFrom(
            '<img src="%">',
            '<IMG SRC="%" alt="x">',
            '<img\tsrc=%>',
            '<img src="%"/>',
            '<img alt="no source">',
            '<img src="/relative.png">',
            '<image src="%">',
            '<imgx src="%">',
            '&lt;img src="%"&gt;',
            '<!-- <img src="%"> -->',
            '<script><img src="%"></script>',
            '<svg><image href="%"/></svg>',
            '<textarea><img src="%"></textarea>',
          ),
          fc.constantFrom(...IMAGE_URLS),
        )
        .map(([template, url]) => template.replace('%', url)),
    ),
    { maxLength: 10 },
  )
  .map((fragments) => fragments.join(''));

describe('mapping properties: extractImageSources', () => {
  it('finds exactly the images htmlToMarkdown shows, in order and without repeats', () => {
    fc.assert(
      fc.property(imageBodyHtml, (html) => {
        const shown: string[] = [];
        htmlToMarkdown(html, {
          image: (src) => {
            if (!shown.includes(src)) shown.push(src);
            return '';
          },
        });
        assert.deepEqual(extractImageSources(html), shown);
      }),
      { numRuns: 500 },
    );
  });
});

describe('mapping properties: labelSlug', () => {
  const anyText = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.constantFrom('İstanbul', 'ǅemal', 'ΣΊΣΥΦΟΣ', 'हिन्दी', 'Straße', 'ﬁle', '…', ' . '),
  );

  // Canned-response short codes; label titles, which Chatwoot checks more strictly, are labelTitle's
  // (test/labels.property.test.ts).
  it('produces a slug of letters, digits, "_" and "-", and is idempotent', () => {
    fc.assert(
      fc.property(anyText, (name) => {
        const slug = labelSlug(name);
        assert.match(slug, /^[\p{L}\p{N}_-]+$/u);
        assert.ok(slug.length <= 255);
        assert.equal(slug, slug.toLowerCase());
        assert.equal(labelSlug(slug), slug);
      }),
      { numRuns: 500 },
    );
  });
});

describe('mapping properties: normalizeEmail', () => {
  const emailLike = fc.oneof(
    fc.emailAddress(),
    fc.tuple(fc.string(), fc.emailAddress(), fc.string()).map(([a, b, c]) => `${a}${b}${c}`),
    fc.string({ unit: 'binary' }),
    fc.string(),
  );
  /** The same ASCII text with letters flipped to the other case where `flips` says so. */
  const caseVariant = (text: string, flips: boolean[]) =>
    Array.from(text, (char, i) => (flips[i % flips.length] ? char.toUpperCase() : char.toLowerCase())).join(
      '',
    );

  it('is idempotent', () => {
    fc.assert(
      fc.property(emailLike, (raw) => {
        const email = normalizeEmail(raw);
        if (email !== undefined) assert.equal(normalizeEmail(email), email);
      }),
      { numRuns: 500 },
    );
  });

  it('treats emails that differ only by case and surrounding space as equal', () => {
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.constantFrom('', ' ', '\t', '\n '),
        (email, flips, padding) => {
          const variant = `${padding}${caseVariant(email, flips)}${padding}`;
          assert.ok(normalizeEmail(email) !== undefined, email);
          assert.equal(normalizeEmail(variant), normalizeEmail(email));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('mapping properties: formatTimestampLine', () => {
  const savedTimeZone = process.env.TZ;
  afterEach(() => {
    if (savedTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = savedTimeZone;
  });

  const seconds = fc.integer({ min: 0, max: 253_402_300_799 }); // 1970 to the end of 9999
  const name = fc.option(fc.string({ maxLength: 30 }), { nil: undefined });
  const zones = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham', 'Europe/Dublin'];

  it('changing TZ really changes local time in this process (so the next test can fail)', () => {
    process.env.TZ = 'UTC';
    const utcHour = new Date(0).getHours();
    process.env.TZ = 'Asia/Kolkata';
    assert.notEqual(new Date(0).getHours(), utcHour);
  });

  it('always says UTC and does not depend on the process time zone', () => {
    fc.assert(
      fc.property(seconds, name, fc.constantFrom(...zones), (unixSeconds, author, zone) => {
        process.env.TZ = 'UTC';
        const reference = formatTimestampLine(unixSeconds, author);
        process.env.TZ = zone;
        const line = formatTimestampLine(unixSeconds, author);
        assert.equal(line, reference);
        assert.match(line, /^— \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC( · .+)?$/su);
        const date = new Date(unixSeconds * 1000);
        const expected = [
          date.getUTCFullYear().toString().padStart(4, '0'),
          `-${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`,
          ` ${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`,
          `:${String(date.getUTCSeconds()).padStart(2, '0')}`,
        ].join('');
        assert.ok(line.startsWith(`— ${expected} UTC`), `${line} vs ${expected}`);
      }),
      { numRuns: 300 },
    );
  });
});

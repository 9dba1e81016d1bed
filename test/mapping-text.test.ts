/** The text side of the mapping: HTML to Markdown, plain text, long bodies, the timestamp line. */
import assert from 'node:assert/strict';
import {
  customAttributeKey,
  extractImageSources,
  formatTimestampLine,
  htmlToMarkdown,
  htmlToPlainText,
  isoUtc,
  splitMessageBody,
  stableHash,
  truncateShort,
} from '../src/mapping/index.js';

const SEP_13_2020 = 1_600_000_000; // 2020-09-13 12:26:40 UTC

describe('mapping: htmlToMarkdown', () => {
  it('converts paragraphs, emphasis, headings, lists, links and line breaks', () => {
    assert.equal(
      htmlToMarkdown('<p>Hello <b>world</b> and <i>you</i></p><p>Line<br>break</p>'),
      'Hello **world** and _you_\n\nLine  \nbreak',
    );
    assert.equal(
      htmlToMarkdown('<h2>Drinks</h2><ul><li>Coffee</li><li>Tea</li></ul><ol><li>one</li></ol>'),
      '## Drinks\n\n-   Coffee\n-   Tea\n\n1.  one',
    );
    assert.equal(
      htmlToMarkdown('<p>See <a href="https://example.com/a b">the docs</a></p>'),
      'See [the docs](https://example.com/a%20b)',
    );
    assert.equal(htmlToMarkdown('<p><del>old</del> new</p>'), '~~old~~ new');
  });

  it('keeps code blocks fenced, with their language and blank lines', () => {
    assert.equal(
      htmlToMarkdown('<pre><code class="language-js">const a = 1;\n\n\n\nif (a &lt; 2) {}</code></pre>'),
      '```js\nconst a = 1;\n\n\n\nif (a < 2) {}\n```',
    );
    assert.equal(
      htmlToMarkdown('<pre>line1<br>line2\n  indented</pre>'),
      '```\nline1\nline2\n  indented\n```',
    );
  });

  it('turns tables into GFM tables', () => {
    assert.equal(
      htmlToMarkdown(
        '<table><thead><tr><th>Name</th><th>A|B</th></tr></thead><tbody><tr><td>x</td><td>y<br>z</td></tr></tbody></table>',
      ),
      '| Name | A\\|B |\n| --- | --- |\n| x | y z |',
    );
  });

  it('keeps inline images with their source, or a rewritten one', () => {
    const html =
      '<p>Look: <img src="https://downloads.intercomcdn.com/i/o/1/a.png?x=1&amp;y=2" alt="screen"></p>';
    assert.equal(
      htmlToMarkdown(html),
      'Look: ![screen](https://downloads.intercomcdn.com/i/o/1/a.png?x=1&y=2)',
    );
    assert.equal(
      htmlToMarkdown(html, {
        imageSrc: (src) => src.replace('https://downloads.intercomcdn.com/', 'https://blobs/'),
      }),
      'Look: ![screen](https://blobs/i/o/1/a.png?x=1&y=2)',
    );
  });

  it('collapses runs of blank lines and returns "" for empty or whitespace-only bodies', () => {
    assert.equal(
      htmlToMarkdown('<p>a</p><p></p><p><br></p><p>&nbsp;</p><p>b<br><br><br><br>c</p>'),
      'a\n\nb  \n\nc',
    );
    for (const empty of [
      '',
      '   ',
      '<p></p>',
      '<p>&nbsp;</p><br>',
      '<script>alert(1)</script>',
      null,
      undefined,
    ]) {
      assert.equal(htmlToMarkdown(empty), '', String(empty));
    }
  });

  it('drops scripts, styles, iframes, event handlers and javascript: URLs', () => {
    const markdown = htmlToMarkdown(
      '<script>alert(1)</script><style>p{color:red}</style><iframe src="https://evil.example">x</iframe>' +
        '<p onclick="steal()">Hi <a href="javascript:alert(1)">click</a> <img src="x" onerror="alert(2)">' +
        '<img src="javascript:alert(3)"><a href="JaVaScRiPt:alert(4)">again</a></p>',
    );
    assert.equal(markdown, 'Hi click again');
    assert.equal(htmlToMarkdown('<p>A <img src="/relative.png" alt="logo"> B</p>'), 'A logo B');
  });

  it('keeps HTML written as text from becoming HTML or a link in Markdown', () => {
    const markdown = htmlToMarkdown(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt; a &lt; b, &amp;lt; &lt;john@example.com&gt; [x](javascript:y)</p>',
    );
    assert.equal(
      markdown,
      '&lt;script>alert(1)&lt;/script> a < b, &amp;lt; &lt;john@example.com> \\[x\\](javascript:y)',
    );
  });

  it('extracts the absolute http(s) inline image sources, in order, once each', () => {
    const html =
      '<p><img src="https://a.example/1.png"><img src="/relative.png"><img src="data:image/png;base64,AAAA">' +
      '<img src="https://b.example/2.jpg?sig=a&amp;exp=1"><img src="https://a.example/1.png"><img src="javascript:x"></p>';
    assert.deepEqual(extractImageSources(html), [
      'https://a.example/1.png',
      'https://b.example/2.jpg?sig=a&exp=1',
    ]);
    assert.deepEqual(extractImageSources(''), []);
  });

  it('gives one-line plain text for short fields', () => {
    assert.equal(
      htmlToPlainText('<p>Refund *now* &amp; &lt;b&gt;</p><p>please</p>'),
      'Refund *now* & <b> please',
    );
  });
});

describe('mapping: text', () => {
  it('truncates without cutting surrogate pairs or graphemes', () => {
    assert.equal(truncateShort('hello', 10), 'hello');
    assert.equal(truncateShort('hello', 3), 'hel');
    assert.equal(truncateShort('ab😀', 3), 'ab');
    assert.equal(truncateShort('a👩‍👩‍👧b', 6), 'a');
    assert.equal(truncateShort('x'.repeat(300)).length, 255);
    assert.equal(truncateShort('abc', 0), '');
  });

  it('splits long bodies on paragraph, then line, then word boundaries', () => {
    assert.deepEqual(splitMessageBody('short', 10), ['short']);
    assert.deepEqual(splitMessageBody('', 10), ['']);
    assert.deepEqual(splitMessageBody('aaaa bbbb\n\ncccc dddd', 12), ['aaaa bbbb', 'cccc dddd']);
    assert.deepEqual(splitMessageBody('aaaa\nbbbb cccc', 12), ['aaaa\nbbbb', 'cccc']);
    assert.deepEqual(splitMessageBody('aaaa bbbb cccc', 10), ['aaaa bbbb', 'cccc']);
    assert.deepEqual(splitMessageBody('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(splitMessageBody('abc😀def', 4), ['abc', '😀de', 'f']);
    assert.throws(() => splitMessageBody('abc', 1), RangeError);
  });

  it('formats the timestamp line in UTC with the author', () => {
    assert.equal(formatTimestampLine(SEP_13_2020, 'Ann Smith'), '— 2020-09-13 12:26:40 UTC · Ann Smith');
    assert.equal(formatTimestampLine(SEP_13_2020), '— 2020-09-13 12:26:40 UTC');
    assert.equal(
      formatTimestampLine(0, '  Ann\n  *Bold*_x '),
      '— 1970-01-01 00:00:00 UTC · Ann \\*Bold\\*\\_x',
    );
    assert.equal(isoUtc(SEP_13_2020), '2020-09-13T12:26:40.000Z');
    assert.throws(() => isoUtc(Number.NaN), RangeError);
  });

  it('hashes stably and makes safe custom attribute keys', () => {
    assert.equal(stableHash('abc'), stableHash('abc'));
    assert.notEqual(stableHash('abc'), stableHash('abd'));
    assert.match(stableHash(''), /^[0-9a-f]{8}$/);
    assert.equal(customAttributeKey('Plan Type'), 'plan_type');
    assert.equal(customAttributeKey('planType'), 'plan_type');
    assert.equal(customAttributeKey('HTTPServer URL'), 'http_server_url');
    assert.equal(customAttributeKey('MRR ($)'), 'mrr');
    assert.equal(customAttributeKey('Café Größe'), 'café_größe');
    assert.equal(customAttributeKey('email'), 'intercom_email');
    assert.equal(customAttributeKey('$$$'), `attr_${stableHash('$$$')}`);
  });
});

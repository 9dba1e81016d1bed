/**
 * Intercom bodies are HTML; Chatwoot messages and articles are Markdown. The HTML is sanitized
 * first (nothing executable survives: no script, style, iframe, event handler or javascript: URL),
 * then converted with turndown. Text that would read as raw HTML in Markdown ("<script>" written as
 * text in the original) is entity-escaped, so a renderer that allows HTML cannot be tricked either.
 */
import sanitizeHtml from 'sanitize-html';
import TurndownService from 'turndown';

/** Elements whose text is not content: dropped with everything inside them. */
const NON_TEXT_TAGS = [
  'script',
  'style',
  'textarea',
  'option',
  'noscript',
  'iframe',
  'template',
  'title',
  'head',
];

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'div',
    'span',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'blockquote',
    'ul',
    'ol',
    'li',
    'dl',
    'dt',
    'dd',
    'a',
    'b',
    'strong',
    'i',
    'em',
    'u',
    's',
    'del',
    'strike',
    'code',
    'pre',
    'hr',
    'img',
    'table',
    'thead',
    'tbody',
    'tfoot',
    'tr',
    'th',
    'td',
    'sub',
    'sup',
    'mark',
    'small',
    'figure',
    'figcaption',
  ],
  allowedAttributes: { a: ['href'], img: ['src', 'alt'], ol: ['start'] },
  allowedClasses: { code: ['language-*', 'lang-*'] },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  nonTextTags: NON_TEXT_TAGS,
};

const ABSOLUTE_HTTP_URL = /^https?:\/\//i;
const MAY_HOLD_IMAGE = /<img/i;

export function sanitizeBodyHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

/** Turndown escapes Markdown syntax in text; this also keeps text from becoming raw HTML or an
 * entity in Markdown: "&amp;" stays literal, "<tag" cannot open a tag or an autolink. A "<" or "&"
 * ending a text node is escaped too, since the next element's text could complete it. */
function escapeText(this: TurndownService, text: string): string {
  return TurndownService.prototype.escape
    .call(this, text)
    .replace(/&(?=#?[a-z0-9]*;|$)/gi, '&amp;')
    .replace(/<(?=[a-z/!?]|$)/gi, '&lt;');
}

/** Link and image destinations percent-encode what would end or break them, including "<" and ">",
 * which keeps the destination a plain URL for every Markdown renderer. */
function encodeDestination(url: string): string {
  return url.replace(/[\s<>()"`]/g, (char) =>
    char === '(' ? '%28' : char === ')' ? '%29' : encodeURIComponent(char),
  );
}

/** Text of a <pre>, with <br> as line breaks (Intercom code blocks often come without <code>). */
function preformattedText(node: Node): string {
  let text = '';
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) text += child.nodeValue ?? '';
    else if (child.nodeName === 'BR') text += '\n';
    else text += preformattedText(child);
  }
  return text;
}

function fencedBlock(code: string, language = ''): string {
  const longestBackticks = Math.max(2, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestBackticks + 1);
  return `\n\n${fence}${language}\n${code.replace(/\n$/, '')}\n${fence}\n\n`;
}

function isFirstRowOfTable(row: Node): boolean {
  let ancestor = row.parentNode;
  while (ancestor && ancestor.nodeName !== 'TABLE') ancestor = ancestor.parentNode;
  if (!ancestor) return false;
  return (ancestor as Element).getElementsByTagName('tr')[0] === row;
}

function cellCount(row: Node): number {
  return Array.from(row.childNodes).filter((cell) => cell.nodeName === 'TH' || cell.nodeName === 'TD').length;
}

export interface HtmlToMarkdownOptions {
  /** Rewrites inline image sources (to a rehosted copy, say); by default they are kept. */
  imageSrc?: (src: string) => string;
  /**
   * The Markdown standing for an inline image with an absolute http(s) source, instead of
   * `![alt](src)`: a message body uses it so that no image points at a link that expires.
   */
  image?: (src: string) => string;
  /** The Markdown standing for a link (its text already converted), or undefined to keep the link. */
  link?: (href: string, text: string) => string | undefined;
}

/** The options of the conversion under way; turndown runs synchronously, so one converter serves all. */
let active: HtmlToMarkdownOptions = {};

function createConverter(): TurndownService {
  const service = new TurndownService({
    headingStyle: 'atx',
    hr: '---',
    bulletListMarker: '-',
    codeBlockStyle: 'fenced',
    fence: '```',
    emDelimiter: '_',
    strongDelimiter: '**',
    linkStyle: 'inlined',
  });
  service.escape = escapeText;
  service.addRule('strikethrough', {
    filter: (node) => node.nodeName === 'DEL' || node.nodeName === 'S' || node.nodeName === 'STRIKE',
    replacement: (content) => (content.trim() ? `~~${content}~~` : content),
  });
  service.addRule('link', {
    filter: (node) => node.nodeName === 'A' && Boolean(node.getAttribute('href')),
    replacement: (content, node) => {
      const href = (node as Element).getAttribute('href') ?? '';
      const replaced = active.link?.(href, content.trim() ? content : '');
      if (replaced !== undefined) return replaced;
      const text = content.trim() ? content : escapeText.call(service, href);
      return `[${text}](${encodeDestination(href)})`;
    },
  });
  service.addRule('image', {
    filter: 'img',
    replacement: (_content, node) => {
      const src = (node as Element).getAttribute('src') ?? '';
      const alt = escapeText.call(
        service,
        ((node as Element).getAttribute('alt') ?? '').replace(/\s+/g, ' '),
      );
      // A relative source means nothing outside Intercom: the alternative text stands in for it.
      if (!ABSOLUTE_HTTP_URL.test(src)) return alt;
      if (active.image) return active.image(src);
      return `![${alt}](${encodeDestination(active.imageSrc ? active.imageSrc(src) : src)})`;
    },
  });
  service.addRule('preformatted', {
    filter: (node) => node.nodeName === 'PRE' && node.firstChild?.nodeName !== 'CODE',
    replacement: (_content, node) => fencedBlock(preformattedText(node)),
  });
  service.addRule('tableCell', {
    filter: ['th', 'td'],
    replacement: (content) =>
      ` ${content
        .replace(/\s*\n+\s*/g, ' ')
        .replace(/\|/g, '\\|')
        .trim()} |`,
  });
  service.addRule('tableRow', {
    filter: 'tr',
    replacement: (content, node) => {
      const separator = isFirstRowOfTable(node) ? `\n|${' --- |'.repeat(cellCount(node))}` : '';
      return `\n|${content}${separator}\n`;
    },
  });
  service.addRule('table', {
    filter: 'table',
    replacement: (content) => `\n\n${content.replace(/\n{2,}/g, '\n').trim()}\n\n`,
  });
  return service;
}

const converter = createConverter();

/** Whitespace-only lines emptied and at most one blank line in a row, except inside code fences. */
function collapseBlankLines(markdown: string): string {
  const lines: string[] = [];
  let openFence: string | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (openFence) {
      if (fence && fence[0] === openFence[0] && fence.length >= openFence.length) openFence = undefined;
      lines.push(line);
      continue;
    }
    if (fence) openFence = fence;
    const blank = line.trim() === '';
    if (blank && (lines.length === 0 || lines[lines.length - 1] === '')) continue;
    lines.push(blank ? '' : line);
  }
  return lines.join('\n').trim();
}

/** Sanitized Markdown of an Intercom HTML body; '' when it has no visible content. */
export function htmlToMarkdown(html: string | null | undefined, options: HtmlToMarkdownOptions = {}): string {
  if (!html?.trim()) return '';
  const clean = sanitizeBodyHtml(html);
  if (!clean.trim()) return '';
  const previous = active;
  active = options;
  try {
    return collapseBlankLines(converter.turndown(clean));
  } finally {
    active = previous;
  }
}

/**
 * The absolute http(s) sources of the images inlined in an HTML body, in order of appearance and
 * without repeats: the ones that survive sanitizing, so exactly those `htmlToMarkdown` shows.
 */
export function extractImageSources(html: string | null | undefined): string[] {
  // Only a start tag named img makes an image, and htmlparser2 (sanitize-html's parser) names a tag by
  // the characters right after its "<": a body without "<img" has none, and skips both parses below
  // (a third of the HTML work of every message, planned once for the rehost and once for the import).
  if (!html?.trim() || !MAY_HOLD_IMAGE.test(html)) return [];
  const sources = new Set<string>();
  sanitizeHtml(sanitizeBodyHtml(html), {
    allowedTags: ['img'],
    allowedAttributes: { img: ['src'] },
    exclusiveFilter: (frame) => {
      const src = frame.attribs.src;
      if (frame.tag === 'img' && src && ABSOLUTE_HTTP_URL.test(src)) sources.add(src);
      return false;
    },
  });
  return [...sources];
}

const ESCAPED_TEXT_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };

/** The text of an HTML fragment on one line, for short fields (a subject, an attribute). */
export function htmlToPlainText(html: string | null | undefined): string {
  if (!html?.trim()) return '';
  // A space after each line-level element keeps "<p>a</p><p>b</p>" from reading "ab".
  const spaced = html.replace(/<(?:br|\/p|\/div|\/li|\/h[1-6]|\/td|\/th|\/tr)\b[^>]*>/gi, '$& ');
  return sanitizeHtml(spaced, { allowedTags: [], allowedAttributes: {}, nonTextTags: NON_TEXT_TAGS })
    .replace(/&(amp|lt|gt|quot);/g, (_entity, name: string) => ESCAPED_TEXT_ENTITIES[name])
    .replace(/\s+/g, ' ')
    .trim();
}

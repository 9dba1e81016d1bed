/** Message bodies as real conversations hold them: formatting, code, emoji, scripts and huge logs. */
import type { PartAttachment } from '../../../clients/intercom/schemas.js';
import { attachmentPlaceholder } from '../dataset.js';
import type { AttachmentRegistry } from './attachments.js';
import type { GeneratorContext } from './context.js';

/** Chatwoot's message limit; one generated body exceeds it so that splitting is exercised. */
const LONG_BODY_CHARS = 150_000;

export type BodyTemplates = readonly ((n: number) => string)[];

export const USER_BODIES: BodyTemplates = [
  () => "<p>Hi, I can't log in since this morning.</p>",
  (n) =>
    `<p>My order <b>#${n}</b> hasn't arrived. Tracking: <a href="https://track.example.com/${n}">link</a></p>`,
  () =>
    '<p>Steps to reproduce:</p><ol><li>Open settings</li><li>Click <i>Export</i></li><li>Nothing happens</li></ol>',
  () =>
    '<p>Error log:</p><pre><code>TypeError: cannot read properties of undefined\n  at main.js:12:7</code></pre>',
  () => '<p>Danke für die schnelle Hilfe! 🙏 Grüße aus München</p>',
  () => '<p>你好，我的账户被锁定了。😅</p>',
  () => '<p>Line one<br>Line two<br>Line three &amp; more &lt;stuff&gt;</p>',
  (n) => `<p>Can I get a refund for invoice INV-${n}? I was charged twice 💳💳</p>`,
];
export const ADMIN_BODIES: BodyTemplates = [
  () => '<p>Thanks for reaching out! Let me look into this for you.</p>',
  () =>
    '<p>Could you try these steps?</p><ul><li>Clear your cache</li><li>Log out and back in</li></ul><p>Let me know!</p>',
  (n) => `<p>I've issued a refund of <b>€${(n % 90) + 10}.00</b>. It takes 3-5 business days.</p>`,
  () =>
    '<p>Here is the guide: <a href="https://help.example.com/articles/42-reset" target="_blank">Resetting your password</a></p>',
  () =>
    '<p>Run this:</p><pre><code>curl -H "Authorization: Bearer …" https://api.example.com/v1/me</code></pre>',
  () => '<p>Merci beaucoup ! Bonne journée ☀️</p>',
];
export const NOTE_BODIES: BodyTemplates = [
  () => '<p>Internal: customer is on the <b>Pro</b> plan, escalate to billing.</p>',
  (n) => `<p>Linked to bug <a href="https://tracker.example.com/BUG-${n}">BUG-${n}</a>.</p>`,
  () => '<p>Heads up: this is the third time this month 😬</p>',
];
export const BOT_BODIES: BodyTemplates = [
  () => '<p>Hi there 👋 A teammate will be with you shortly. Typical reply time: under 1 hour.</p>',
  () =>
    '<p>While you wait, these articles may help:</p><ul><li><a href="https://help.example.com/1">Billing FAQ</a></li></ul>',
];

/** Writes message bodies, counting them so every Nth one carries attachments or an inline image. */
export class MessageWriter {
  private messageCount = 0;
  private bodyCount = 0;

  constructor(
    private readonly context: GeneratorContext,
    private readonly attachments: AttachmentRegistry,
  ) {}

  /** A message body plus the attachments it carries, advancing the every-Nth counters. */
  body(templates: BodyTemplates, seedNumber: number): { body: string; attachments: PartAttachment[] } {
    const { dice, options } = this.context;
    this.messageCount++;
    this.bodyCount++;
    const template = dice.pick(templates);
    let body = template(seedNumber * 7 + this.bodyCount);
    if (this.bodyCount % 37 === 0) {
      // Bodies are user-controlled HTML; sanitising must strip this before Chatwoot shows it.
      body += '<p>Click <a href="javascript:alert(1)">here</a></p><script>alert("xss")</script>';
    }
    const inlineEvery = options.inlineImageEvery ?? 9;
    if (inlineEvery > 0 && this.bodyCount % inlineEvery === 0) {
      const path = this.attachments.addInlineImage();
      body += `<div class="intercom-container"><img src="${attachmentPlaceholder(path)}"></div>`;
    }
    const attachEvery = options.attachmentEvery ?? 5;
    const attachments: PartAttachment[] = [];
    if (attachEvery > 0 && this.messageCount % attachEvery === 0) {
      const howMany = dice.int(1, 3);
      for (let k = 0; k < howMany; k++) attachments.push(this.attachments.add());
    }
    return { body, attachments };
  }
}

/** A pasted log longer than Chatwoot's message limit. */
export function longHtmlBody(index: number): string {
  const lines: string[] = ['<p>Full log as requested:</p><pre><code>'];
  let length = lines[0]?.length ?? 0;
  for (let line = 0; length <= LONG_BODY_CHARS + 5_000; line++) {
    const text = `2020-09-13T12:${String(line % 60).padStart(2, '0')}:00Z worker-${index} INFO request ${line} handled in ${(line * 37) % 997} ms\n`;
    lines.push(text);
    length += text.length;
  }
  lines.push('</code></pre><p>Sorry for the wall of text 🙈</p>');
  return lines.join('');
}

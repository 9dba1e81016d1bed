/**
 * Intercom help-center articles and collections -> Chatwoot portal articles and categories.
 * Intercom article bodies are HTML (not Markdown, whatever the migration guide says); Chatwoot
 * articles are Markdown and limited to 20,000 characters, so long ones are split into parts.
 */
import type { Article } from '../clients/intercom/schemas.js';
import { htmlToMarkdown } from './html.js';
import { CHATWOOT_LIMITS, splitMessageBody, stableHash, truncateShort } from './text.js';

export type ArticleStatus = 'draft' | 'published';

export interface ArticlePayload {
  title: string;
  /** Markdown; may exceed the article limit: see `splitArticle`. */
  content: string;
  description?: string;
  status: ArticleStatus;
  locale?: string;
}

export function articlePayload(article: Article): ArticlePayload {
  const payload: ArticlePayload = {
    title: truncateShort(article.title.trim().replace(/\s+/g, ' ') || `Intercom article ${article.id}`),
    content: htmlToMarkdown(article.body),
    status: article.state?.trim().toLowerCase() === 'published' ? 'published' : 'draft',
  };
  const description = article.description?.trim();
  if (description) payload.description = truncateShort(description, CHATWOOT_LIMITS.text);
  const locale = article.default_locale?.trim();
  if (locale) payload.locale = locale;
  return payload;
}

/** The article body in pieces of at most `max` characters, split on paragraph boundaries where
 * possible; a body that fits is one piece. */
export function splitArticle(markdown: string, max: number = CHATWOOT_LIMITS.text): string[] {
  return splitMessageBody(markdown, max);
}

/** "Title" for the first part, "Title (part 2)"... after, the suffix kept whole within 255. */
export function articlePartTitle(title: string, partNumber: number): string {
  if (partNumber <= 1) return truncateShort(title);
  const suffix = ` (part ${partNumber})`;
  return `${truncateShort(title, CHATWOOT_LIMITS.shortText - suffix.length).trimEnd()}${suffix}`;
}

/**
 * A URL slug for a help-center category: ASCII lower-case letters, digits and hyphens
 * ("Getting Started!" -> "getting-started"). With the Intercom collection id appended, collections
 * of the same name stay distinct; a name with no ASCII letter or digit falls back to a hash.
 */
export function categorySlug(name: string, collectionId?: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const idSuffix = collectionId ? `-${collectionId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : '';
  const stem = base || (idSuffix ? 'category' : `category-${stableHash(name)}`);
  return `${truncateShort(stem, CHATWOOT_LIMITS.shortText - idSuffix.length).replace(/-+$/, '')}${idSuffix}`;
}

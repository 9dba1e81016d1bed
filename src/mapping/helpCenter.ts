/**
 * Intercom help-center articles and collections -> Chatwoot portal articles and categories.
 * Intercom article bodies are HTML (not Markdown, whatever the migration guide says); Chatwoot
 * articles are Markdown and limited to 20,000 characters, so long ones are split into parts. Every
 * text goes through `storableText` (no NUL, no lone surrogate), bodies before they are split.
 */
import type { Article, Collection } from '../clients/intercom/schemas.js';
import { htmlToMarkdown } from './html.js';
import { CHATWOOT_LIMITS, splitMessageBody, stableHash, storableText, truncateShort } from './text.js';

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
  const title = storableText(article.title).trim().replace(/\s+/g, ' ');
  const payload: ArticlePayload = {
    title: truncateShort(title || storableText(`Intercom article ${article.id}`)),
    content: storableText(htmlToMarkdown(article.body)),
    status: article.state?.trim().toLowerCase() === 'published' ? 'published' : 'draft',
  };
  const description = storableText(article.description ?? '').trim();
  if (description) payload.description = truncateShort(description, CHATWOOT_LIMITS.text);
  const locale = storableText(article.default_locale ?? '').trim();
  if (locale) payload.locale = locale;
  return payload;
}

/** The Chatwoot create payload of a help-center category, without the portal it goes in. */
export interface CategoryPayload {
  name: string;
  slug: string;
  locale: string;
  description: string;
}

/** An Intercom collection as a Chatwoot category; its slug keeps collections of the same name apart. */
export function categoryPayload(collection: Collection): CategoryPayload {
  const name = storableText(collection.name).trim().replace(/\s+/g, ' ');
  return {
    name: truncateShort(name || storableText(`Intercom collection ${collection.id}`)),
    slug: categorySlug(collection.name, collection.id),
    locale: storableText(collection.default_locale ?? '').trim() || 'en',
    description: storableText(collection.description ?? ''),
  };
}

/** The article body in pieces of at most `max` characters, split on paragraph boundaries where
 * possible; a body that fits is one piece. */
export function splitArticle(markdown: string, max: number = CHATWOOT_LIMITS.text): string[] {
  return splitMessageBody(storableText(markdown), max);
}

/** "Title" for the first part, "Title (part 2)"... after, the suffix kept whole within 255. */
export function articlePartTitle(title: string, partNumber: number): string {
  const storable = storableText(title);
  if (partNumber <= 1) return truncateShort(storable);
  const suffix = ` (part ${partNumber})`;
  return `${truncateShort(storable, CHATWOOT_LIMITS.shortText - suffix.length).trimEnd()}${suffix}`;
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

/**
 * The portal's locales for the categories and articles it will hold: every locale used, the default
 * first ("en" when used, otherwise the most used, ties alphabetical). Chatwoot refuses a category
 * whose locale the portal does not allow (Category#allowed_locales).
 */
export function portalLocales(used: readonly string[]): { allowed: string[]; defaultLocale: string } {
  const counts = new Map<string, number>();
  for (const raw of used) {
    const locale = raw.trim();
    if (locale) counts.set(locale, (counts.get(locale) ?? 0) + 1);
  }
  if (counts.size === 0) return { allowed: ['en'], defaultLocale: 'en' };
  const sorted = [...counts.keys()].sort();
  const defaultLocale = counts.has('en')
    ? 'en'
    : sorted.reduce((best, locale) => ((counts.get(locale) ?? 0) > (counts.get(best) ?? 0) ? locale : best));
  return { allowed: [defaultLocale, ...sorted.filter((locale) => locale !== defaultLocale)], defaultLocale };
}

/** Chatwoot requires an article's content (Article `validates :content, presence: true`). */
export function isEmptyArticleBody(markdown: string): boolean {
  return markdown.trim() === '';
}

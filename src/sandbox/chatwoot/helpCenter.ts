/** The help center: portals, categories and articles (portal.rb, category.rb, article.rb). */
import { type ActingUser, requireAdministrator } from './auth.js';
import { notFound } from './errors.js';
import { CHATWOOT_LIMITS } from './limits.js';
import {
  booleanParam,
  enumParam,
  integerParam,
  isBlank,
  objectParam,
  type Params,
  stringParam,
} from './params.js';
import {
  type AccountRecord,
  ARTICLE_STATUSES,
  type ArticleRecord,
  type CategoryRecord,
  type PortalRecord,
} from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

/** ActiveSupport's String#parameterize, which the article slug is made with. */
function parameterize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
}

export function findPortal(account: AccountRecord, slug: unknown): PortalRecord {
  const portal = account.portals.find((candidate) => candidate.slug === stringParam(slug));
  if (!portal) throw notFound();
  return portal;
}

export function createPortal(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
  actor: ActingUser,
): PortalRecord {
  requireAdministrator(actor);
  const name = stringParam(params.name) ?? '';
  const slug = stringParam(params.slug) ?? '';
  const customDomain = stringParam(params.custom_domain);
  const validation = new Validation();
  validation.presence('name', name);
  validation.presence('slug', slug);
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  const allPortals = [...store.accounts.values()].flatMap((candidate) => candidate.portals);
  if (slug !== '' && allPortals.some((portal) => portal.slug === slug))
    validation.add('slug', 'has already been taken');
  if (!isBlank(customDomain) && allPortals.some((portal) => portal.customDomain === customDomain)) {
    validation.add('custom_domain', 'has already been taken');
  }
  validation.check();
  const portal: PortalRecord = {
    id: store.nextId('portal'),
    accountId: account.id,
    name,
    slug,
    color: stringParam(params.color),
    customDomain: isBlank(customDomain) ? null : customDomain,
    headerText: stringParam(params.header_text),
    homepageLink: stringParam(params.homepage_link),
    pageTitle: stringParam(params.page_title),
    archived: booleanParam(params.archived) ?? false,
    config: objectParam(params.config) ?? { allowed_locales: ['en'], default_locale: 'en' },
    createdAt: store.now(),
    categories: [],
    articles: [],
  };
  account.portals.push(portal);
  return portal;
}

export function createCategory(
  store: SandboxStore,
  account: AccountRecord,
  portal: PortalRecord,
  params: Params,
  actor: ActingUser,
): CategoryRecord {
  requireAdministrator(actor);
  const name = stringParam(params.name) ?? '';
  const slug = stringParam(params.slug) ?? '';
  const locale = stringParam(params.locale) ?? 'en';
  const validation = new Validation();
  validation.presence('name', name);
  validation.presence('slug', slug);
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  if (portal.categories.some((category) => category.slug === slug && category.locale === locale)) {
    validation.add('locale', 'should be unique in the category and portal');
  }
  validation.check();
  const category: CategoryRecord = {
    id: store.nextId('category'),
    portalId: portal.id,
    accountId: account.id,
    name,
    slug,
    locale,
    description: stringParam(params.description),
    position: integerParam(params.position),
    parentCategoryId: integerParam(params.parent_category_id),
    associatedCategoryId: integerParam(params.associated_category_id),
    createdAt: store.now(),
  };
  portal.categories.push(category);
  return category;
}

export function createArticle(
  store: SandboxStore,
  account: AccountRecord,
  portal: PortalRecord,
  params: Params,
): ArticleRecord {
  const title = stringParam(params.title) ?? '';
  const content = stringParam(params.content);
  const authorId = integerParam(params.author_id);
  const categoryId = isBlank(params.category_id) ? null : integerParam(params.category_id);
  const status = isBlank(params.status) ? 'draft' : enumParam(ARTICLE_STATUSES, params.status, 'status');
  const validation = new Validation();
  if (authorId === null || !account.members.has(authorId)) validation.add('author', 'must exist');
  validation.presence('title', title);
  validation.maxLength('title', title, CHATWOOT_LIMITS.shortStringChars);
  validation.maxLength('content', content, CHATWOOT_LIMITS.longTextChars);
  if (categoryId !== null && !portal.categories.some((category) => category.id === categoryId)) {
    validation.add('category', 'must exist');
  }
  validation.check();
  const now = store.now();
  const slug = isBlank(params.slug)
    ? `${Math.floor(now / 1000)}-${parameterize(title)}`
    : (stringParam(params.slug) as string);
  const article: ArticleRecord = {
    id: store.nextId('article'),
    portalId: portal.id,
    accountId: account.id,
    categoryId,
    authorId: authorId ?? 0,
    title,
    slug,
    content,
    description: stringParam(params.description),
    status,
    position: integerParam(params.position),
    locale:
      stringParam(params.locale) ??
      portal.categories.find((category) => category.id === categoryId)?.locale ??
      'en',
    meta: objectParam(params.meta) ?? {},
    views: 0,
    createdAt: now,
    updatedAt: now,
  };
  portal.articles.push(article);
  return article;
}

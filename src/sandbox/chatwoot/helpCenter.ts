/**
 * The help center: portals, categories and articles (portal.rb, category.rb, article.rb, the portals,
 * categories and articles controllers).
 * - Portal#normalize_config: `allowed_locales` defaults to `[default_locale || 'en']`, so a portal
 *   created without config allows English only; `default_locale` defaults to the first allowed one.
 *   PortalsController permits `config: [:default_locale, { allowed_locales: [] }]`; an update merges
 *   the new config into the stored one (persisted_config.merge).
 * - Category#allowed_locales: "<locale> of category is not part of portal's [...]" unless the
 *   portal's allowed_locales include the category's locale.
 * - The portal's JSON (portals/_portal.json.jbuilder) renders `config.allowed_locales` as objects
 *   {code, articles_count, categories_count} (models/_portal_config.json.jbuilder): see views.ts.
 * - Article: `validates :content, presence: true`; ensure_locale_in_article takes the category's
 *   locale, or the given one, or the portal's default locale.
 */
import { type ActingUser, requireAdministrator } from './auth.js';
import { notFound } from './errors.js';
import { CHATWOOT_LIMITS } from './limits.js';
import {
  booleanParam,
  enumParam,
  integerParam,
  isBlank,
  isPlainObject,
  objectParam,
  type Params,
  stringParam,
} from './params.js';
import {
  type AccountRecord,
  ARTICLE_STATUSES,
  type ArticleRecord,
  type CategoryRecord,
  type JsonObject,
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
    config: normalizeConfig({}, params.config),
    createdAt: store.now(),
    categories: [],
    articles: [],
  };
  account.portals.push(portal);
  return portal;
}

/** Portal#normalize_config over what PortalsController#portal_params lets through. */
function normalizeConfig(persisted: JsonObject, given: unknown): JsonObject {
  const permitted: JsonObject = {};
  if (isPlainObject(given)) {
    const defaultLocale = stringParam(given.default_locale);
    if (defaultLocale !== null) permitted.default_locale = defaultLocale;
    if (Array.isArray(given.allowed_locales)) {
      permitted.allowed_locales = given.allowed_locales
        .map((locale) => stringParam(locale))
        .filter((locale): locale is string => locale !== null);
    }
  }
  const config: JsonObject = { ...persisted, ...permitted };
  const allowed = allowedLocalesOf(config);
  const defaultLocale =
    (isBlank(config.default_locale) ? null : stringParam(config.default_locale)) ?? allowed[0] ?? 'en';
  return { ...config, allowed_locales: allowed, default_locale: defaultLocale };
}

/** Portal#allowed_locale_codes: present, unique codes, or `[default_locale || 'en']`. */
function allowedLocalesOf(config: JsonObject): string[] {
  const codes = Array.isArray(config.allowed_locales)
    ? [
        ...new Set(
          config.allowed_locales.filter(
            (code): code is string => typeof code === 'string' && code.trim() !== '',
          ),
        ),
      ]
    : [];
  if (codes.length > 0) return codes;
  return [isBlank(config.default_locale) ? 'en' : (stringParam(config.default_locale) ?? 'en')];
}

/** PortalsController#update: `@portal.update!(portal_params)` when params[:portal] is present. */
export function updatePortal(portal: PortalRecord, params: Params, actor: ActingUser): PortalRecord {
  requireAdministrator(actor);
  const fields = isPlainObject(params.portal) ? (params.portal as Params) : params;
  const name = 'name' in fields ? (stringParam(fields.name) ?? '') : portal.name;
  const validation = new Validation();
  validation.presence('name', name);
  validation.maxLength('name', name, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
  portal.name = name;
  for (const [key, field] of [
    ['color', 'color'],
    ['header_text', 'headerText'],
    ['homepage_link', 'homepageLink'],
    ['page_title', 'pageTitle'],
  ] as const) {
    if (key in fields) portal[field] = stringParam(fields[key]);
  }
  if ('config' in fields) portal.config = normalizeConfig(portal.config, fields.config);
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
  const allowed = allowedLocalesOf(portal.config);
  if (!allowed.includes(locale)) {
    // "#{allowed_locales}" is Ruby's Array#inspect: ["en", "fr"], a space after each comma.
    const inspected = `[${allowed.map((code) => JSON.stringify(code)).join(', ')}]`;
    validation.add('locale', `${locale} of category is not part of portal's ${inspected}.`);
  }
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
  validation.presence('content', content);
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
      portal.categories.find((category) => category.id === categoryId)?.locale ??
      (isBlank(params.locale) ? null : stringParam(params.locale)) ??
      (stringParam(portal.config.default_locale) || 'en'),
    meta: objectParam(params.meta) ?? {},
    views: 0,
    createdAt: now,
    updatedAt: now,
  };
  portal.articles.push(article);
  return article;
}

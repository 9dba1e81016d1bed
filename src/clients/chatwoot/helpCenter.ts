/**
 * Chatwoot's help center: portals, their categories and articles (app/controllers/api/v1/accounts/
 * portals_controller.rb, categories_controller.rb, articles_controller.rb). Portals are addressed by
 * slug. Apart from client.ts to keep that file within its size.
 */
import { type HttpCore, type RouteRef, route } from '../httpCore.js';
import { numberedPages } from './pages.js';
import {
  type Article,
  ArticleCreated,
  ArticlePage,
  type Category,
  CategoryCreated,
  CategoryList,
  type Portal,
  PortalCreated,
  PortalList,
} from './schemas.js';

export interface NewPortal {
  name: string;
  slug: string;
  color?: string;
  custom_domain?: string;
  header_text?: string;
  homepage_link?: string;
  page_title?: string;
  config?: { allowed_locales?: string[]; default_locale?: string };
}

export interface NewCategory {
  name: string;
  slug?: string;
  locale: string;
  description?: string;
  position?: number;
  parent_category_id?: number;
}

export interface NewArticle {
  title: string;
  content: string;
  slug?: string;
  description?: string;
  category_id?: number;
  author_id?: number;
  /** 0 draft, 1 published, 2 archived (the swagger's integer enum). */
  status?: 0 | 1 | 2;
  locale?: string;
  position?: number;
}

export interface HelpCenterCalls {
  listPortals(): Promise<Portal[]>;
  createPortal(portal: NewPortal): Promise<Portal>;
  /** PATCH /portals/{slug}; a config is merged into the stored one (Portal#normalize_config). */
  updatePortal(portalSlug: string, fields: Partial<Omit<NewPortal, 'slug'>>): Promise<Portal>;
  listCategories(portalSlug: string, locale?: string): Promise<Category[]>;
  createCategory(portalSlug: string, category: NewCategory): Promise<Category>;
  /** Every article of the portal (all pages). */
  listArticles(portalSlug: string, locale?: string): Promise<Article[]>;
  createArticle(portalSlug: string, article: NewArticle): Promise<Article>;
}

export function helpCenterCalls(core: HttpCore, accountId: number): HelpCenterCalls {
  const portalsRoute = (path = '', portalSlug?: string): RouteRef =>
    portalSlug === undefined
      ? route('/api/v1/accounts/{account_id}/portals', { account_id: accountId })
      : route(`/api/v1/accounts/{account_id}/portals/{portal_slug}${path}`, {
          account_id: accountId,
          portal_slug: portalSlug,
        });
  return {
    listPortals: async () =>
      (await core.request({ method: 'GET', route: portalsRoute() }, PortalList)).payload,
    createPortal: (portal) =>
      core.request({ method: 'POST', route: portalsRoute(), json: portal }, PortalCreated),
    updatePortal: (portalSlug, fields) =>
      core.request(
        { method: 'PATCH', route: portalsRoute('', portalSlug), json: fields, replaySafe: true },
        PortalCreated,
      ),
    listCategories: async (portalSlug, locale) =>
      (
        await core.request(
          { method: 'GET', route: portalsRoute('/categories', portalSlug), query: { locale } },
          CategoryList,
        )
      ).payload,
    createCategory: (portalSlug, category) =>
      core.request(
        { method: 'POST', route: portalsRoute('/categories', portalSlug), json: category },
        CategoryCreated,
      ),
    listArticles: async (portalSlug, locale) => {
      const articlesRoute = portalsRoute('/articles', portalSlug);
      const articles: Article[] = [];
      for await (const page of numberedPages(1, async (page) => {
        const answer = await core.request(
          { method: 'GET', route: articlesRoute, query: { page, locale } },
          ArticlePage,
        );
        return { items: answer.payload, total: answer.meta?.articles_count ?? undefined };
      })) {
        articles.push(...page.items);
      }
      return articles;
    },
    createArticle: (portalSlug, article) =>
      core.request(
        { method: 'POST', route: portalsRoute('/articles', portalSlug), json: article },
        ArticleCreated,
      ),
  };
}

/** Help center routes: portals, their categories and articles. */
import { CHATWOOT_LIMITS } from '../limits.js';
import type { ArticleRecord } from '../records.js';
import { ACCOUNT_BASE, currentPage, ok, paginate, type RouteTable } from './router.js';

export function addHelpCenterRoutes({ add, state, views }: RouteTable): void {
  add('GET', `${ACCOUNT_BASE}/portals`, ({ account }) =>
    ok({ payload: account.portals.map((portal) => views.portal(portal)) }),
  );
  add('POST', `${ACCOUNT_BASE}/portals`, ({ account, params, actor }) =>
    ok(views.portal(state.createPortal(account, params, actor))),
  );
  add('GET', `${ACCOUNT_BASE}/portals/:portal_id/categories`, ({ account, path }) => {
    const portal = state.portal(account, path.portal_id);
    return ok({
      payload: portal.categories.map((category) => views.category(portal, category)),
      meta: { current_page: 1, categories_count: portal.categories.length },
    });
  });
  add('POST', `${ACCOUNT_BASE}/portals/:portal_id/categories`, ({ account, path, params, actor }) => {
    const portal = state.portal(account, path.portal_id);
    return ok({ payload: views.category(portal, state.createCategory(account, portal, params, actor)) });
  });
  add('GET', `${ACCOUNT_BASE}/portals/:portal_id/articles`, ({ account, path, params, actor }) => {
    const portal = state.portal(account, path.portal_id);
    const count = (status: ArticleRecord['status']) =>
      portal.articles.filter((article) => article.status === status).length;
    return ok({
      payload: paginate(portal.articles, params, CHATWOOT_LIMITS.articlesPerPage).map((article) =>
        views.article(account, portal, article),
      ),
      meta: {
        all_articles_count: portal.articles.length,
        archived_articles_count: count('archived'),
        articles_count: portal.articles.length,
        current_page: currentPage(params),
        draft_articles_count: count('draft'),
        mine_articles_count: portal.articles.filter((article) => article.authorId === actor.user.id).length,
        published_count: count('published'),
      },
    });
  });
  add('POST', `${ACCOUNT_BASE}/portals/:portal_id/articles`, ({ account, path, params }) => {
    const portal = state.portal(account, path.portal_id);
    return ok({ payload: views.article(account, portal, state.createArticle(account, portal, params)) });
  });
}

/** The help center: GET /help_center/collections and /articles, each with its {id} route. */
import { findOr404, type Reply, type SandboxContext } from '../http.js';
import { pageNumber, pagesObject, perPage } from '../pagination.js';
import { articleToWire, compareIds } from '../workspaceFiles.js';

export function listCollections(sandbox: SandboxContext, url: URL): Reply {
  return numberedList(sandbox, url, '/help_center/collections', sandbox.dataset.collections, 20, (c) => c);
}

export function getCollection(sandbox: SandboxContext, id: string | undefined): Reply {
  return { body: findOr404(sandbox.dataset.collections, id, 'Collection not found') };
}

export function listArticles(sandbox: SandboxContext, url: URL): Reply {
  return numberedList(sandbox, url, '/articles', sandbox.dataset.articles, 25, articleToWire);
}

export function getArticle(sandbox: SandboxContext, id: string | undefined): Reply {
  return { body: articleToWire(findOr404(sandbox.dataset.articles, id, 'Article not found')) };
}

/** Help-center lists: newest updated first, numbered pages with a `next` link. */
function numberedList<T extends { id: string; updated_at?: number | null }>(
  sandbox: SandboxContext,
  url: URL,
  path: string,
  items: T[],
  defaultSize: number,
  toWire: (item: T) => unknown,
): Reply {
  const size = perPage(url, defaultSize, 150);
  const page = pageNumber(url);
  const ordered = [...items].sort(
    (a, b) => (b.updated_at ?? 0) - (a.updated_at ?? 0) || compareIds(b.id, a.id),
  );
  const totalPages = Math.ceil(ordered.length / size);
  return {
    body: {
      type: 'list',
      data: ordered.slice((page - 1) * size, page * size).map(toWire),
      total_count: ordered.length,
      pages: pagesObject(
        page,
        size,
        ordered.length,
        page < totalPages ? `${sandbox.url}${path}?page=${page + 1}&per_page=${size}` : undefined,
      ),
    },
  };
}

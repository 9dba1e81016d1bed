/** GET /macros and GET /macros/{id}: both answer 404 under versions before 2.15, as the API does. */
import { z } from 'zod';
import type { IntercomDataset } from '../dataset.js';
import { findOr404, invalid, notFound, type Reply, type RequestContext } from '../http.js';
import { decodeCursor, perPage } from '../pagination.js';
import { isRecent } from '../versions.js';
import { compareIds } from '../workspaceFiles.js';

const MacroCursor = z.tuple([z.number(), z.string()]);

/** Newest updated first, optionally only those updated after `updated_since`. */
export function listMacros(dataset: IntercomDataset, { url, versionRank }: RequestContext): Reply {
  if (!isRecent(versionRank)) throw notFound();
  const size = perPage(url, 50, 150);
  const sinceText = url.searchParams.get('updated_since');
  let since = Number.NEGATIVE_INFINITY;
  if (sinceText !== null) {
    if (!/^\d+$/.test(sinceText)) throw invalid('Invalid updated_since timestamp');
    since = Number(sinceText);
  }
  const seconds = (iso: string | null | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
  const ordered = dataset.macros
    .filter((macro) => seconds(macro.updated_at) > since)
    .sort((a, b) => seconds(b.updated_at) - seconds(a.updated_at) || compareIds(b.id, a.id));
  const after = url.searchParams.get('starting_after');
  let from = 0;
  if (after) {
    const [updated, id] = decodeCursor(after, MacroCursor, 'starting_after');
    const index = ordered.findIndex(
      (m) =>
        seconds(m.updated_at) < updated || (seconds(m.updated_at) === updated && compareIds(m.id, id) < 0),
    );
    from = index < 0 ? ordered.length : index;
  }
  const items = ordered.slice(from, from + size);
  const last = items[items.length - 1];
  const more = from + size < ordered.length && last !== undefined;
  // The documented cursor: Base64 of a JSON array [updated_at, id] as Python prints it.
  const next = more
    ? {
        starting_after: Buffer.from(`[${seconds(last.updated_at)}.0, ${JSON.stringify(last.id)}]`).toString(
          'base64',
        ),
      }
    : null;
  return { body: { type: 'list', data: items, pages: { type: 'pages', per_page: size, next } } };
}

export function getMacro(dataset: IntercomDataset, { params, versionRank }: RequestContext): Reply {
  if (!isRecent(versionRank)) throw notFound();
  return { body: findOr404(dataset.macros, params.id) };
}

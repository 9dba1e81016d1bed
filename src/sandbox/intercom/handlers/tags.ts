/** GET /tags, GET /tags/{id} and POST /tags (create, rename). Tagging a conversation is in conversations.ts. */
import { z } from 'zod';
import type { IntercomDataset } from '../dataset.js';
import { findOr404, invalid, type Reply } from '../http.js';

export function listTags(dataset: IntercomDataset): Reply {
  return { body: { type: 'list', data: dataset.tags } };
}

export function getTag(dataset: IntercomDataset, id: string | undefined): Reply {
  return { body: findOr404(dataset.tags, id, 'Tag not found') };
}

/** With an id it renames; without, it returns the tag of that name (any case), creating it if need be. */
export function createOrUpdateTag(dataset: IntercomDataset, body: unknown): Reply {
  const request = z
    .looseObject({
      name: z.string().trim().min(1).max(255),
      id: z.union([z.string(), z.number()]).optional(),
    })
    .safeParse(body ?? {});
  if (!request.success) throw invalid('invalid tag parameters');
  if ('companies' in request.data || 'users' in request.data) {
    throw invalid('tagging companies or users is not modelled by the sandbox');
  }
  const { name } = request.data;
  if (request.data.id !== undefined) {
    const tag = findOr404(dataset.tags, String(request.data.id), 'Tag not found');
    tag.name = name;
    return { body: tag };
  }
  const existing = dataset.tags.find((tag) => tag.name.toLowerCase() === name.toLowerCase());
  if (existing) return { body: existing };
  const ids = dataset.tags.map((tag) => Number(tag.id)).filter(Number.isFinite);
  const tag = { type: 'tag' as const, id: String(Math.max(100, ...ids) + 1), name };
  dataset.tags.push(tag);
  return { body: tag };
}

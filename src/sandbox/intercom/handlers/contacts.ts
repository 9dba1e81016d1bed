/** GET /contacts and GET /contacts/{id}. */
import type { IntercomDataset } from '../dataset.js';
import { findOr404, type Reply } from '../http.js';
import { keysetPage, perPage } from '../pagination.js';

/** GET /contacts: cursor pages in creation order (keyset on created_at, id). */
export function listContacts(dataset: IntercomDataset, url: URL): Reply {
  const size = perPage(url, 50, 150);
  const { items, total, pages } = keysetPage(url, dataset.contacts, size, (c) => c.created_at, 'asc');
  return { body: { type: 'list', data: items, total_count: total, pages } };
}

export function getContact(dataset: IntercomDataset, id: string | undefined): Reply {
  return { body: findOr404(dataset.contacts, id, 'User Not Found') };
}

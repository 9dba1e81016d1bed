/** GET /contacts; one contact, its notes, companies and tags, and merges are in contactData.ts. */
import type { IntercomDataset } from '../dataset.js';
import type { Reply } from '../http.js';
import { keysetPage, perPage } from '../pagination.js';
import { contactToWire } from './contactData.js';

export { getContact } from './contactData.js';

/** GET /contacts: cursor pages in creation order (keyset on created_at, id); merged contacts are gone. */
export function listContacts(dataset: IntercomDataset, url: URL): Reply {
  const size = perPage(url, 50, 150);
  const { items, total, pages } = keysetPage(url, dataset.contacts, size, (c) => c.created_at, 'asc');
  return {
    body: {
      type: 'list',
      data: items.map((contact) => contactToWire(dataset, contact)),
      total_count: total,
      pages,
    },
  };
}

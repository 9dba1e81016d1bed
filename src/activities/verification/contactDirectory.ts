/**
 * Contacts by identifier for the verification, in the fewest requests: GET /contacts (15 a page,
 * ContactsController::RESULTS_PER_PAGE, `meta.count` the whole list) read once when its pages are
 * fewer than the contacts to look up, else one POST /contacts/filter per contact as the import does.
 * The list holds every contact with an identifier (Contact.resolved_contacts: an email, a phone number
 * or an identifier), and every migrated contact has one. Sorted by created_at (Sift's sort_on), so a
 * contact written to while the pages are read moves no other across a page boundary.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { FULL_WALK_READ_AHEAD } from '../../clients/chatwoot/pages.js';
import { findContactByIdentifiers } from '../import/chatwootWrites.js';

export interface FoundContact {
  id: number;
  identifier?: string | null;
}

export interface ContactDirectory {
  /** The contacts whose identifier is exactly one of `forms` (identifiers are unique per account). */
  findAll(forms: readonly string[]): Promise<FoundContact[]>;
  /** The contact of the first form that has one (findContactByIdentifiers' order). */
  findOne(forms: readonly string[]): Promise<FoundContact | undefined>;
  /** 'list' when the contacts were paged, 'filter' when each is looked up. */
  readonly mode: 'list' | 'filter';
}

function filtering(chatwoot: ChatwootClient): ContactDirectory {
  return {
    mode: 'filter',
    async findAll(forms) {
      const found =
        forms.length === 1
          ? await chatwoot.filterContacts('identifier', forms[0] as string)
          : await chatwoot.filterContactsByIdentifiers(forms);
      return found.filter((candidate) => forms.includes(candidate.identifier ?? ''));
    },
    findOne: (forms) => findContactByIdentifiers(chatwoot, forms),
  };
}

/** A directory over listed contacts (pure). */
export function listedDirectory(contacts: Iterable<FoundContact>): ContactDirectory {
  const byIdentifier = new Map<string, FoundContact[]>();
  for (const contact of contacts) {
    if (!contact.identifier) continue;
    const entry = { id: contact.id, identifier: contact.identifier };
    const same = byIdentifier.get(contact.identifier);
    if (same) {
      if (!same.some((known) => known.id === contact.id)) same.push(entry);
    } else byIdentifier.set(contact.identifier, [entry]);
  }
  const findAll = async (forms: readonly string[]) =>
    [...new Set(forms)].flatMap((form) => byIdentifier.get(form) ?? []);
  return {
    mode: 'list',
    findAll,
    async findOne(forms) {
      for (const form of forms) {
        const found = byIdentifier.get(form)?.[0];
        if (found) return found;
      }
      return undefined;
    },
  };
}

/**
 * `lookups`: how many contacts the caller will look up (at most). The first page tells the list's
 * size; reading the rest costs ceil(count / page size) - 1 more requests.
 */
export async function contactDirectory(
  chatwoot: ChatwootClient,
  lookups: number,
  onPage: () => void = () => {},
): Promise<ContactDirectory> {
  if (lookups <= 1) return filtering(chatwoot);
  const pages = chatwoot.listContactPages(1, {
    sort: 'created_at',
    contactInboxes: false,
    readAhead: FULL_WALK_READ_AHEAD,
  });
  const first = await pages.next();
  if (first.done) return listedDirectory([]);
  const { items, total } = first.value;
  const remaining = total === undefined ? Number.POSITIVE_INFINITY : Math.ceil(total / items.length) - 1;
  if (remaining >= lookups) {
    await pages.return(undefined);
    return filtering(chatwoot);
  }
  const listed: FoundContact[] = [...items];
  onPage();
  for await (const page of pages) {
    listed.push(...page.items);
    onPage();
  }
  return listedDirectory(listed);
}

/**
 * The part of a contact the contact object does not carry (see clients/intercom/contactSchemas.ts):
 * every note, and every company and tag when the object shows only the first 10. Fetched only for
 * contacts whose object says there is something to fetch (a note count, has_more, or more than it
 * lists), so a workspace without notes costs no request more than before. Kept on the record under
 * `exported_extras`.
 *
 * Also the 410 of a merged contact: recorded under blobLayout.intercomMergedContact, where the import
 * finds the contact a conversation's old reference stands for.
 */
import type { IntercomClient } from '../../clients/intercom/client.js';
import {
  type ContactExtras,
  EXTRAS_FIELD,
  listHasAny,
  listIsCut,
  listRef,
} from '../../clients/intercom/contactSchemas.js';
import type { Contact } from '../../clients/intercom/schemas.js';
import { type BlobStore, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';

/** Contacts whose extras are fetched at once (each costs one to a few requests). */
const CONTACTS_AT_ONCE = 4;

/** What a merged contact's blob holds. */
export interface IntercomMergedContact {
  /** The contact it was merged into (the final target of the Link header). */
  canonicalId: string;
  /** That contact's external id, when it has one: its Chatwoot identifier is made from it. */
  canonicalExternalId?: string | null;
}

export async function fetchContactExtras(intercom: IntercomClient, contact: Contact): Promise<ContactExtras> {
  const record = contact as Record<string, unknown>;
  const extras: ContactExtras = {};
  if (listHasAny(listRef(record.notes))) extras.notes = await intercom.contactNotes(contact.id);
  if (listIsCut(listRef(record.companies))) {
    extras.companies = (await intercom.contactCompanies(contact.id)).map((company) => ({
      id: company.id,
      company_id: company.company_id ?? null,
      name: company.name ?? null,
    }));
  }
  if (listIsCut(listRef(record.tags))) extras.tags = await intercom.contactTags(contact.id);
  return extras;
}

/** The contacts with their extras, in order; contacts without any are returned as they are. */
export async function withContactExtras(intercom: IntercomClient, contacts: Contact[]): Promise<Contact[]> {
  const out = new Array<Contact>(contacts.length);
  let next = 0;
  const lane = async () => {
    while (next < contacts.length) {
      const index = next++;
      const contact = contacts[index] as Contact;
      const extras = await fetchContactExtras(intercom, contact);
      out[index] =
        Object.keys(extras).length > 0 ? ({ ...contact, [EXTRAS_FIELD]: extras } as Contact) : contact;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONTACTS_AT_ONCE, contacts.length) }, lane));
  return out;
}

export async function recordIntercomMerge(
  store: BlobStore,
  account: number,
  mergedId: string,
  canonical: Contact,
): Promise<void> {
  const merged: IntercomMergedContact = {
    canonicalId: canonical.id,
    canonicalExternalId: canonical.external_id ?? null,
  };
  await putJson(store, blobLayout.intercomMergedContact(account, mergedId), merged);
}

/**
 * What Intercom 2.16 holds about a contact beyond the contact object, and how the export keeps it.
 *
 * The contact object lists at most 10 notes, tags and companies (`contact_notes`, `contact_tags`,
 * `contact_companies`: "Up to 10 will be displayed here. Use the url to get more."), and its items
 * are references (`addressable_list`, `company_data`: type, id, url) without a body or a name:
 * - notes: GET /contacts/{id}/notes, a page-numbered `note_list` (pages.total_pages);
 * - companies: GET /contacts/{id}/companies, a page-numbered `contact_attached_companies` (the
 *   description's schema calls the array `companies`, its example `data`: both are read);
 * - tags: GET /contacts/{id}/tags, a `tag_list` with names, not paged.
 * The export keeps what it fetched on the contact record under `exported_extras` (not an Intercom
 * field), so that a contact's chunk is all the import needs.
 */
import { z } from 'zod';
import { Company, CursorPages, IntercomId, Tag } from './schemas.js';

/** contact.notes / contact.tags / contact.companies: the first references and the real count. */
export const ContactListRef = z.looseObject({
  type: z.string().nullish(),
  data: z.array(z.looseObject({ type: z.string().nullish(), id: IntercomId })).nullish(),
  url: z.string().nullish(),
  total_count: z.number().nullish(),
  has_more: z.boolean().nullish(),
});
export type ContactListRef = z.infer<typeof ContactListRef>;

export const Note = z.looseObject({
  type: z.string().nullish(),
  id: IntercomId,
  created_at: z.number(),
  contact: z.looseObject({ type: z.string().nullish(), id: IntercomId }).nullish(),
  /** `admin` in the description, itself nullable ("Optional. Represents the Admin that created the note."). */
  author: z
    .looseObject({
      type: z.string().nullish(),
      id: IntercomId.nullish(),
      name: z.string().nullish(),
      email: z.string().nullish(),
    })
    .nullish(),
  /** HTML. */
  body: z.string().nullish(),
});
export type Note = z.infer<typeof Note>;

export const NoteList = z.looseObject({
  type: z.string().nullish(),
  data: z.array(Note),
  total_count: z.number().nullish(),
  pages: CursorPages.nullish(),
});

/** `pages` of contact_attached_companies is a `pages_link`: next is a URL or null. */
export const ContactCompanyList = z.looseObject({
  type: z.string().nullish(),
  data: z.array(Company).nullish(),
  companies: z.array(Company).nullish(),
  total_count: z.number().nullish(),
  pages: z
    .looseObject({
      page: z.number().nullish(),
      per_page: z.number().nullish(),
      total_pages: z.number().nullish(),
      next: z.unknown().optional(),
    })
    .nullish(),
});

export const ContactTagList = z.looseObject({ type: z.string().nullish(), data: z.array(Tag) });

/** The references the contact object carries, whatever the field holds (absent, null, a list). */
export function listRef(value: unknown): ContactListRef {
  const parsed = ContactListRef.safeParse(value);
  return parsed.success ? parsed.data : {};
}

/** True when the contact object may not show all of a list: more than its references, or has_more. */
export function listIsCut(ref: ContactListRef): boolean {
  const shown = ref.data?.length ?? 0;
  return ref.has_more === true || (typeof ref.total_count === 'number' && ref.total_count > shown);
}

/** True when the contact has any item of that list (notes are never in the object: a count is enough). */
export function listHasAny(ref: ContactListRef): boolean {
  return (ref.data?.length ?? 0) > 0 || (ref.total_count ?? 0) > 0 || ref.has_more === true;
}

/** A company as the export keeps it for a contact: enough to name it. */
export const ExportedCompany = z.looseObject({
  id: IntercomId,
  company_id: z.string().nullish(),
  name: z.string().nullish(),
});
export type ExportedCompany = z.infer<typeof ExportedCompany>;

/** What the export adds to a contact record (`exported_extras`). */
export const ContactExtras = z.looseObject({
  /** Every note, newest first as Intercom lists them; absent when the contact has none. */
  notes: z.array(Note).optional(),
  /** Every company in Intercom's order, fetched only when the contact object did not show them all. */
  companies: z.array(ExportedCompany).optional(),
  /** Every tag with its name, fetched only when the contact object did not show them all. */
  tags: z.array(Tag).optional(),
});
export type ContactExtras = z.infer<typeof ContactExtras>;

export const EXTRAS_FIELD = 'exported_extras';

/** The extras the export kept on a contact record ({} when none, or when unreadable). */
export function contactExtrasOf(contact: Record<string, unknown>): ContactExtras {
  const parsed = ContactExtras.safeParse(contact[EXTRAS_FIELD] ?? {});
  return parsed.success ? parsed.data : {};
}

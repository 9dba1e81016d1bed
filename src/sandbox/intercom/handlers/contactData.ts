/**
 * Contacts as Intercom 2.16 serves them (intercom-openapi.yaml, "Contacts" and "Notes"):
 *
 * - The contact object lists at most 10 notes, tags and companies, as references (type, id, url),
 *   with the real `total_count` and `has_more` (`contact_notes`, `contact_tags`, `contact_companies`:
 *   "Up to 10 will be displayed here. Use the url to get more."). The dataset holds every tag and
 *   company reference on the contact and every note in `dataset.notes`; the cap is applied here.
 * - GET /contacts/{id}/notes: a `note_list`, newest first, page-numbered (page, per_page, total_pages;
 *   the description's example: 50 a page). GET /contacts/{id}/companies: `contact_attached_companies`,
 *   page-numbered with a `pages_link` whose `next` is a URL or null; the array is `data`, as in the
 *   description's example (its schema says `companies`). GET /contacts/{id}/tags: a `tag_list` with
 *   names, not paged.
 * - POST /contacts/merge {from, into, skip_duplicate_validation}: `from` must be a lead and `into` a
 *   user; unless told to skip it, they must be duplicates (same e-mail or phone), else 400
 *   invalid_merge. `from` leaves the contact list, and its conversations, notes, tags and companies go
 *   to `into`. Afterwards GET /contacts/{from} answers 410 Gone, code `contact_merged`, with
 *   `Link: </contacts/{canonical_id}>; rel="canonical"` naming the final target (chains resolved up to
 *   3 hops, as the description says).
 */
import { z } from 'zod';
import type { Contact } from '../../../clients/intercom/schemas.js';
import type { IntercomDataset } from '../dataset.js';
import { ApiError, invalid, notFound, type Reply, type SandboxContext } from '../http.js';
import { pageNumber, perPage } from '../pagination.js';

/** How many references of each list the contact object shows. */
export const CONTACT_OBJECT_LIST_CAP = 10;
/** How many merges GET /contacts/{id} follows to name the canonical contact. */
const MAX_MERGE_HOPS = 3;

type Reference = { type?: string | null; id: string; url?: string | null };

/** A list field of a contact as stored, whatever the contact schema types it as. */
const fieldOf = (contact: Contact, kind: 'tags' | 'companies'): unknown =>
  (contact as Record<string, unknown>)[kind];

const refsOf = (list: unknown): Reference[] => {
  const parsed = z
    .looseObject({ data: z.array(z.looseObject({ id: z.string() })).nullish() })
    .safeParse(list ?? {});
  return parsed.success ? ((parsed.data.data ?? []) as Reference[]) : [];
};

function listObject(contactId: string, kind: string, refs: Reference[]): Record<string, unknown> {
  return {
    type: 'list',
    data: refs.slice(0, CONTACT_OBJECT_LIST_CAP),
    url: `/contacts/${contactId}/${kind}`,
    total_count: refs.length,
    has_more: refs.length > CONTACT_OBJECT_LIST_CAP,
  };
}

type Note = NonNullable<IntercomDataset['notes']>[number];

const newestFirst = (a: Note, b: Note) =>
  b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** The notes of a contact, newest first (then highest id), as GET /contacts/{id}/notes lists them. */
export function notesOf(dataset: IntercomDataset, contactId: string): Note[] {
  // A bucket's notes are checked again: one moved away since the grouping is not listed.
  return (notesByContact(dataset).get(contactId) ?? []).filter((note) => note.contact?.id === contactId);
}

interface NoteGrouping {
  notes: readonly Note[];
  length: number;
  last: Note | undefined;
  merges: unknown;
  byContact: Map<string, Note[]>;
}
const groupings = new WeakMap<IntercomDataset, NoteGrouping>();

/**
 * Every contact's notes, each newest first. Grouped once and kept while the notes are the same: a scan
 * per request (a page of 150 contacts, then one notes listing per contact) made the export of a
 * 100,000-conversation workspace quadratic, most of the sandbox's time. Grouped again when the list
 * is another, longer or shorter, has another last note, or a merge happened: a note changes contact
 * only in a merge (mergeContacts), which replaces `dataset.contactMerges`.
 */
export function notesByContact(dataset: IntercomDataset): Map<string, Note[]> {
  const notes = dataset.notes ?? [];
  const known = groupings.get(dataset);
  if (
    known &&
    known.notes === notes &&
    known.length === notes.length &&
    known.last === notes.at(-1) &&
    known.merges === dataset.contactMerges
  ) {
    return known.byContact;
  }
  const byContact = new Map<string, Note[]>();
  for (const note of notes) {
    const contactId = note.contact?.id;
    if (contactId === undefined) continue;
    const bucket = byContact.get(contactId);
    if (bucket) bucket.push(note);
    else byContact.set(contactId, [note]);
  }
  for (const bucket of byContact.values()) bucket.sort(newestFirst);
  groupings.set(dataset, {
    notes,
    length: notes.length,
    last: notes.at(-1),
    merges: dataset.contactMerges,
    byContact,
  });
  return byContact;
}

/** A contact as the API sends it: each list capped at 10 references, with its real count. */
export function contactToWire(dataset: IntercomDataset, contact: Contact): Record<string, unknown> {
  const noteRefs = notesOf(dataset, contact.id).map((note) => ({
    type: 'note',
    id: note.id,
    url: `/notes/${note.id}`,
  }));
  return {
    ...contact,
    tags: listObject(contact.id, 'tags', refsOf(fieldOf(contact, 'tags'))),
    notes: listObject(contact.id, 'notes', noteRefs),
    companies: listObject(contact.id, 'companies', refsOf(fieldOf(contact, 'companies'))),
  };
}

/** The contact a merged id now stands for, after at most MAX_MERGE_HOPS merges; undefined when not merged. */
export function canonicalContactId(dataset: IntercomDataset, id: string): string | undefined {
  const merges = dataset.contactMerges ?? {};
  let current = id;
  for (let hop = 0; hop < MAX_MERGE_HOPS && Object.hasOwn(merges, current); hop++) {
    current = merges[current] as string;
  }
  return current === id ? undefined : current;
}

/** 410 Gone for a merged contact, exactly as the description documents it. */
export class ContactGone extends ApiError {
  constructor(canonicalId: string) {
    super(
      410,
      'contact_merged',
      "This contact has been merged. See the 'Link' header for the canonical contact.",
    );
    this.headers = { link: `</contacts/${encodeURIComponent(canonicalId)}>; rel="canonical"` };
  }
}

/** The live contact of an id: 410 when it was merged away, 404 when there is none. */
export function liveContact(dataset: IntercomDataset, id: string | undefined): Contact {
  const contact = dataset.contacts.find((candidate) => candidate.id === id);
  if (contact) return contact;
  const canonical = id === undefined ? undefined : canonicalContactId(dataset, id);
  if (canonical !== undefined) throw new ContactGone(canonical);
  throw notFound('User Not Found');
}

/** GET /contacts/{id}. */
export function getContact(dataset: IntercomDataset, id: string | undefined): Reply {
  return { body: contactToWire(dataset, liveContact(dataset, id)) };
}

/** Sub-resources of a merged contact are gone with it: only the contact itself says where it went. */
function subResourceOwner(dataset: IntercomDataset, id: string | undefined): Contact {
  const contact = dataset.contacts.find((candidate) => candidate.id === id);
  if (!contact) throw notFound('User Not Found');
  return contact;
}

function pageOf<T>(url: URL, items: readonly T[]) {
  const size = perPage(url, 50, 150);
  const page = pageNumber(url);
  const totalPages = Math.max(1, Math.ceil(items.length / size));
  return { size, page, totalPages, items: items.slice((page - 1) * size, page * size) };
}

/** GET /contacts/{id}/notes: a `note_list`, newest first, page-numbered. */
export function listContactNotes(dataset: IntercomDataset, id: string | undefined, url: URL): Reply {
  const contact = subResourceOwner(dataset, id);
  const notes = notesOf(dataset, contact.id);
  const { size, page, totalPages, items } = pageOf(url, notes);
  return {
    body: {
      type: 'list',
      data: items,
      total_count: notes.length,
      pages: {
        type: 'pages',
        next: page < totalPages ? { page: page + 1, starting_after: null } : null,
        page,
        per_page: size,
        total_pages: totalPages,
      },
    },
  };
}

/** GET /contacts/{id}/companies: every attached company, page-numbered, `next` a URL. */
export function listContactCompanies(sandbox: SandboxContext, id: string | undefined, url: URL): Reply {
  const { dataset } = sandbox;
  const contact = subResourceOwner(dataset, id);
  const companies = refsOf(fieldOf(contact, 'companies'))
    .map((ref) => dataset.companies.find((company) => company.id === ref.id))
    .filter((company) => company !== undefined);
  const { size, page, totalPages, items } = pageOf(url, companies);
  const next =
    page < totalPages
      ? `${sandbox.url}/contacts/${encodeURIComponent(contact.id)}/companies?page=${page + 1}&per_page=${size}`
      : null;
  return {
    body: {
      type: 'list',
      data: items,
      pages: { type: 'pages', next, page, per_page: size, total_pages: totalPages },
      total_count: companies.length,
    },
  };
}

/** GET /contacts/{id}/tags: every tag of the contact with its name. */
export function listContactTags(dataset: IntercomDataset, id: string | undefined): Reply {
  const contact = subResourceOwner(dataset, id);
  const tags = refsOf(fieldOf(contact, 'tags'))
    .map((ref) => dataset.tags.find((tag) => tag.id === ref.id))
    .filter((tag) => tag !== undefined);
  return { body: { type: 'list', data: tags } };
}

const MergeRequest = z.looseObject({
  from: z.union([z.string(), z.number()]).transform(String),
  into: z.union([z.string(), z.number()]).transform(String),
  skip_duplicate_validation: z.boolean().optional(),
});

const sameText = (a: string | null | undefined, b: string | null | undefined) =>
  typeof a === 'string' &&
  typeof b === 'string' &&
  a.trim() !== '' &&
  a.trim().toLowerCase() === b.trim().toLowerCase();

/** POST /contacts/merge: the lead `from` into the user `into`; answers with `into`. */
export function mergeContacts(sandbox: SandboxContext, body: unknown): Reply {
  const { dataset } = sandbox;
  const request = MergeRequest.safeParse(body ?? {});
  if (!request.success) throw new ApiError(400, 'parameter_not_found', 'from and into are required');
  const { from: fromId, into: intoId, skip_duplicate_validation: skip } = request.data;
  const from = dataset.contacts.find((contact) => contact.id === fromId);
  const into = dataset.contacts.find((contact) => contact.id === intoId);
  if (!from || !into) throw notFound('User Not Found');
  if (from === into) throw invalid('a contact cannot be merged into itself');
  if (from.role !== 'lead') throw invalid('the contact to merge from must be a lead');
  if (into.role !== 'user') throw invalid('the contact to merge into must be a user');
  if (!skip && !sameText(from.email, into.email) && !sameText(from.phone, into.phone)) {
    throw new ApiError(
      400,
      'invalid_merge',
      'Contacts can only be merged when they are duplicates (matching email or phone). Pass skip_duplicate_validation=true to override this check.',
    );
  }
  dataset.contacts.splice(dataset.contacts.indexOf(from), 1);
  dataset.contactMerges = { ...(dataset.contactMerges ?? {}), [from.id]: into.id };
  for (const note of dataset.notes ?? []) {
    if (note.contact?.id === from.id) note.contact = { ...note.contact, id: into.id };
  }
  for (const kind of ['tags', 'companies'] as const) {
    (into as Record<string, unknown>)[kind] = mergedList(
      into.id,
      kind,
      fieldOf(into, kind),
      fieldOf(from, kind),
    );
  }
  for (const conversation of dataset.conversations) moveConversation(conversation, from.id, into.id);
  into.updated_at = Math.max(into.updated_at, sandbox.nowSeconds());
  return { body: contactToWire(dataset, into) };
}

function mergedList(intoId: string, kind: string, into: unknown, from: unknown): Record<string, unknown> {
  const refs = [...refsOf(into)];
  for (const ref of refsOf(from)) if (!refs.some((known) => known.id === ref.id)) refs.push(ref);
  return {
    type: 'list',
    data: refs,
    url: `/contacts/${intoId}/${kind}`,
    total_count: refs.length,
    has_more: false,
  };
}

/** The merged contact's conversations are the survivor's: its references and its authorship move. */
function moveConversation(
  conversation: IntercomDataset['conversations'][number],
  fromId: string,
  intoId: string,
) {
  const refs = conversation.contacts?.contacts ?? [];
  if (refs.some((ref) => ref.id === fromId)) {
    const moved = refs.map((ref) => (ref.id === fromId ? { ...ref, id: intoId } : ref));
    conversation.contacts = {
      ...conversation.contacts,
      contacts: moved.filter((ref, index) => moved.findIndex((other) => other.id === ref.id) === index),
    };
  }
  const authors = [
    conversation.source.author,
    ...(conversation.conversation_parts?.conversation_parts ?? []).map((p) => p.author),
  ];
  for (const author of authors) {
    if (author.id === fromId) {
      author.id = intoId;
      if (author.type === 'lead') author.type = 'user';
    }
  }
}

/**
 * Contact notes and contact labels, as Chatwoot 4.10 keeps them.
 *
 * Notes (app/controllers/api/v1/accounts/contacts/notes_controller.rb, app/models/note.rb):
 * - The contact is `Current.account.contacts.find(params[:contact_id])` (Contacts::BaseController):
 *   404 for another account's contact. No Pundit check: every member of the account may write.
 * - index: `@contact.notes.latest` (order created_at desc), all of them, not paged.
 * - create: `@contact.notes.create!(content:, user_id: Current.user.id)`, the params read from
 *   `params[:note]` when present, else from the top level. note.rb validates content, account, contact
 *   and user presence; `create!` raises RecordInvalid, rendered 422 {message, attributes}. created_at
 *   is the server's clock: a note cannot be backdated.
 * - update: content only (the user stays), same validations; destroy: `head :ok`.
 *
 * Labels (app/controllers/api/v1/accounts/contacts/labels_controller.rb with LabelConcern, as in
 * 4.10): POST replaces the contact's label_list with `labels` (`model.update_labels(params[:labels])`,
 * acts-as-taggable: the array is joined with commas and split again, blanks stripped, duplicates that
 * differ only in case dropped; labels need not exist in the account); index and create render
 * `json.payload @labels`.
 */
import type { ActingUser } from './auth.js';
import { notFound, RecordInvalidError } from './errors.js';
import { integerParam, isBlank, objectParam, type Params, stringParam } from './params.js';
import type { AccountRecord, ContactRecord, NoteRecord } from './records.js';
import type { SandboxStore } from './store.js';

function notesOf(account: AccountRecord): NoteRecord[] {
  account.notes ??= [];
  return account.notes;
}

/** `@contact.notes.latest`: newest first; the same second falls back to insertion order, newest first. */
export function listContactNotes(account: AccountRecord, contact: ContactRecord): NoteRecord[] {
  return notesOf(account)
    .filter((note) => note.contactId === contact.id)
    .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

export function findContactNote(account: AccountRecord, contact: ContactRecord, id: unknown): NoteRecord {
  const wanted = integerParam(id);
  const note = notesOf(account).find(
    (candidate) => candidate.contactId === contact.id && candidate.id === wanted,
  );
  if (!note) throw notFound();
  return note;
}

/** permitted_note_params: `params[:note]` when present, else the top-level params. */
function noteContent(params: Params): string | null {
  const nested = objectParam(params.note);
  const source = nested && Object.keys(nested).length > 0 ? nested : params;
  return stringParam(source.content);
}

function validate(content: string | null): asserts content is string {
  if (content === null || isBlank(content)) {
    throw new RecordInvalidError([{ attribute: 'content', message: "can't be blank" }]);
  }
}

export function createContactNote(
  store: SandboxStore,
  account: AccountRecord,
  contact: ContactRecord,
  params: Params,
  actor: ActingUser,
): NoteRecord {
  const content = noteContent(params);
  validate(content);
  const now = store.now();
  const note: NoteRecord = {
    id: store.nextId('note'),
    accountId: account.id,
    contactId: contact.id,
    userId: actor.user.id,
    content,
    createdAt: now,
    updatedAt: now,
  };
  notesOf(account).push(note);
  return note;
}

export function updateContactNote(store: SandboxStore, note: NoteRecord, params: Params): NoteRecord {
  const nested = objectParam(params.note);
  const source = nested && Object.keys(nested).length > 0 ? nested : params;
  // update! without content keeps the old one; a blank one fails the presence validation.
  if (!Object.hasOwn(source, 'content')) return note;
  const content = noteContent(params);
  validate(content);
  note.content = content;
  note.updatedAt = store.now();
  return note;
}

export function destroyContactNote(account: AccountRecord, note: NoteRecord): void {
  account.notes = notesOf(account).filter((candidate) => candidate !== note);
}

export function contactLabels(contact: ContactRecord): string[] {
  return [...(contact.labels ?? [])];
}

/** update_labels: the list is replaced; see the header for how acts-as-taggable parses it. */
export function setContactLabels(store: SandboxStore, contact: ContactRecord, labels: unknown): string[] {
  const raw = Array.isArray(labels) ? labels.map((label) => stringParam(label) ?? '') : [];
  const parsed: string[] = [];
  for (const piece of raw.join(',').split(',')) {
    const label = piece.trim();
    if (label !== '' && !parsed.some((existing) => existing.toLowerCase() === label.toLowerCase())) {
      parsed.push(label);
    }
  }
  const previous = contact.labels ?? [];
  const kept = previous.filter((label) => parsed.includes(label));
  const added = parsed.filter((label) => !previous.includes(label));
  const changed = added.length > 0 || kept.length !== previous.length;
  contact.labels = [...kept, ...added];
  if (changed) contact.updatedAt = store.now();
  return contactLabels(contact);
}

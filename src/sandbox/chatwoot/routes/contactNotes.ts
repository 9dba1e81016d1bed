/**
 * Contact notes and labels (Api::V1::Accounts::Contacts::NotesController and LabelsController; the
 * behaviour and its sources are in ../contactNotes.ts).
 */
import { contactLabels, destroyContactNote, findContactNote, listContactNotes } from '../contactNotes.js';
import type { AccountRecord, NoteRecord } from '../records.js';
import type { ChatwootState } from '../state.js';
import type { Views } from '../views.js';
import { ACCOUNT_BASE, type Handler, ok, type RouteTable } from './router.js';

const NOTES = `${ACCOUNT_BASE}/contacts/:contact_id/notes`;
const LABELS = `${ACCOUNT_BASE}/contacts/:contact_id/labels`;

/**
 * app/views/api/v1/models/_note.json.jbuilder. Its `json.account_id json.account_id` (and the same
 * for contact_id) passes the result of an empty jbuilder call, nil: both render as null.
 */
function noteView(state: ChatwootState, views: Views, account: AccountRecord, note: NoteRecord) {
  const user = state.users.get(note.userId);
  return {
    id: note.id,
    content: note.content,
    account_id: null,
    contact_id: null,
    ...(user ? { user: views.agent(account, user) } : {}),
    created_at: Math.floor(note.createdAt / 1000),
    updated_at: Math.floor(note.updatedAt / 1000),
  };
}

export function addContactNoteRoutes({ add, state, views }: RouteTable): void {
  add('GET', NOTES, ({ account, path }) => {
    const contact = state.contact(account, path.contact_id);
    return ok(listContactNotes(account, contact).map((note) => noteView(state, views, account, note)));
  });
  add('POST', NOTES, ({ account, path, params, actor }) => {
    const contact = state.contact(account, path.contact_id);
    return ok(noteView(state, views, account, state.createContactNote(account, contact, params, actor)));
  });
  add('GET', `${NOTES}/:id`, ({ account, path }) => {
    const note = findContactNote(account, state.contact(account, path.contact_id), path.id);
    return ok(noteView(state, views, account, note));
  });
  const update: Handler = ({ account, path, params }) => {
    const note = findContactNote(account, state.contact(account, path.contact_id), path.id);
    return ok(noteView(state, views, account, state.updateContactNote(note, params)));
  };
  add('PATCH', `${NOTES}/:id`, update);
  add('PUT', `${NOTES}/:id`, update);
  add('DELETE', `${NOTES}/:id`, ({ account, path }) => {
    destroyContactNote(account, findContactNote(account, state.contact(account, path.contact_id), path.id));
    // head :ok (rendered like the other head answers of the sandbox).
    return ok(null);
  });
  add('GET', LABELS, ({ account, path }) =>
    ok({ payload: contactLabels(state.contact(account, path.contact_id)) }),
  );
  add('POST', LABELS, ({ account, path, params }) =>
    ok({ payload: state.setContactLabels(state.contact(account, path.contact_id), params.labels) }),
  );
}

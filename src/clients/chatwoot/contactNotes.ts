/**
 * Chatwoot's contact notes and contact labels (notes_controller.rb, contacts/labels_controller.rb),
 * and one contact. Notes render app/views/api/v1/models/_note.json.jbuilder, a bare array for the
 * index; labels render `{ payload: [titles] }`. Apart from client.ts to keep that file within its size.
 */
import { z } from 'zod';
import { type HttpCore, type RouteRef, route } from '../httpCore.js';
import { type Contact, ContactUpdated } from './schemas.js';

export const ContactNote = z.looseObject({
  id: z.number().int(),
  content: z.string().nullish(),
  created_at: z.number().nullish(),
});
export type ContactNote = z.infer<typeof ContactNote>;

export const ContactNoteList = z.array(ContactNote);

export const ContactLabels = z.looseObject({ payload: z.array(z.string()) });

export interface ContactExtraCalls {
  /** GET /contacts/{id}: one contact with its additional and custom attributes. */
  getContact(contactId: number): Promise<Contact>;
  /** GET /contacts/{id}/notes: every note of the contact, newest first (not paged). */
  listNotes(contactId: number): Promise<ContactNote[]>;
  /** POST /contacts/{id}/notes: written now, by the token's user; not idempotent (look first). */
  createNote(contactId: number, content: string): Promise<ContactNote>;
  labels(contactId: number): Promise<string[]>;
  /** Replaces the contact's labels with exactly these (update_labels); answers the labels now set. */
  setLabels(contactId: number, labels: string[]): Promise<string[]>;
}

export function contactExtraCalls(core: HttpCore, accountId: number): ContactExtraCalls {
  const contactRoute = (path: string, contactId: number): RouteRef =>
    route(`/api/v1/accounts/{account_id}/contacts/{id}${path}`, { account_id: accountId, id: contactId });
  return {
    getContact: (contactId) =>
      core.request({ method: 'GET', route: contactRoute('', contactId) }, ContactUpdated),
    listNotes: (contactId) =>
      core.request({ method: 'GET', route: contactRoute('/notes', contactId) }, ContactNoteList),
    createNote: (contactId, content) =>
      core.request(
        { method: 'POST', route: contactRoute('/notes', contactId), json: { content } },
        ContactNote,
      ),
    labels: async (contactId) =>
      (await core.request({ method: 'GET', route: contactRoute('/labels', contactId) }, ContactLabels))
        .payload,
    setLabels: async (contactId, labels) =>
      (
        await core.request(
          { method: 'POST', route: contactRoute('/labels', contactId), json: { labels }, replaySafe: true },
          ContactLabels,
        )
      ).payload,
  };
}

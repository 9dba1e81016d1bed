/**
 * What an erasure request needs of Intercom 2.16, as its API description states it:
 *
 * - POST /contacts/search (operationId SearchContacts): the query language of the conversation
 *   search over the contact model's fields (its "Accepted Fields" table; the sandbox models id, role,
 *   name, email, email_domain, phone, external_id, created_at, updated_at). Merged contacts are
 *   excluded ("Merged Contacts" in the description): they are not in the live list.
 * - DELETE /contacts/{id} (operationId DeleteContact): "You can delete a single contact." It answers
 *   `contact_deleted` ({ type: "contact", id, external_id, deleted: true }). The description says
 *   nothing of the contact's conversations, so the sandbox deletes the contact and what hangs off it
 *   alone (its notes, its tag and company links) and leaves its conversations where they are: an
 *   erasure must delete them itself, one by one. After it, GET /contacts/{id} answers 404. The
 *   operation lists only 200 and 401 and says nothing of merged contacts; GET /contacts/{id} (the same
 *   path, ShowContact) and GET /contacts/find_by_external_id/{id} document "HTTP 410 Gone" with code
 *   `contact_merged` and `Link: </contacts/{canonical_id}>; rel="canonical"` for an id merged away
 *   (POST /contacts/merge). The sandbox resolves the path's id the same way for DELETE: a merged id
 *   answers that 410 and deletes nothing (not the canonical contact either, which the caller did not
 *   name), an unknown one 404.
 * - DELETE /conversations/{id} (operationId deleteConversation): permanent; with retain_metrics=true
 *   (the default) reporting keeps its figures, with false (scope delete_conversations_and_metrics)
 *   it goes from reporting too. Answers `conversation_deleted` ({ id, object: "conversation",
 *   deleted: true }); the conversation then lists under GET /conversations/deleted with
 *   metrics_retained as asked.
 */
import type { IntercomDataset } from './dataset.js';
import { ContactGone, canonicalContactId, contactToWire } from './handlers/contactData.js';
import type { Conversations } from './handlers/conversations.js';
import { invalid, notFound, type Reply } from './http.js';
import { type SearchField, searchWith } from './search.js';

type Contact = IntercomDataset['contacts'][number];

const emailDomain = (email: string | null | undefined) => (email ? (email.split('@')[1] ?? '') : '');

/** The contact model's searchable fields this sandbox models (a subset of the description's table). */
const CONTACT_FIELDS: Record<string, SearchField<Contact>> = {
  id: { kind: 'string', get: (c) => c.id },
  role: { kind: 'string', get: (c) => c.role },
  name: { kind: 'string', get: (c) => c.name },
  email: { kind: 'string', get: (c) => c.email },
  email_domain: { kind: 'string', get: (c) => emailDomain(c.email) },
  phone: { kind: 'string', get: (c) => c.phone },
  external_id: { kind: 'string', get: (c) => c.external_id },
  created_at: { kind: 'date', get: (c) => c.created_at },
  updated_at: { kind: 'date', get: (c) => c.updated_at },
};

/** POST /contacts/search. */
export function searchContacts(dataset: IntercomDataset, body: unknown): Reply {
  return searchWith(body, {
    items: dataset.contacts,
    fields: CONTACT_FIELDS,
    model: 'contact',
    listType: 'list',
    listKey: 'data',
    wire: (contact) => contactToWire(dataset, contact),
  });
}

/**
 * DELETE /contacts/{id}: the contact and its notes; its conversations stay (see the header). A merged
 * id answers 410 contact_merged and deletes nothing, not the contact it became either.
 */
export function deleteContact(dataset: IntercomDataset, id: string | undefined): Reply {
  const index = dataset.contacts.findIndex((candidate) => candidate.id === id);
  if (index < 0) {
    const canonical = id === undefined ? undefined : canonicalContactId(dataset, id);
    if (canonical !== undefined) throw new ContactGone(canonical);
    throw notFound('User Not Found');
  }
  const [contact] = dataset.contacts.splice(index, 1) as [Contact];
  if (dataset.notes) dataset.notes = dataset.notes.filter((note) => note.contact?.id !== contact.id);
  return {
    body: { type: 'contact', id: contact.id, external_id: contact.external_id ?? null, deleted: true },
  };
}

/** DELETE /conversations/{id}?retain_metrics=true|false. */
export function deleteConversation(
  dataset: IntercomDataset,
  conversations: Conversations,
  id: string | undefined,
  url: URL,
): Reply {
  const retain = url.searchParams.get('retain_metrics');
  if (retain !== null && retain !== 'true' && retain !== 'false')
    throw invalid('retain_metrics must be true or false');
  const conversation = conversations.or404(id);
  conversations.delete(conversation.id);
  // Conversations.delete lists it as a control route's deletion would; the API records the choice.
  const listed = dataset.deletedConversations.at(-1);
  if (listed?.id === conversation.id) listed.metrics_retained = retain !== 'false';
  return { body: { id: conversation.id, object: 'conversation', deleted: true } };
}

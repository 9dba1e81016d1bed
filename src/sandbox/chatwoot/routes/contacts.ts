/** Contact routes (Api::V1::Accounts::ContactsController, its contact inboxes and conversations). */
import { taggedWithAny } from '../contactBulkActions.js';
import { CHATWOOT_LIMITS } from '../limits.js';
import type { Params } from '../params.js';
import type { AccountRecord, ContactRecord } from '../records.js';
import { ACCOUNT_BASE, currentPage, type Handler, ok, page, paginate, type RouteTable } from './router.js';

/**
 * Sift's `sort` on ContactsController (sort_on :created_at, internal_name: :order_on_created_at; a
 * leading "-" sorts descending). Without it the sandbox keeps creation order, which is what Postgres
 * returns for a table only ever appended to; the other sort_on keys are not simulated.
 */
function sortedContacts(contacts: ContactRecord[], sort: unknown): ContactRecord[] {
  if (sort !== 'created_at' && sort !== '-created_at') return contacts;
  const sign = sort === 'created_at' ? 1 : -1;
  return [...contacts].sort((a, b) => sign * (a.createdAt - b.createdAt || a.id - b.id));
}

export function addContactRoutes({ add, state, views }: RouteTable): void {
  const contactList = (account: AccountRecord, contacts: ContactRecord[], params: Params) => {
    const withInboxes =
      params.include_contact_inboxes === undefined || params.include_contact_inboxes === 'true';
    return ok({
      meta: { count: contacts.length, current_page: currentPage(params) },
      payload: paginate(contacts, params, CHATWOOT_LIMITS.contactsPerPage).map((contact) =>
        views.contact(account, contact, withInboxes),
      ),
    });
  };
  add('GET', `${ACCOUNT_BASE}/contacts`, ({ account, params }) =>
    contactList(
      account,
      sortedContacts(taggedWithAny(state.resolvedContacts(account), params.labels), params.sort),
      params,
    ),
  );
  add('POST', `${ACCOUNT_BASE}/contacts`, async ({ account, params }) => {
    const { contact, contactInbox } = await state.createContact(account, params);
    const inbox = contactInbox ? state.inboxById(contactInbox.inboxId) : undefined;
    return ok({
      payload: {
        contact: views.contact(account, contact, true),
        contact_inbox: {
          inbox: inbox ? views.inboxModel(inbox) : null,
          source_id: contactInbox?.sourceId ?? null,
        },
      },
    });
  });
  add('GET', `${ACCOUNT_BASE}/contacts/search`, ({ account, params }) => {
    const found = state.searchContacts(account, params.q);
    const start = (page(params) - 1) * CHATWOOT_LIMITS.contactsPerPage;
    const slice = found.slice(start, start + CHATWOOT_LIMITS.contactsPerPage);
    return ok({
      meta: {
        count: slice.length,
        current_page: currentPage(params),
        has_more: found.length > start + CHATWOOT_LIMITS.contactsPerPage,
      },
      payload: slice.map((contact) => views.contact(account, contact, true)),
    });
  });
  add('POST', `${ACCOUNT_BASE}/contacts/filter`, ({ account, params }) =>
    contactList(account, state.filterContacts(account, params), params),
  );
  add('GET', `${ACCOUNT_BASE}/contacts/:id`, ({ account, path }) =>
    ok({ payload: views.contact(account, state.contact(account, path.id), true) }),
  );
  const updateContact: Handler = ({ account, path, params }) =>
    ok({ payload: views.contact(account, state.updateContact(account, path.id, params), true) });
  add('PUT', `${ACCOUNT_BASE}/contacts/:id`, updateContact);
  add('PATCH', `${ACCOUNT_BASE}/contacts/:id`, updateContact);
  add('GET', `${ACCOUNT_BASE}/contacts/:id/conversations`, ({ account, path, actor }) => {
    const contact = state.contact(account, path.id);
    // Contacts::ConversationsController#index: the user's inboxes only, `.order(id: :desc).limit(20)`
    // (app/controllers/api/v1/accounts/contacts/conversations_controller.rb): never paged, so a contact
    // with more conversations shows its 20 newest, the next ones as those are deleted.
    const conversations = account.conversations
      .filter(
        (conversation) =>
          conversation.contactId === contact.id && state.listsConversation(account, conversation, actor),
      )
      .sort((a, b) => b.id - a.id)
      .slice(0, CHATWOOT_LIMITS.contactConversations);
    return ok({
      payload: conversations.map((conversation) => views.conversation(account, conversation, actor)),
    });
  });
  add('POST', `${ACCOUNT_BASE}/contacts/:id/contact_inboxes`, ({ account, path, params }) =>
    ok(views.contactInbox(state.createContactInbox(account, path.id, params))),
  );
}

/**
 * ContactMergeAction (app/actions/contact_merge_action.rb, Chatwoot 4.x): the base contact takes
 * over the mergee's conversations, the messages it sent and its contact inboxes; the mergee is
 * destroyed, and the base keeps its own identifier, name, e-mail, phone number and attributes, taking
 * the mergee's only where its own are blank (`mergee.compact_blank.deep_merge(base.compact_blank)`).
 *
 * Reached from POST /api/v1/accounts/:id/actions/contact_merge
 * (app/controllers/api/v1/accounts/actions/contact_merges_controller.rb) and from ContactIdentifyAction
 * when a widget visitor identifies as a contact that already exists (widget.ts).
 */
import { assignContact, findContact, validateContact } from './contacts.js';
import { RubyStandardError } from './errors.js';
import { isBlank, isPlainObject, type Params } from './params.js';
import type { AccountRecord, ContactRecord, JsonObject, JsonValue } from './records.js';
import type { SandboxStore } from './store.js';

/** Rails' deep_merge: nested hashes merge, anything else from `over` wins. */
export function deepMerge(under: JsonObject, over: JsonObject): JsonObject {
  const merged: JsonObject = { ...under };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] =
      isPlainObject(current) && isPlainObject(value)
        ? deepMerge(current as JsonObject, value as JsonObject)
        : (value as JsonValue);
  }
  return merged;
}

/** In place: the account's arrays are the tables, and other code holds them. */
function removeWhere<T>(rows: T[], test: (row: T) => boolean): void {
  for (let index = rows.length - 1; index >= 0; index--) if (test(rows[index] as T)) rows.splice(index, 1);
}

export function mergeContacts(
  store: SandboxStore,
  account: AccountRecord,
  base: ContactRecord,
  mergee: ContactRecord,
): ContactRecord {
  // "This case happens when an agent updates a contact email in dashboard...": nothing to do.
  if (base.id === mergee.id) return base;
  if (base.accountId !== account.id || mergee.accountId !== account.id) {
    throw new RubyStandardError('contact does not belong to the account');
  }
  for (const conversation of account.conversations) {
    if (conversation.contactId === mergee.id) conversation.contactId = base.id;
    for (const message of conversation.messages) {
      if (message.sender?.type === 'Contact' && message.sender.id === mergee.id) {
        message.sender = { type: 'Contact', id: base.id };
      }
    }
  }
  for (const contactInbox of account.contactInboxes) {
    if (contactInbox.contactId === mergee.id) contactInbox.contactId = base.id;
  }
  // contact.rb: has_many :csat_survey_responses, dependent: :destroy_async. The merge moves the
  // conversations but not the responses, so destroying the mergee deletes the CSAT it gave.
  removeWhere(account.csatResponses, (response) => response.contactId === mergee.id);
  const blankless = (contact: ContactRecord): JsonObject => {
    const attributes: JsonObject = {
      identifier: contact.identifier,
      name: contact.name,
      email: contact.email,
      phone_number: contact.phoneNumber,
      additional_attributes: contact.additionalAttributes,
      custom_attributes: contact.customAttributes,
    };
    return Object.fromEntries(Object.entries(attributes).filter(([, value]) => !isBlank(value)));
  };
  const merged = deepMerge(blankless(mergee), blankless(base));
  removeWhere(account.contacts, (contact) => contact.id === mergee.id);
  const attributes = {
    name: typeof merged.name === 'string' ? merged.name : base.name,
    email: typeof merged.email === 'string' ? merged.email : null,
    phoneNumber: typeof merged.phone_number === 'string' ? merged.phone_number : null,
    identifier: typeof merged.identifier === 'string' ? merged.identifier : null,
    additionalAttributes: (merged.additional_attributes as JsonObject | undefined) ?? {},
    customAttributes: (merged.custom_attributes as JsonObject | undefined) ?? {},
    blocked: base.blocked,
  };
  // @base_contact.update!(merged_attributes): the mergee is gone, so its e-mail, phone and identifier are free.
  validateContact(account, attributes, base.id);
  assignContact(account, base, { ...attributes, updatedAt: store.now() });
  return base;
}

/** ContactMergesController#create: both contacts looked up in the account (404 otherwise). */
export function mergeContactsByIds(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
): ContactRecord {
  const base = findContact(account, params.base_contact_id);
  const mergee = findContact(account, params.mergee_contact_id);
  return mergeContacts(store, account, base, mergee);
}

/** Contacts (contact.rb, ContactInboxBuilder, the contacts controller's search and listing). */
import { randomUUID } from 'node:crypto';
import { couldNotCreate, notFound, RecordNotUniqueError } from './errors.js';
import { findInbox } from './inboxes.js';
import { CHATWOOT_LIMITS, DEVISE_EMAIL, E164 } from './limits.js';
import { AppendIndex, ChangingKeyIndex, findByAscendingKey } from './lookup.js';
import { booleanParam, has, integerParam, isBlank, objectParam, type Params, stringParam } from './params.js';
import type { AccountRecord, ContactInboxRecord, ContactRecord, InboxRecord } from './records.js';
import type { SandboxStore } from './store.js';
import { Validation } from './validation.js';

export function findContact(account: AccountRecord, id: unknown): ContactRecord {
  const wanted = integerParam(id);
  const contact = findByAscendingKey(account.contacts, idOfContact, wanted);
  if (!contact) throw notFound();
  return contact;
}

export function contactById(account: AccountRecord, id: number): ContactRecord | undefined {
  return findByAscendingKey(account.contacts, idOfContact, id);
}

const idOfContact = (contact: ContactRecord) => contact.id;

export function contactInboxesOf(account: AccountRecord, contactId: number): ContactInboxRecord[] {
  return account.contactInboxes.filter((contactInbox) => contactInbox.contactId === contactId);
}

export type ContactAttributes = Pick<
  ContactRecord,
  'name' | 'email' | 'phoneNumber' | 'identifier' | 'additionalAttributes' | 'customAttributes' | 'blocked'
>;

function contactAttributes(params: Params, current: ContactRecord | null): ContactAttributes {
  const text = (key: string, fallback: string | null) =>
    has(params, key) ? stringParam(params[key]) : fallback;
  const email = text('email', current?.email ?? null);
  const phone = text('phone_number', current?.phoneNumber ?? null);
  const identifier = text('identifier', current?.identifier ?? null);
  const additional = objectParam(params.additional_attributes);
  const custom = objectParam(params.custom_attributes);
  return {
    name: text('name', current?.name ?? '') ?? '',
    // prepare_email_attribute: blank becomes nil so the unique index ignores it; no trimming.
    email: isBlank(email) ? null : (email as string).toLowerCase(),
    phoneNumber: isBlank(phone) ? null : phone,
    identifier: isBlank(identifier) ? null : identifier,
    // The update action merges both JSON columns; create starts from empty ones.
    additionalAttributes: { ...(current?.additionalAttributes ?? {}), ...(additional ?? {}) },
    customAttributes: { ...(current?.customAttributes ?? {}), ...(custom ?? {}) },
    blocked: has(params, 'blocked') ? (booleanParam(params.blocked) ?? false) : (current?.blocked ?? false),
  };
}

/**
 * Contacts by the three attributes each contact write checks for uniqueness (e-mail and identifier have
 * unique indexes per account in Chatwoot, the phone number a validation): a scan of the account per
 * create made a large rehearsal's contact phase quadratic (2.3 ms a create at 50,000 contacts).
 */
const contactKeys = new ChangingKeyIndex<ContactRecord>(uniqueKeysOf);

type UniqueField = 'email' | 'identifier' | 'phoneNumber';
const UNIQUE_FIELDS: readonly UniqueField[] = ['email', 'identifier', 'phoneNumber'];

function uniqueKeysOf(contact: Pick<ContactRecord, UniqueField>): string[] {
  return UNIQUE_FIELDS.flatMap((field) => (contact[field] === null ? [] : [`${field}:${contact[field]}`]));
}

/** Whether a contact of the account other than `selfId` holds `value` in `field` (false for null). */
function takenByAnother(
  account: AccountRecord,
  field: UniqueField,
  value: string | null,
  selfId: number | null,
): boolean {
  if (value === null) return false;
  return contactKeys.holders(account.contacts, `${field}:${value}`).some((contact) => contact.id !== selfId);
}

/**
 * Writes a contact's attributes in place (an update, a merge, the widget's identify call): every change
 * of a contact's e-mail, identifier or phone number goes through here, so that the uniqueness index
 * follows it. Code that changes those fields otherwise must call contactKeysChanged.
 */
export function assignContact(
  account: AccountRecord,
  contact: ContactRecord,
  attributes: Partial<ContactRecord>,
): void {
  Object.assign(contact, attributes);
  contactKeysChanged(account, contact);
}

/** Tells the uniqueness index that `contact`'s e-mail, identifier or phone number may have changed. */
export function contactKeysChanged(account: AccountRecord, contact: ContactRecord): void {
  contactKeys.changed(account.contacts, contact);
}

export function validateContact(
  account: AccountRecord,
  attributes: ContactAttributes,
  selfId: number | null,
): void {
  const emailTaken = takenByAnother(account, 'email', attributes.email, selfId);
  const identifierTaken = takenByAnother(account, 'identifier', attributes.identifier, selfId);
  const phoneTaken = takenByAnother(account, 'phoneNumber', attributes.phoneNumber, selfId);
  const validation = new Validation();
  if (attributes.email !== null) {
    if (emailTaken) validation.add('email', 'has already been taken');
    if (!DEVISE_EMAIL.test(attributes.email)) validation.add('email', 'Invalid email');
  }
  if (identifierTaken) validation.add('identifier', 'has already been taken');
  if (attributes.phoneNumber !== null) {
    if (phoneTaken) validation.add('phone_number', 'has already been taken');
    if (!E164.test(attributes.phoneNumber)) validation.add('phone_number', 'should be in e164 format');
  }
  validation.maxLength('name', attributes.name, CHATWOOT_LIMITS.shortStringChars);
  validation.check();
}

/**
 * POST /contacts. The uniqueness validations read committed rows only; the unique indexes on
 * (email, account_id) and (identifier, account_id) catch what they miss. A second insert of the
 * same key while the first is uncommitted blocks on the index and fails once it commits: a 500.
 * The phone number has no unique index, so concurrent duplicates of a phone both succeed.
 */
export async function createContact(
  store: SandboxStore,
  account: AccountRecord,
  params: Params,
): Promise<{ contact: ContactRecord; contactInbox: ContactInboxRecord | null }> {
  const attributes = contactAttributes(params, null);
  validateContact(account, attributes, null);
  const uniqueKeys = [
    attributes.email === null ? null : `${account.id}:email:${attributes.email}`,
    attributes.identifier === null ? null : `${account.id}:identifier:${attributes.identifier}`,
  ].filter((key): key is string => key !== null);
  const holders = uniqueKeys
    .map((key) => store.pendingUniqueKeys.get(key))
    .filter((holder): holder is Promise<void> => holder !== undefined);
  if (holders.length > 0) {
    await Promise.all(holders);
    const collides =
      takenByAnother(account, 'email', attributes.email, null) ||
      takenByAnother(account, 'identifier', attributes.identifier, null);
    if (collides) {
      throw new RecordNotUniqueError(
        attributes.identifier !== null
          ? 'uniq_identifier_per_account_contact'
          : 'uniq_email_per_account_contact',
      );
    }
  }
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const key of uniqueKeys) store.pendingUniqueKeys.set(key, done);
  try {
    if (store.writeLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, store.writeLatencyMs));
    // The transaction also builds the contact inbox; a missing inbox rolls the contact back (404).
    const inbox = isBlank(params.inbox_id) ? null : findInbox(account, params.inbox_id);
    const now = store.now();
    const contact: ContactRecord = {
      id: store.nextId('contact'),
      accountId: account.id,
      ...attributes,
      lastActivityAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const contactInbox = inbox ? prepareContactInbox(store, account, contact, inbox, params.source_id) : null;
    if (contactInbox && !contactInbox.isNew) {
      throw new RecordNotUniqueError('index_contact_inboxes_on_inbox_id_and_source_id');
    }
    account.contacts.push(contact);
    if (contactInbox) account.contactInboxes.push(contactInbox.record);
    return { contact, contactInbox: contactInbox?.record ?? null };
  } finally {
    for (const key of uniqueKeys) {
      if (store.pendingUniqueKeys.get(key) === done) store.pendingUniqueKeys.delete(key);
    }
    release();
  }
}

export function updateContact(
  store: SandboxStore,
  account: AccountRecord,
  id: unknown,
  params: Params,
): ContactRecord {
  const contact = findContact(account, id);
  const attributes = contactAttributes(params, contact);
  validateContact(account, attributes, contact.id);
  assignContact(account, contact, { ...attributes, updatedAt: store.now() });
  return contact;
}

/** Contacts with an email, a phone number or an identifier: the only ones GET /contacts lists. */
export function resolvedContacts(account: AccountRecord): ContactRecord[] {
  return account.contacts.filter(
    (contact) => !isBlank(contact.email) || !isBlank(contact.phoneNumber) || !isBlank(contact.identifier),
  );
}

/** GET /contacts/search: ILIKE on name, email, phone; LIKE (case-sensitive) on identifier. */
export function searchContacts(account: AccountRecord, query: unknown): ContactRecord[] {
  const raw = stringParam(query);
  if (isBlank(raw)) throw couldNotCreate('Specify search string with parameter q');
  const needle = (raw as string).trim();
  const folded = needle.toLowerCase();
  const byId = /^\d+$/.test(needle) ? Number(needle) : null;
  return account.contacts.filter(
    (contact) =>
      contact.name.toLowerCase().includes(folded) ||
      (contact.email ?? '').toLowerCase().includes(folded) ||
      (contact.phoneNumber ?? '').toLowerCase().includes(folded) ||
      (contact.identifier ?? '').includes(needle) ||
      contact.id === byId,
  );
}

/** contact_inboxes' unique index (inbox_id, source_id). */
const contactInboxKey = (inboxId: number, sourceId: string) => `${inboxId}\u0000${sourceId}`;
const contactInboxesByKey = new AppendIndex<ContactInboxRecord>((contactInbox) =>
  contactInboxKey(contactInbox.inboxId, contactInbox.sourceId),
);

/** ContactInboxBuilder: reuse (contact, inbox, source_id), else create it; a uuid when none is given. */
export function prepareContactInbox(
  store: SandboxStore,
  account: AccountRecord,
  contact: ContactRecord,
  inbox: InboxRecord,
  sourceIdParam: unknown,
): { record: ContactInboxRecord; isNew: boolean } {
  const sourceId = isBlank(sourceIdParam) ? randomUUID() : (stringParam(sourceIdParam) as string);
  const existing = contactInboxesByKey.find(account.contactInboxes, contactInboxKey(inbox.id, sourceId));
  if (existing) return { record: existing, isNew: false };
  return {
    record: {
      id: store.nextId('contact_inbox'),
      contactId: contact.id,
      inboxId: inbox.id,
      sourceId,
      hmacVerified: false,
      createdAt: store.now(),
    },
    isNew: true,
  };
}

export function createContactInbox(
  store: SandboxStore,
  account: AccountRecord,
  contactId: unknown,
  params: Params,
): ContactInboxRecord {
  const contact = findContact(account, contactId);
  const inbox = findInbox(account, params.inbox_id);
  const prepared = prepareContactInbox(store, account, contact, inbox, params.source_id);
  if (!prepared.isNew) {
    if (prepared.record.contactId === contact.id) return prepared.record;
    throw new RecordNotUniqueError('index_contact_inboxes_on_inbox_id_and_source_id');
  }
  account.contactInboxes.push(prepared.record);
  return prepared.record;
}

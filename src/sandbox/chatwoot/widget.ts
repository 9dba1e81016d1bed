/**
 * The website widget's side of Chatwoot 4.x, as a website reaches it: a visitor's session and its
 * identification with `$chatwoot.setUser`.
 *
 * - WidgetsController (app/controllers/widgets_controller.rb): GET /widget?website_token=...
 *   finds the Channel::WebWidget by its website token (404), reuses the contact inbox named by the
 *   `cw_conversation` token (a JWT of {source_id, inbox_id}, Widget::TokenService), and otherwise
 *   builds an anonymous contact with a generated name and a new contact inbox, and a token for it.
 * - WebsiteTokenHelper (app/controllers/concerns/website_token_helper.rb): every /api/v1/widget
 *   request names the widget by `website_token` and the visitor by the `X-Auth-Token` header; a token
 *   that does not decode (BaseTokenService#decode_token answers {}) or names no contact inbox is a 404.
 * - Api::V1::Widget::ContactsController#set_user (app/controllers/api/v1/widget/contacts_controller.rb):
 *   validate_hmac (401 when an identifier_hash is given or the inbox has hmac_mandatory, and it is not
 *   OpenSSL::HMAC.hexdigest('sha256', hmac_token, identifier)); a visitor already identified as
 *   someone else gets a new anonymous contact inbox and a new token (a_different_contact?); the contact
 *   inbox is marked hmac_verified; then ContactIdentifyAction with discard_invalid_attrs.
 * - ContactIdentifyAction (app/actions/contact_identify_action.rb): merges the visitor into the
 *   contact that already has the identifier, then into the one with the e-mail and the one with the
 *   phone number, but only where that contact's identifier is blank or the same; an e-mail or phone
 *   number held by a contact with another identifier is dropped from the update instead. The update
 *   takes the non-blank identifier, name, e-mail and phone number, deep-merges the attribute hashes,
 *   and (discard_invalid_attrs, contact.rb) keeps the previous e-mail or phone when the new one is not
 *   valid.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { deepMerge, mergeContacts } from './contactMerge.js';
import { assignContact, type ContactAttributes, validateContact } from './contacts.js';
import { ChatwootApiError, notFound } from './errors.js';
import { DEVISE_EMAIL } from './limits.js';
import { isBlank, isPlainObject, objectParam, type Params, stringParam } from './params.js';
import type { AccountRecord, ContactInboxRecord, ContactRecord, InboxRecord, JsonObject } from './records.js';
import type { SandboxStore } from './store.js';

/** Rails' secret_key_base, one per sandbox: tokens of one sandbox mean nothing to another. */
const secrets = new WeakMap<SandboxStore, Buffer>();
const secretOf = (store: SandboxStore): Buffer => {
  let secret = secrets.get(store);
  if (!secret) {
    secret = randomBytes(32);
    secrets.set(store, secret);
  }
  return secret;
};

/** Widget::TokenService::DEFAULT_EXPIRY_DAYS (WIDGET_TOKEN_EXPIRY unset). */
const TOKEN_EXPIRY_DAYS = 180;

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** JWT.encode(payload, secret_key_base, 'HS256') with the exp and iat Widget::TokenService adds. */
export function signWidgetToken(
  store: SandboxStore,
  payload: { source_id: string; inbox_id: number },
): string {
  const iat = Math.floor(store.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256' }));
  const body = base64url(JSON.stringify({ ...payload, exp: iat + TOKEN_EXPIRY_DAYS * 86_400, iat }));
  const signature = createHmac('sha256', secretOf(store)).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

/** BaseTokenService#decode_token: the payload, or {} for a bad signature, a malformed or an expired token. */
export function decodeWidgetToken(
  store: SandboxStore,
  token: string | null | undefined,
): Record<string, unknown> {
  const parts = (token ?? '').split('.');
  if (parts.length !== 3) return {};
  const [header, body, signature] = parts as [string, string, string];
  const expected = createHmac('sha256', secretOf(store)).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return {};
  try {
    const payload: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (!isPlainObject(payload)) return {};
    if (typeof payload.exp === 'number' && payload.exp * 1000 <= store.now()) return {};
    return payload;
  } catch {
    return {};
  }
}

/** Channel::WebWidget.find_by!(website_token:): the sandbox's widget inboxes use inbox_identifier. */
export function findWebWidget(
  store: SandboxStore,
  websiteToken: unknown,
): { account: AccountRecord; inbox: InboxRecord } {
  const token = stringParam(websiteToken);
  if (token) {
    for (const account of store.accounts.values()) {
      const inbox = account.inboxes.find(
        (candidate) => candidate.channelType === 'Channel::WebWidget' && candidate.inboxIdentifier === token,
      );
      if (inbox) return { account, inbox };
    }
  }
  throw notFound();
}

export interface WidgetSession {
  account: AccountRecord;
  inbox: InboxRecord;
  contactInbox: ContactInboxRecord;
  contact: ContactRecord;
  /** The token the widget keeps (window.authToken, the cw_conversation cookie). */
  token: string;
}

const ADJECTIVES = ['autumn', 'hidden', 'bitter', 'misty', 'silent', 'empty', 'dry', 'dark', 'summer', 'icy'];
const NOUNS = ['waterfall', 'river', 'breeze', 'moon', 'rain', 'wind', 'sea', 'morning', 'snow', 'lake'];

/** Haikunator.haikunate(1000), the name of an anonymous widget contact. */
function haikunate(): string {
  const bytes = randomBytes(3);
  return `${ADJECTIVES[(bytes[0] ?? 0) % ADJECTIVES.length]}-${NOUNS[(bytes[1] ?? 0) % NOUNS.length]}-${randomBytes(2).readUInt16BE() % 1000}`;
}

/** Channel::WebWidget#create_contact_inbox (ContactInboxWithContactBuilder): a nameless visitor. */
function buildContactInbox(
  store: SandboxStore,
  account: AccountRecord,
  inbox: InboxRecord,
): { contact: ContactRecord; contactInbox: ContactInboxRecord; token: string } {
  const now = store.now();
  const contact: ContactRecord = {
    id: store.nextId('contact'),
    accountId: account.id,
    name: haikunate(),
    email: null,
    phoneNumber: null,
    identifier: null,
    additionalAttributes: {},
    customAttributes: {},
    blocked: false,
    lastActivityAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const contactInbox: ContactInboxRecord = {
    id: store.nextId('contact_inbox'),
    contactId: contact.id,
    inboxId: inbox.id,
    sourceId: randomUUID(),
    hmacVerified: false,
    createdAt: now,
  };
  account.contacts.push(contact);
  account.contactInboxes.push(contactInbox);
  const token = signWidgetToken(store, { source_id: contactInbox.sourceId, inbox_id: inbox.id });
  return { contact, contactInbox, token };
}

function sessionContactInbox(
  store: SandboxStore,
  account: AccountRecord,
  inbox: InboxRecord,
  token: string | null | undefined,
): { contactInbox: ContactInboxRecord; contact: ContactRecord } | undefined {
  const sourceId = stringParam(decodeWidgetToken(store, token).source_id);
  if (sourceId === null) return undefined;
  const contactInbox = account.contactInboxes.find(
    (candidate) => candidate.inboxId === inbox.id && candidate.sourceId === sourceId,
  );
  const contact =
    contactInbox && account.contacts.find((candidate) => candidate.id === contactInbox.contactId);
  return contactInbox && contact ? { contactInbox, contact } : undefined;
}

/** WidgetsController#show: the visitor of the cw_conversation token, or a new anonymous one. */
export function openWidget(
  store: SandboxStore,
  websiteToken: unknown,
  cwConversation: unknown,
): WidgetSession {
  const { account, inbox } = findWebWidget(store, websiteToken);
  const token = stringParam(cwConversation);
  const existing = sessionContactInbox(store, account, inbox, token);
  if (existing && token) return { account, inbox, ...existing, token };
  return { account, inbox, ...buildContactInbox(store, account, inbox) };
}

/** WebsiteTokenHelper#set_web_widget and #set_contact: a 404 unless the token names a contact inbox. */
export function widgetRequestSession(
  store: SandboxStore,
  websiteToken: unknown,
  authToken: string | undefined,
): WidgetSession {
  const { account, inbox } = findWebWidget(store, websiteToken);
  const existing = sessionContactInbox(store, account, inbox, authToken);
  if (!existing || !authToken) throw notFound();
  return { account, inbox, ...existing, token: authToken };
}

/** ContactsController#permitted_params, deep-symbolized. */
interface IdentifyParams {
  identifier: string | null;
  identifierHash: string | null;
  email: string | null;
  name: string | null;
  avatarUrl: string | null;
  phoneNumber: string | null;
  customAttributes: JsonObject | null;
  additionalAttributes: JsonObject | null;
}

function identifyParams(params: Params): IdentifyParams {
  return {
    identifier: stringParam(params.identifier),
    identifierHash: stringParam(params.identifier_hash),
    email: stringParam(params.email),
    name: stringParam(params.name),
    avatarUrl: stringParam(params.avatar_url),
    phoneNumber: stringParam(params.phone_number),
    customAttributes: objectParam(params.custom_attributes),
    additionalAttributes: objectParam(params.additional_attributes),
  };
}

/** OpenSSL::HMAC.hexdigest('sha256', hmac_token, identifier.to_s), compared in constant time. */
export function identifierHash(hmacToken: string, identifier: string): string {
  return createHmac('sha256', hmacToken).update(identifier).digest('hex');
}

function validHmac(inbox: InboxRecord, params: IdentifyParams): boolean {
  const expected = Buffer.from(identifierHash(inbox.hmacToken, params.identifier ?? ''));
  const given = Buffer.from(params.identifierHash ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function shouldVerifyHmac(inbox: InboxRecord, params: IdentifyParams): boolean {
  if (isBlank(params.identifierHash) && !inbox.hmacMandatory) return false;
  // "Taking an extra caution that the hmac is triggered whenever identifier is present".
  if (!isBlank(params.customAttributes) && isBlank(params.identifier)) return false;
  return true;
}

/** set_user.json.jbuilder. */
export interface SetUserAnswer {
  contact: ContactRecord;
  contactInbox: ContactInboxRecord;
  widgetAuthToken?: string;
}

/** ContactsController#set_user. */
export function setWidgetUser(store: SandboxStore, session: WidgetSession, rawParams: Params): SetUserAnswer {
  const params = identifyParams(rawParams);
  const verify = shouldVerifyHmac(session.inbox, params);
  if (verify && !validHmac(session.inbox, params)) {
    throw new ChatwootApiError(401, { error: 'HMAC failed: Invalid Identifier Hash Provided' });
  }
  let { contact, contactInbox } = session;
  let widgetAuthToken: string | undefined;
  if (!isBlank(contact.identifier) && contact.identifier !== params.identifier) {
    ({
      contact,
      contactInbox,
      token: widgetAuthToken,
    } = buildContactInbox(store, session.account, session.inbox));
  }
  if (verify) contactInbox.hmacVerified = true;
  const identified = identifyContact(store, session.account, contact, params, { discardInvalidAttrs: true });
  return { contact: identified, contactInbox, widgetAuthToken };
}

type Key = 'identifier' | 'name' | 'email' | 'phone_number';

/** ContactIdentifyAction#perform. */
export function identifyContact(
  store: SandboxStore,
  account: AccountRecord,
  start: ContactRecord,
  params: IdentifyParams,
  options: { discardInvalidAttrs: boolean },
): ContactRecord {
  const toUpdate = new Set<Key>(['identifier', 'name', 'email', 'phone_number']);
  let contact = start;
  // find_by on the column: exact, case-sensitive, and looked up when the step runs (after earlier merges).
  const findBy = (key: 'identifier' | 'email' | 'phoneNumber', value: string | null) =>
    isBlank(value) ? undefined : account.contacts.find((candidate) => candidate[key] === value);
  const mergeable = (existing: ContactRecord | undefined, key: Key): existing is ContactRecord => {
    if (!existing) return false;
    if (isBlank(params.identifier)) return true;
    // "we want to prevent merging contacts with different identifiers"
    if (!isBlank(existing.identifier) && existing.identifier !== params.identifier) {
      toUpdate.delete(key);
      return false;
    }
    return true;
  };
  const byIdentifier = findBy('identifier', params.identifier);
  if (mergeable(byIdentifier, 'identifier')) contact = mergeContacts(store, account, byIdentifier, contact);
  const byEmail = findBy('email', params.email);
  if (mergeable(byEmail, 'email')) contact = mergeContacts(store, account, byEmail, contact);
  const byPhone = findBy('phoneNumber', params.phoneNumber);
  if (mergeable(byPhone, 'phone_number')) {
    // mergable_phone_contact?: the e-mail given takes priority over a phone contact with another e-mail.
    if (!isBlank(params.email) && !isBlank(byPhone.email) && byPhone.email !== params.email) {
      toUpdate.delete('phone_number');
    } else {
      contact = mergeContacts(store, account, byPhone, contact);
    }
  }
  return updateIdentified(store, account, contact, params, toUpdate, options.discardInvalidAttrs);
}

/** ContactIdentifyAction#update_contact: blank values are not written, then save! validates. */
function updateIdentified(
  store: SandboxStore,
  account: AccountRecord,
  contact: ContactRecord,
  params: IdentifyParams,
  toUpdate: Set<Key>,
  discardInvalidAttrs: boolean,
): ContactRecord {
  const given = (key: Key, value: string | null) =>
    toUpdate.has(key) && !isBlank(value) ? value : undefined;
  let email = given('email', params.email) ?? contact.email;
  let phone = given('phone_number', params.phoneNumber) ?? contact.phoneNumber;
  if (discardInvalidAttrs) {
    // contact.rb phone_number_format / email_format: an invalid new value gives way to the one before.
    if (phone !== null && !/\+[1-9]\d{1,14}$/.test(phone)) phone = contact.phoneNumber;
    if (email !== null && !DEVISE_EMAIL.test(email)) email = contact.email;
  }
  const attributes: ContactAttributes = {
    name: given('name', params.name) ?? contact.name,
    // prepare_email_attribute: stored lower-cased.
    email: email === null ? null : email.toLowerCase(),
    phoneNumber: phone,
    identifier: given('identifier', params.identifier) ?? contact.identifier,
    additionalAttributes: isBlank(params.additionalAttributes)
      ? contact.additionalAttributes
      : deepMerge(contact.additionalAttributes, params.additionalAttributes as JsonObject),
    customAttributes: isBlank(params.customAttributes)
      ? contact.customAttributes
      : deepMerge(contact.customAttributes, params.customAttributes as JsonObject),
    blocked: contact.blocked,
  };
  validateContact(account, attributes, contact.id);
  assignContact(account, contact, { ...attributes, updatedAt: store.now() });
  return contact;
}

/** Contact#pubsub_token of a contact inbox: a stable opaque value (the sandbox has no ActionCable). */
export function pubsubToken(contactInbox: ContactInboxRecord): string {
  return createHash('sha256')
    .update(`pubsub:${contactInbox.id}:${contactInbox.sourceId}`)
    .digest('hex')
    .slice(0, 24);
}

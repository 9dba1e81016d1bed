/**
 * Intercom contacts (users and leads) -> Chatwoot contacts. Chatwoot lower-cases emails and keeps
 * them unique per account, accepts only strict E.164 phone numbers, and does not list a contact
 * without email, phone or identifier: hence the normalisation, the always-set identifier (the
 * external id a website identifies its users by, else `intercom:<id>`) and the merge of contacts
 * whose emails differ only by case. Every text in a payload has been through `storableText` (no NUL,
 * no lone surrogate): Chatwoot's database cannot store those, and says so with a 500.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Contact } from '../clients/intercom/schemas.js';
import {
  CHATWOOT_LIMITS,
  customAttributeKey,
  isoUtc,
  storableJson,
  storableText,
  truncateShort,
} from './text.js';

export type { CountryCode };

/** The shape Chatwoot validates emails with (Devise's default): one "@", no whitespace. */
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+$/;
/** RFC 5321's limit on a forward path. */
const MAX_EMAIL_LENGTH = 254;

/** Trimmed and lower-cased, as Chatwoot stores it; undefined when empty or not an email. Made storable
 * first, so contacts are merged by the very address Chatwoot will hold. */
export function normalizeEmail(raw: string | null | undefined): string | undefined {
  if (raw == null) return undefined;
  const email = storableText(raw).trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_SHAPE.test(email)) return undefined;
  return email;
}

export interface NormalizedPhone {
  /** Strict E.164 ("+14155550123"), set only when the number is valid. */
  e164?: string;
  /** The trimmed original, when it could not be made E.164 or carried an extension E.164 drops. */
  original?: string;
}

export function normalizePhone(
  raw: string | null | undefined,
  defaultCountry?: CountryCode,
): NormalizedPhone {
  const original = storableText(raw ?? '').trim();
  if (!original) return {};
  const parsed = parsePhoneNumberFromString(original, { defaultCountry, extract: false });
  if (!parsed?.isValid()) return { original };
  return parsed.ext ? { e164: parsed.number, original } : { e164: parsed.number };
}

export type CustomAttributeValue = string | number | boolean;

/**
 * Intercom custom attributes as Chatwoot custom attributes: keys made safe with `customAttributeKey`
 * (a collision gets "_2", "_3"... in sorted order of the original names), values JSON scalars;
 * objects and arrays are JSON-stringified; null and non-finite numbers are left out.
 */
export function customAttributes(
  attributes: Readonly<Record<string, unknown>> | null | undefined,
): Record<string, CustomAttributeValue> {
  const entries: [string, CustomAttributeValue][] = [];
  const usedKeys = new Set<string>();
  for (const name of Object.keys(attributes ?? {}).sort()) {
    const value = scalarValue(attributes?.[name]);
    if (value === undefined) continue;
    const base = customAttributeKey(name);
    let key = base;
    for (let suffix = 2; usedKeys.has(key); suffix++) key = `${base}_${suffix}`;
    usedKeys.add(key);
    entries.push([key, value]);
  }
  return Object.fromEntries(entries);
}

function scalarValue(value: unknown): CustomAttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return truncateShort(storableText(value), CHATWOOT_LIMITS.text);
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null
        ? undefined
        : truncateShort(JSON.stringify(storableJson(value)), CHATWOOT_LIMITS.text);
    default:
      return undefined;
  }
}

export interface ContactAdditionalAttributes {
  intercom_id: string;
  intercom_role: string;
  intercom_external_id?: string;
  original_phone?: string;
  company_name?: string;
  city?: string;
  country?: string;
  intercom_created_at: string;
}

/** The Chatwoot create/update payload of a contact, without the inbox_id the client adds. */
export interface ContactPayload {
  identifier: string;
  name: string;
  email?: string;
  phone_number?: string;
  additional_attributes: ContactAdditionalAttributes;
  custom_attributes: Record<string, CustomAttributeValue>;
}

export interface ContactPayloadOptions {
  /** For numbers written without a country code. */
  defaultCountry?: CountryCode;
  /** Intercom company id -> company name; the contact's first named company becomes company_name. */
  companyNames?: Readonly<Record<string, string>>;
}

/** The identifier of a contact without an external id, and of every contact imported before 13. */
export function legacyContactIdentifier(contactId: string): string {
  return `intercom:${contactId}`;
}

/**
 * The Chatwoot `identifier` of an Intercom contact, the key of idempotent contact writes: the
 * contact's external id (the site's user id, the one it gave Intercom as `user_id` and now gives
 * `$chatwoot.setUser`, whose ContactIdentifyAction merges a visitor only into the contact with that
 * very identifier), trimmed; `intercom:<id>` for a contact without one. Not shortened: identifier is
 * an unbounded string column, and a shortened one would never match setUser's.
 */
export function contactIdentifier(contact: { id: string; external_id?: string | null }): string {
  const external = storableText(contact.external_id ?? '').trim();
  return external === '' ? legacyContactIdentifier(contact.id) : external;
}

/** Every identifier an earlier import may have given the contact, the current form first. */
export function contactIdentifierForms(contact: { id: string; external_id?: string | null }): string[] {
  const current = contactIdentifier(contact);
  const legacy = legacyContactIdentifier(contact.id);
  return current === legacy ? [current] : [current, legacy];
}

function nonEmpty(
  value: string | null | undefined,
  max: number = CHATWOOT_LIMITS.shortText,
): string | undefined {
  const trimmed = storableText(value ?? '').trim();
  return trimmed ? truncateShort(trimmed, max) : undefined;
}

function companyName(contact: Contact, companyNames: Readonly<Record<string, string>> | undefined) {
  if (!companyNames) return undefined;
  for (const company of contact.companies?.data ?? []) {
    if (Object.hasOwn(companyNames, company.id)) {
      const name = nonEmpty(companyNames[company.id]);
      if (name) return name;
    }
  }
  return undefined;
}

export function contactPayload(contact: Contact, options: ContactPayloadOptions = {}): ContactPayload {
  const email = normalizeEmail(contact.email);
  const phone = normalizePhone(contact.phone, options.defaultCountry);
  const additional: ContactAdditionalAttributes = {
    intercom_id: contact.id,
    intercom_role: storableText(contact.role),
    intercom_created_at: isoUtc(contact.created_at),
  };
  const externalId = nonEmpty(contact.external_id);
  if (externalId) additional.intercom_external_id = externalId;
  if (phone.original) additional.original_phone = truncateShort(phone.original);
  const company = companyName(contact, options.companyNames);
  if (company) additional.company_name = company;
  const city = nonEmpty(contact.location?.city);
  if (city) additional.city = city;
  const country = nonEmpty(contact.location?.country);
  if (country) additional.country = country;

  const payload: ContactPayload = {
    identifier: contactIdentifier(contact),
    name:
      nonEmpty(contact.name) ??
      truncateShort(email ?? storableText(['Intercom', contact.role || 'contact', contact.id].join(' '))),
    additional_attributes: additional,
    custom_attributes: customAttributes(contact.custom_attributes),
  };
  if (email) payload.email = email;
  if (phone.e164) payload.phone_number = phone.e164;
  return payload;
}

export interface ContactMerge {
  email: string;
  /** The contact kept: the earliest created, ties broken by id. */
  canonicalId: string;
  /** The other contacts with the same normalized email, in canonical order. */
  mergedIds: string[];
}

export interface ContactMergePlan {
  /** Normalized email -> the id of the contact that will carry it in Chatwoot. */
  canonicalIdByEmail: Record<string, string>;
  /** Every Intercom contact id -> the Intercom contact id whose Chatwoot contact stands for it
   * (itself unless merged). */
  canonicalIdByContactId: Record<string, string>;
  /** Only the emails shared by several contacts, sorted by email. */
  merged: ContactMerge[];
}

type MergeCandidate = Pick<Contact, 'id' | 'email' | 'created_at' | 'updated_at'>;

function canonicalOrder(a: MergeCandidate, b: MergeCandidate): number {
  if (a.created_at !== b.created_at) return a.created_at - b.created_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Between two versions of one contact, the later updated; an (unlikely) tie goes to the larger
 * email so that input order never matters. */
function isNewerVersion(candidate: MergeCandidate, known: MergeCandidate): boolean {
  if (candidate.updated_at !== known.updated_at) return candidate.updated_at > known.updated_at;
  return (candidate.email ?? '') > (known.email ?? '');
}

/**
 * Groups contacts whose normalized emails are equal, since Chatwoot refuses a second contact with
 * the same email. The result depends only on the set of contacts, not on their order; a contact id
 * listed twice counts once (its most recently updated version).
 */
export function mergeContactsByEmail(contacts: readonly MergeCandidate[]): ContactMergePlan {
  const latestById = new Map<string, MergeCandidate>();
  for (const contact of contacts) {
    const known = latestById.get(contact.id);
    if (!known || isNewerVersion(contact, known)) latestById.set(contact.id, contact);
  }
  const groups = new Map<string, MergeCandidate[]>();
  const canonicalIdByContactId: [string, string][] = [];
  for (const contact of latestById.values()) {
    const email = normalizeEmail(contact.email);
    if (!email) {
      canonicalIdByContactId.push([contact.id, contact.id]);
      continue;
    }
    const group = groups.get(email);
    if (group) group.push(contact);
    else groups.set(email, [contact]);
  }
  const canonicalIdByEmail: [string, string][] = [];
  const merged: ContactMerge[] = [];
  for (const email of [...groups.keys()].sort()) {
    const [canonical, ...others] = (groups.get(email) ?? []).sort(canonicalOrder);
    canonicalIdByEmail.push([email, canonical.id]);
    canonicalIdByContactId.push([canonical.id, canonical.id]);
    for (const other of others) canonicalIdByContactId.push([other.id, canonical.id]);
    if (others.length > 0)
      merged.push({ email, canonicalId: canonical.id, mergedIds: others.map((c) => c.id) });
  }
  canonicalIdByContactId.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    canonicalIdByEmail: Object.fromEntries(canonicalIdByEmail),
    canonicalIdByContactId: Object.fromEntries(canonicalIdByContactId),
    merged,
  };
}

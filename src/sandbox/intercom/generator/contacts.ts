/**
 * Contacts (users and leads) with the awkward parts of real workspaces: emails that differ only by
 * case, phones that are not E.164, anonymous leads, and contacts with no way to reach them.
 */
import type { Company, Contact } from '../../../clients/intercom/schemas.js';
import type { GeneratorContext } from './context.js';
import type { Dice } from './dice.js';

interface Person {
  first: string;
  last: string;
  /** ASCII spelling for email addresses. */
  slug: string;
}

const PEOPLE: readonly Person[] = [
  { first: 'Ann', last: 'Lee', slug: 'ann.lee' },
  { first: 'Bruno', last: 'Schäfer', slug: 'bruno.schaefer' },
  { first: 'Chloé', last: 'Martin', slug: 'chloe.martin' },
  { first: 'Dmitri', last: 'Ivanov', slug: 'dmitri.ivanov' },
  { first: 'Emeka', last: 'Okafor', slug: 'emeka.okafor' },
  { first: 'Fatima', last: 'Al-Sayed', slug: 'fatima.alsayed' },
  { first: 'Grace', last: "O'Neill", slug: 'grace.oneill' },
  { first: 'Hiro', last: 'Tanaka', slug: 'hiro.tanaka' },
  { first: 'Ingrid', last: 'Øvergård', slug: 'ingrid.overgard' },
  { first: 'José', last: 'García', slug: 'jose.garcia' },
  { first: 'Kwame', last: 'Mensah', slug: 'kwame.mensah' },
  { first: 'Li', last: '王', slug: 'li.wang' },
  { first: 'Zoë', last: 'Łukasiewicz', slug: 'zoe.lukasiewicz' },
  { first: 'Priya', last: 'Raman', slug: 'priya.raman' },
];

const EMAIL_DOMAINS = ['example.com', 'mail.test', 'acme.io', 'beispiel.de', 'shop.example.org'];
const CITIES = [
  { country: 'Germany', region: 'Bavaria', city: 'Munich' },
  { country: 'United States', region: 'California', city: 'San Francisco' },
  { country: 'France', region: 'Île-de-France', city: 'Paris' },
  { country: 'Japan', region: 'Tokyo', city: 'Tokyo' },
  { country: 'Nigeria', region: 'Lagos', city: 'Lagos' },
];

function phoneNumber(dice: Dice, style: number, index: number): string {
  const digits = (length: number) => {
    let out = '';
    for (let i = 0; i < length; i++) out += String(dice.int(0, 9));
    return out;
  };
  switch (style % 5) {
    case 0:
      return `(555) 010-${2000 + index}`;
    case 1:
      return `+49151${digits(8)}`;
    case 2:
      return `+1 415 555 ${digits(4)}`;
    case 3:
      return `0151 ${digits(7)}`;
    default:
      return `+44 20 7946 ${digits(4)}`;
  }
}

export function buildContacts(
  context: GeneratorContext,
  count: number,
  caseDuplicates: number,
  companies: Company[],
): Contact[] {
  const { dice, startTime, appId } = context;
  const contacts: Contact[] = [];
  for (let i = 0; i < count; i++) {
    const person = PEOPLE[i % PEOPLE.length] as Person;
    const role = i % 10 < 7 ? 'user' : 'lead';
    // The first contacts cover every kind of reachability so small workspaces have them all.
    const roll = dice.float();
    const kind =
      i === 1 || i === 2
        ? 'phone'
        : i === 3
          ? 'none'
          : roll < 0.62
            ? 'email'
            : roll < 0.8
              ? 'both'
              : roll < 0.92
                ? 'phone'
                : 'none';
    const domain = EMAIL_DOMAINS[i % EMAIL_DOMAINS.length] as string;
    let email: string | null = null;
    if (kind === 'email' || kind === 'both') {
      email = dice.chance(0.2)
        ? `${capitalise(person.slug)}${i}@${capitalise(domain)}`
        : `${person.slug}${i}@${domain}`;
    }
    const phone =
      kind === 'phone' || kind === 'both' ? phoneNumber(dice, i === 2 ? 1 : i === 1 ? 0 : i, i) : null;
    const created = startTime - dice.int(86_400, 86_400 * 400);
    const company = companies.length > 0 && dice.chance(0.6) ? dice.pick(companies) : undefined;
    const id = dice.hex(24);
    const anonymousLead = role === 'lead' && dice.chance(0.3);
    contacts.push({
      type: 'contact',
      id,
      workspace_id: appId,
      external_id: role === 'user' ? `user-${1000 + i}` : null,
      role,
      email,
      email_domain: email ? (email.split('@')[1] as string).toLowerCase() : null,
      phone,
      name: anonymousLead ? null : `${person.first} ${person.last}`,
      owner_id: null,
      has_hard_bounced: false,
      marked_email_as_spam: false,
      unsubscribed_from_emails: dice.chance(0.1),
      created_at: created,
      updated_at: created + dice.int(0, 86_400 * 30),
      signed_up_at: role === 'user' ? created : null,
      last_seen_at: created + dice.int(0, 86_400 * 60),
      avatar: null,
      custom_attributes: {
        plan_tier: dice.pick(['free', 'pro', 'enterprise']),
        seats: dice.int(1, 250),
        beta_tester: dice.chance(0.3),
        signup_date: created,
        mrr: Math.round(dice.float() * 50_000) / 100,
        'Favourite colour': dice.pick(['blue', 'green', 'Ultraviolett 💜', '']),
      },
      location: { type: 'location', ...dice.pick(CITIES) },
      tags: { type: 'list', data: [], url: `/contacts/${id}/tags`, total_count: 0, has_more: false },
      companies: {
        type: 'list',
        data: company ? [{ id: company.id, type: 'company', url: `/companies/${company.id}` }] : [],
        url: `/contacts/${id}/companies`,
        total_count: company ? 1 : 0,
        has_more: false,
      },
      social_profiles: { type: 'list', data: [] },
    });
  }
  // Case duplicates: the last contacts take the email of the first ones that have one, re-cased.
  const sources = contacts.filter((contact) => contact.email);
  for (let j = 0; j < Math.min(caseDuplicates, sources.length, count - 1); j++) {
    const source = sources[j] as Contact;
    const target = contacts[count - 1 - j] as Contact;
    if (target === source) break;
    target.email = recase(source.email as string);
    target.email_domain = source.email_domain;
  }
  return contacts;
}

function capitalise(text: string): string {
  return text
    .split('.')
    .map((piece) => piece.charAt(0).toUpperCase() + piece.slice(1))
    .join('.');
}

/** The same address in a different letter case ("ann@x.com" -> "Ann@X.Com", "Ann@X.Com" -> "ann@x.com"). */
function recase(email: string): string {
  const lower = email.toLowerCase();
  if (lower !== email) return lower;
  const [local, domain] = email.split('@') as [string, string];
  return `${capitalise(local)}@${capitalise(domain)}`;
}

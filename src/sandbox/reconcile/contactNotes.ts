/**
 * The independent check of what a contact holds beyond itself: every Intercom note as a Chatwoot
 * contact note on the contact standing for its contact (after e-mail merges), exactly once, naming the
 * Intercom note, its original time (UTC) and its author, and keeping the body's letters; each tag of
 * the contact among its labels (compared by letters and digits, since label titles are slugs); the
 * first named company as `company_name`. Only notes are counted; labels and companies are problems.
 * By this check's own rules, not the migration's mapping.
 */
import type { Note } from '../../clients/intercom/contactSchemas.js';
import type { Company, Contact, Tag } from '../../clients/intercom/schemas.js';
import type { DumpContact } from '../chatwoot/index.js';
import { chatwootIdentifier, lettersOf, visibleText } from './rules.js';

export interface ContactNotesTally {
  expected: number;
  found: number;
  duplicates: number;
}

/** Up to 3 merges, as Intercom's Link header resolves them. */
export function survivorOf(
  merges: Readonly<Record<string, string>> | undefined,
  id: string,
): string | undefined {
  let current = id;
  for (let hop = 0; hop < 3 && merges && Object.hasOwn(merges, current); hop++)
    current = merges[current] as string;
  return current === id ? undefined : current;
}

function utc(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

const refIds = (list: unknown): string[] => {
  const data = (list as { data?: unknown } | null | undefined)?.data;
  return Array.isArray(data) ? data.map((item) => String((item as { id?: unknown }).id)) : [];
};

export function reconcileContactExtras(
  workspace: {
    contacts: readonly Contact[];
    notes?: readonly Note[];
    contactMerges?: Readonly<Record<string, string>>;
    tags?: readonly Tag[];
    companies?: readonly Company[];
  },
  /** The Chatwoot contacts standing for an Intercom contact id (after merges), by this check's rules. */
  holdersOf: (intercomContactId: string) => readonly DumpContact[],
  problems: string[],
): ContactNotesTally {
  const tally: ContactNotesTally = { expected: 0, found: 0, duplicates: 0 };
  for (const note of workspace.notes ?? []) {
    const owner = note.contact?.id;
    if (!owner) continue;
    const contactId = survivorOf(workspace.contactMerges, owner) ?? owner;
    tally.expected++;
    const holder = holdersOf(contactId)[0];
    const matching = (holder?.notes ?? []).filter((written) => {
      const [first = ''] = written.content.split('\n', 1);
      return new RegExp(`#${note.id.replace(/[^\w-]/g, '\\$&')}\\b`).test(first);
    });
    if (matching.length === 0) {
      problems.push(`note ${note.id} of contact ${contactId} missing`);
      continue;
    }
    tally.found++;
    tally.duplicates += matching.length - 1;
    const content = (matching[0] as { content: string }).content;
    const [first = ''] = content.split('\n', 1);
    if (!first.includes(utc(note.created_at))) {
      problems.push(`note ${note.id} does not say its original time ${utc(note.created_at)}`);
    }
    const author = note.author?.name?.trim();
    if (author && !first.includes(author)) problems.push(`note ${note.id} does not name its author`);
    if (!lettersOf(content).includes(lettersOf(visibleText(note.body)))) {
      problems.push(`note ${note.id} lost part of its text`);
    }
  }

  const tagName = new Map((workspace.tags ?? []).map((tag) => [tag.id, tag.name]));
  const companyName = new Map((workspace.companies ?? []).map((company) => [company.id, company.name]));
  for (const contact of workspace.contacts) {
    const holder = holdersOf(contact.id)[0];
    if (!holder) continue;
    const labels = new Set(holder.labels.map((label) => lettersOf(label.toLowerCase())));
    for (const id of refIds((contact as Record<string, unknown>).tags)) {
      const name = tagName.get(id);
      const letters = name === undefined ? '' : lettersOf(name.toLowerCase());
      if (letters.length >= 2 && !labels.has(letters)) {
        problems.push(`contact ${contact.id} lacks the label of tag ${JSON.stringify(name)}`);
      }
    }
    const firstCompany = refIds(contact.companies)
      .map((id) => companyName.get(id)?.trim())
      .find((name) => name);
    // Among e-mail duplicates only one contact's company can be the holder's: the holder's own is checked.
    const own = holder.identifier === chatwootIdentifier(contact);
    if (firstCompany && own && holder.additional_attributes.company_name === undefined) {
      problems.push(`contact ${contact.id} has no company_name, expected ${JSON.stringify(firstCompany)}`);
    }
  }
  return tally;
}

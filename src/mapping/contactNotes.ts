/**
 * A contact's notes, tags and companies -> Chatwoot contact notes, contact labels and the contact's
 * company attributes.
 *
 * Notes: Chatwoot writes a note now, as the token's user (notes_controller.rb), so the original author
 * and time go into the text, on a first line that also names the Intercom note:
 *   "Intercom note #7001 · Ann Lee (ann@example.com) · 2020-09-13 12:26:40 UTC", a blank line, then
 * the body as Markdown. That line is the note's key: a note whose first line names it is already in
 * Chatwoot, so a repeated import writes only the missing ones. Oldest first, so that Chatwoot's
 * newest-first list shows them in Intercom's order.
 *
 * Labels: every tag's label title (labels.ts), added to what the contact already has (an agent's
 * labels stay); nothing to write when all are there. acts-as-taggable compares case-insensitively.
 *
 * Companies: the first named company (Intercom's order) is `company_name`, the one Chatwoot shows;
 * the other names, in order and without repeats, are `other_companies`.
 */
import type { Note } from '../clients/intercom/contactSchemas.js';
import { htmlToMarkdown } from './html.js';
import { labelTitle } from './labels.js';
import { isoUtc, storableText, truncateShort } from './text.js';

const NOTE_KEY = /^Intercom note #(\S+) ·/;

function oneLine(text: string | null | undefined): string {
  return truncateShort(
    storableText(text ?? '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

/** The note's first line: its Intercom id, author and original time (UTC). */
export function contactNoteHeader(note: Pick<Note, 'id' | 'created_at' | 'author'>): string {
  const name = oneLine(note.author?.name);
  const email = oneLine(note.author?.email);
  const author = name && email ? `${name} (${email})` : name || email || 'unknown author';
  const iso = isoUtc(note.created_at);
  return `Intercom note #${note.id.replace(/\s+/g, '_')} · ${author} · ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The Chatwoot note's content: the header line, then the body as Markdown (never blank). */
export function contactNoteContent(note: Pick<Note, 'id' | 'created_at' | 'author' | 'body'>): string {
  const body = htmlToMarkdown(note.body);
  return body ? `${contactNoteHeader(note)}\n\n${body}` : contactNoteHeader(note);
}

/** The Intercom note id a Chatwoot note's content starts with, if it is an imported one. */
export function importedNoteId(content: string | null | undefined): string | undefined {
  return NOTE_KEY.exec(content ?? '')?.[1];
}

/** The notes not yet in Chatwoot (by the key line of `existing`), oldest first, each once. */
export function notesToWrite<T extends Pick<Note, 'id' | 'created_at'>>(
  notes: readonly T[],
  existing: readonly (string | null | undefined)[],
): T[] {
  const there = new Set(existing.map(importedNoteId).filter((id) => id !== undefined));
  const seen = new Set<string>();
  return [...notes]
    .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .filter((note) => {
      const key = note.id.replace(/\s+/g, '_');
      if (there.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** The label titles of a contact's tags, each once, sorted. */
export function contactLabelTitles(tagNames: readonly string[]): string[] {
  return [...new Set(tagNames.map(labelTitle))].sort();
}

/**
 * The labels to set on a contact: the ones it has, then the tags' titles it lacks; undefined when it
 * lacks none (nothing to write).
 */
export function contactLabelsToSet(
  existing: readonly string[],
  tagNames: readonly string[],
): string[] | undefined {
  const have = new Set(existing.map((label) => label.toLowerCase()));
  const missing = contactLabelTitles(tagNames).filter((title) => !have.has(title.toLowerCase()));
  return missing.length === 0 ? undefined : [...existing, ...missing];
}

export interface ContactCompanyAttributes {
  company_name?: string;
  other_companies?: string[];
}

/** The primary (first named) company and the others' names, from companies in Intercom's order. */
export function contactCompanyAttributes(
  companies: readonly { name?: string | null }[],
): ContactCompanyAttributes {
  const names: string[] = [];
  for (const company of companies) {
    const name = oneLine(company.name);
    if (name && !names.includes(name)) names.push(name);
  }
  const [primary, ...others] = names;
  const attributes: ContactCompanyAttributes = {};
  if (primary) attributes.company_name = primary;
  if (others.length > 0) attributes.other_companies = others;
  return attributes;
}

/** Whether the contact's additional attributes lack or differ from these company attributes. */
export function companyAttributesDiffer(
  current: Readonly<Record<string, unknown>> | null | undefined,
  wanted: ContactCompanyAttributes,
): boolean {
  if (wanted.company_name !== undefined && current?.company_name !== wanted.company_name) return true;
  if (wanted.other_companies === undefined) return false;
  return JSON.stringify(current?.other_companies ?? null) !== JSON.stringify(wanted.other_companies);
}

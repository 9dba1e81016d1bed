/**
 * Verification of contact notes through Chatwoot's API: every note the export kept on a contact
 * (`exported_extras.notes`) must be on the Chatwoot contact standing for it, exactly once (found by the
 * Intercom note id its first line names). One request per contact with notes.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { contactExtrasOf } from '../../clients/intercom/contactSchemas.js';
import type { Contact } from '../../clients/intercom/schemas.js';
import { importedNoteId } from '../../mapping/contactNotes.js';

export interface NotesTally {
  expected: number;
  found: number;
  duplicates: number;
}

export function exportedNoteIds(contact: Contact): string[] {
  return (contactExtrasOf(contact as Record<string, unknown>).notes ?? []).map((note) => note.id);
}

/** Counts `contact`'s notes on the Chatwoot contact `chatwootId` (undefined: not in Chatwoot). */
export async function verifyContactNotes(
  chatwoot: ChatwootClient,
  contact: Contact,
  chatwootId: number | undefined,
): Promise<NotesTally> {
  const ids = exportedNoteIds(contact);
  const tally: NotesTally = { expected: ids.length, found: 0, duplicates: 0 };
  if (ids.length === 0 || chatwootId === undefined) return tally;
  const counts = new Map<string, number>();
  for (const note of await chatwoot.contactExtras.listNotes(chatwootId)) {
    const id = importedNoteId(note.content);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const id of new Set(ids)) {
    const count = counts.get(id.replace(/\s+/g, '_')) ?? 0;
    if (count > 0) tally.found++;
    tally.duplicates += Math.max(0, count - 1);
  }
  return tally;
}

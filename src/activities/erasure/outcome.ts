/**
 * What an erasure did, in words, per place it was asked to act in: the record's counts say it
 * exactly, these lines say it plainly, above all in redact mode, where a "redacted" contact is kept
 * while its conversations are deleted all the same (their text is the person's data) and Intercom,
 * whose API has no redaction, is left as it was. Ids and counts only: never personal data.
 */
import type { ChatwootErasure } from './chatwootWrites.js';
import type { IntercomErasure } from './intercomReads.js';
import type { ErasureRecord } from './snapshot.js';

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

export function describeOutcome(record: ErasureRecord): Record<string, string> {
  const outcome: Record<string, string> = {};
  const redact = record.mode === 'redact';
  const snapshot = record.snapshot;
  if (snapshot) {
    const contacts = redact
      ? `${plural(snapshot.contactsRedacted, 'contact record')} redacted (kept with id, role and times only; name, e-mail, phone, attributes removed)`
      : `${plural(snapshot.contactsRemoved, 'contact record')} deleted`;
    outcome.snapshot =
      `${contacts}; ${plural(snapshot.conversationsRemoved, 'conversation')} and ` +
      `${plural(snapshot.ticketsRemoved ?? 0, 'ticket')} deleted${redact ? ' (redact mode deletes them too)' : ''}; ` +
      `${plural(snapshot.attachmentsDeleted, 'attachment file')} and ${plural(snapshot.markersDeleted, 'per-id marker')} deleted; ` +
      `${plural(snapshot.chunksRewritten, 'chunk')} rewritten`;
  }
  const chatwoot = record.chatwoot as ChatwootErasure | undefined;
  if (chatwoot) {
    const contacts = redact
      ? `${plural(chatwoot.contactsRedacted, 'contact')} redacted (kept as "Erased contact" without e-mail, phone, identifier or attributes)`
      : `${plural(chatwoot.contactsDeleted, 'contact')} deleted`;
    outcome.chatwoot =
      `${contacts}; ${plural(chatwoot.conversationsDeleted, 'conversation')} deleted with ` +
      `${plural(chatwoot.messages, 'message')} and ${plural(chatwoot.attachments, 'attachment')}` +
      `${redact ? ' (redact mode deletes conversations too)' : ''}`;
  }
  const intercom = record.intercom as IntercomErasure | undefined;
  if (intercom?.skipped) outcome.intercom = `nothing deleted or changed: ${intercom.skipped}`;
  else if (intercom) {
    const merged = intercom.contactsMergedAway ?? [];
    outcome.intercom =
      `${plural(intercom.conversationsDeleted, 'conversation')} and ${plural(intercom.contactsDeleted, 'contact')} deleted` +
      (intercom.contactsAlreadyGone
        ? `; ${plural(intercom.contactsAlreadyGone, 'contact')} already gone (404)`
        : '') +
      (merged.length > 0
        ? `; ${merged
            .map(
              (m) =>
                `contact ${m.id} had been merged into ${m.mergedInto} (410 contact_merged), which holds its data now and was not deleted: erase it too if it is the same person`,
            )
            .join('; ')}`
        : '');
  }
  const untouched = ['snapshot', 'chatwoot', 'intercom'].filter((place) => !record.where.includes(place));
  for (const place of untouched)
    outcome[place] =
      place === 'snapshot'
        ? 'not asked: nothing deleted here; the person is on the erasure list all the same, so later exports and delta syncs leave them out'
        : 'not asked: nothing changed here';
  return outcome;
}

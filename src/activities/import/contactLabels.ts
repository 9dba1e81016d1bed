/**
 * The labels of the contacts a contacts chunk has just created, in a few requests: POST /bulk_actions
 * `type: 'Contact', labels: {add}` (one per distinct label, or per distinct label set when that is
 * fewer) instead of a POST /contacts/:id/labels per contact. Part of importContacts (chatwootWrites.ts;
 * contactExtras.ts defers a created contact's labels here).
 *
 * What Chatwoot does with it (app/controllers/api/v1/accounts/bulk_actions_controller.rb,
 * app/jobs/contacts/bulk_action_job.rb, app/services/contacts/bulk_action_service.rb and
 * bulk_assign_labels_service.rb): `head :ok` once Contacts::BulkActionJob is enqueued on Sidekiq's
 * medium queue; later, for each contact of the account with one of the ids, `add_labels(labels)`
 * (Labelable: `update!(label_list: labels + new_labels)`). No answer says whether it ran: a lost job
 * (a Sidekiq restart) or one that raised (update! of one invalid contact ends the job there, and
 * Sidekiq's retries fail the same way) leaves labels missing, silently.
 *
 * So every batch is read back. The contact listing carries no labels (api/v1/models/_contact.json
 * .jbuilder), but ContactsController#index filters by them: `tagged_with(params[:labels], any: true)`.
 * One listing per label, newest first (sort=-created_at), read until every contact waiting for that
 * label was seen or a whole page is older than all of them: a chunk's contacts are the newest, so this
 * is a page or two a label, however many contacts the account holds. What a read-back does not show
 * is sent again from the second read-back on; what is still missing after the last is written one
 * contact at a time (GET then POST /contacts/:id/labels), so a Chatwoot whose medium queue is stopped
 * slows the import down but neither fails nor skips it. A contact the listing cannot show at all
 * (resolved_contacts lists only contacts with an e-mail, a phone number or an identifier; the import
 * always sets the identifier) ends the same way.
 *
 * Exactly once: adding a label a contact has changes nothing, so re-sending is harmless; only
 * contacts created by this attempt are batched (they have no labels of their own yet, so adding equals
 * setting); each contact's extras record (contactExtras.ts, blobLayout.contactExtrasWritten) is written
 * only once its labels are seen, so a retried attempt or a re-run still finds the contact unfinished
 * and writes its labels per contact.
 */
import { sleep } from '@temporalio/activity';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import { contactLabelsToSet } from '../../mapping/contactNotes.js';
import { mapLimited } from '../mapLimited.js';

/** Label listings read back at once. */
const READ_BACKS_AT_ONCE = 4;

/** Bulk requests in flight at once (the pacer spaces them). */
const SENDS_AT_ONCE = 8;

/** Contacts per request: the job saves them one after the other in one Sidekiq thread. */
export const CONTACT_IDS_PER_REQUEST = 100;

/**
 * Waits before each read-back. The job usually runs within a fraction of a second. The first
 * PROBE_ROUNDS are probes: one listing, of the newest contact's first label (the job saves its
 * contacts oldest first in practice, so that one last), and the whole read-back only once it shows
 * that contact: an early look costs one request, and the conversations' import, which waits for the
 * contacts, starts sooner. From the round after them (1.5 s after the send, as before probes) what
 * is missing is sent again; after the last, per contact.
 */
export const CONTACT_LABEL_READ_BACK_WAITS_MS = [250, 250, 1_000, 2_000, 4_000, 8_000];
const PROBE_ROUNDS = 2;

export interface ContactLabelsWanted {
  /** The Chatwoot contact id. */
  chatwootId: number;
  /** Label titles to add; the contact was created by this attempt with none. */
  labels: string[];
}

export interface ContactLabelRequest {
  ids: number[];
  labels: string[];
}

const key = (label: string) => label.toLowerCase();

function chunked(ids: readonly number[], labels: string[]): ContactLabelRequest[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const requests: ContactLabelRequest[] = [];
  for (let i = 0; i < sorted.length; i += CONTACT_IDS_PER_REQUEST)
    requests.push({ ids: sorted.slice(i, i + CONTACT_IDS_PER_REQUEST), labels });
  return requests;
}

/**
 * The requests for these contacts, the fewer of: one per distinct label (every contact that wants
 * it), or one per distinct set of labels. Labels that differ only in case are one label (acts-as-
 * taggable reuses the tag whatever the case); the first spelling is sent.
 */
export function contactLabelRequests(entries: readonly ContactLabelsWanted[]): ContactLabelRequest[] {
  const byLabel = new Map<string, { label: string; ids: number[] }>();
  const bySet = new Map<string, { labels: string[]; ids: number[] }>();
  for (const entry of entries) {
    const labels: string[] = [];
    for (const label of entry.labels) {
      const group = byLabel.get(key(label)) ?? { label, ids: [] };
      byLabel.set(key(label), group);
      if (!group.ids.includes(entry.chatwootId)) group.ids.push(entry.chatwootId);
      if (!labels.some((seen) => key(seen) === key(label))) labels.push(group.label);
    }
    if (labels.length === 0) continue;
    labels.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const setKey = JSON.stringify(labels.map(key));
    const group = bySet.get(setKey) ?? { labels, ids: [] };
    bySet.set(setKey, group);
    group.ids.push(entry.chatwootId);
  }
  const perLabel = [...byLabel.values()].flatMap((group) => chunked(group.ids, [group.label]));
  const perSet = [...bySet.values()].flatMap((group) => chunked(group.ids, group.labels));
  return perSet.length < perLabel.length ? perSet : perLabel;
}

export interface ContactLabelBatchResult {
  /** Contacts whose labels were seen in Chatwoot (their extras record written). */
  confirmed: number;
  /** POST /bulk_actions sent, re-sends included. */
  requests: number;
  /** GET /contacts?labels= pages read. */
  readBackPages: number;
  /** Contacts sent again after a read-back did not show their labels. */
  resent: number;
  /** Written one contact at a time after the last read-back. */
  oneByOne: number;
  /** Deleted in Chatwoot meanwhile: nothing written, no record. */
  gone: number;
}

interface Pending extends ContactLabelsWanted {
  /** Writes the contact's extras record; called once its labels are seen. */
  confirm: () => Promise<void>;
}

/**
 * The ids among `wanted` that GET /contacts?labels=<label> shows, paging newest first until all of
 * them were seen or a page holds only older contacts (ids grow with creation, and created_at with them).
 */
async function shownWithLabel(
  chatwoot: ChatwootClient,
  label: string,
  wanted: ReadonlySet<number>,
  result: ContactLabelBatchResult,
): Promise<Set<number>> {
  const seen = new Set<number>();
  const oldest = Math.min(...wanted);
  for await (const page of chatwoot.bulkActions.contactsLabelled(label)) {
    result.readBackPages++;
    for (const contact of page.items) if (wanted.has(contact.id)) seen.add(contact.id);
    if (seen.size === wanted.size) break;
    if (page.items.every((contact) => contact.id < oldest)) break;
  }
  return seen;
}

/** Collects the created contacts' labels of one attempt, then writes and confirms them in flush(). */
export function createContactLabelBatch(
  chatwoot: ChatwootClient,
  wait: (ms: number) => Promise<void> = sleep,
) {
  const pending = new Map<number, Pending>();
  const result: ContactLabelBatchResult = {
    confirmed: 0,
    requests: 0,
    readBackPages: 0,
    resent: 0,
    oneByOne: 0,
    gone: 0,
  };

  // At once, like the conversations' bulk requests (bulkActions.ts, send): one after the other they
  // held the conversations' import back a round trip each, and kept no two jobs apart on Sidekiq.
  const send = async (entries: readonly ContactLabelsWanted[]) => {
    await mapLimited(contactLabelRequests(entries), SENDS_AT_ONCE, async (request) => {
      await chatwoot.bulkActions.addContactLabels(request.ids, request.labels);
      result.requests++;
    });
  };

  const confirm = async (entry: Pending) => {
    await entry.confirm();
    pending.delete(entry.chatwootId);
    result.confirmed++;
  };

  /** The labels of each pending contact that the listings do not show yet. */
  const readBack = async (): Promise<Map<number, string[]>> => {
    const waiting = new Map<string, { label: string; ids: Set<number> }>();
    for (const entry of pending.values()) {
      for (const label of entry.labels) {
        const group = waiting.get(key(label)) ?? { label, ids: new Set<number>() };
        waiting.set(key(label), group);
        group.ids.add(entry.chatwootId);
      }
    }
    const groups = [...waiting.values()];
    // Reads, so a few labels at once: one after the other they kept the conversations waiting at
    // Chatwoot's latency (the contacts step ends with them) while the budget had room.
    const shown = await mapLimited(groups, READ_BACKS_AT_ONCE, ({ label, ids }) =>
      shownWithLabel(chatwoot, label, ids, result),
    );
    const missing = new Map<number, string[]>();
    for (const [index, { label, ids }] of groups.entries()) {
      const seen = shown[index] as Set<number>;
      for (const id of ids) {
        if (seen.has(id)) continue;
        const entry = pending.get(id) as Pending;
        missing.set(id, [...(missing.get(id) ?? []), ...entry.labels.filter((l) => key(l) === key(label))]);
      }
    }
    return missing;
  };

  /** A probe: whether the listing of the newest pending contact's first label shows it. */
  const newestShown = async (): Promise<boolean> => {
    const newest = pending.get(Math.max(...pending.keys())) as Pending;
    const seen = await shownWithLabel(
      chatwoot,
      newest.labels[0] as string,
      new Set([newest.chatwootId]),
      result,
    );
    return seen.has(newest.chatwootId);
  };

  /** After the last read-back: GET /contacts/:id/labels, then POST what is missing. */
  const oneByOne = async (entry: Pending) => {
    let existing: string[];
    try {
      existing = await chatwoot.contactExtras.labels(entry.chatwootId);
    } catch (error) {
      if (!(error instanceof HttpFailure && error.status === 404)) throw error;
      pending.delete(entry.chatwootId);
      result.gone++;
      return;
    }
    const labels = contactLabelsToSet(existing, entry.labels);
    if (labels) await chatwoot.contactExtras.setLabels(entry.chatwootId, labels);
    result.oneByOne++;
    await confirm(entry);
  };

  /** Contacts whose labels went in a first send (sendEarly or flush), and when it was answered. */
  const sent = new Set<number>();
  let earlySend: Promise<void> | undefined;
  let sentAt = 0;
  const sendUnsent = async () => {
    const entries = [...pending.values()].filter((entry) => !sent.has(entry.chatwootId));
    if (entries.length === 0) return;
    for (const entry of entries) sent.add(entry.chatwootId);
    await send(entries);
    sentAt = Date.now();
  };

  return {
    /**
     * Sends what was added so far without waiting for it: called once every contact of the chunk
     * is in, while the last ones' notes are still being written, so that Sidekiq runs the jobs
     * meanwhile and flush() finds them applied at its first look. A failure surfaces in flush().
     */
    sendEarly(): void {
      if (earlySend || pending.size === 0) return;
      earlySend = sendUnsent();
      earlySend.catch(() => undefined);
    },

    /** `confirm` writes the contact's extras record; it runs once Chatwoot shows the labels. */
    add(wanted: ContactLabelsWanted, confirmWritten: () => Promise<void>): void {
      if (wanted.labels.length === 0) return;
      pending.set(wanted.chatwootId, { ...wanted, confirm: confirmWritten });
    },

    get size(): number {
      return pending.size;
    },

    async flush(): Promise<ContactLabelBatchResult> {
      if (pending.size === 0) return result;
      await earlySend;
      await sendUnsent();
      for (const [round, ms] of CONTACT_LABEL_READ_BACK_WAITS_MS.entries()) {
        // The first wait counts from the send, which sendEarly may have made a while ago.
        await wait(round === 0 ? Math.max(0, sentAt + ms - Date.now()) : ms);
        if (round < PROBE_ROUNDS && !(await newestShown())) continue;
        const missing = await readBack();
        for (const entry of [...pending.values()]) if (!missing.has(entry.chatwootId)) await confirm(entry);
        if (pending.size === 0) return result;
        if (round >= PROBE_ROUNDS && round < CONTACT_LABEL_READ_BACK_WAITS_MS.length - 1) {
          result.resent += missing.size;
          await send([...missing].map(([chatwootId, labels]) => ({ chatwootId, labels })));
        }
      }
      for (const entry of [...pending.values()]) await oneByOne(entry);
      return result;
    },
  };
}

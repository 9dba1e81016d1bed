/**
 * A contact's notes, labels and companies into Chatwoot, part of the import's contact step
 * (importContacts runs it right after the contact is found or created; runs on chatwoot-writes).
 *
 * What is wanted comes from the exported contact (mapping/contactNotes.ts): every note (the export's
 * `exported_extras.notes`), the label titles of its tags, its companies' names. Tags and companies the
 * contact object listed in full are references: their names come from the tags and companies exports,
 * read once per run.
 *
 * Exactly once, with few requests:
 * - the companies ride in the contact's create (companiesOf): POST /contacts permits
 *   `additional_attributes: {}` like PUT does (contacts_controller.rb, permitted_params), so a contact
 *   created by this attempt costs no update for them;
 * - a contact created by this attempt has nothing else yet: notes are written without looking first,
 *   and its labels go with the chunk's other created contacts' in a few POST /bulk_actions
 *   (contactLabels.ts), its record below written once they are seen;
 * - otherwise notes are listed once (one request, only for a contact with notes) and only missing ones
 *   are posted (each note's first line names its Intercom note); labels are read and merged with the
 *   agents' (written only when a title is missing); the contact is read and its company attributes
 *   written only when they differ;
 * - what was written is remembered (blobLayout.contactExtrasWritten, a digest): a later import or a
 *   delta sync with the same extras sends no request at all.
 * A contact without notes, tags or companies costs nothing.
 */
import { createHash } from 'node:crypto';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import { contactExtrasOf } from '../../clients/intercom/contactSchemas.js';
import type { Company, Contact, Tag } from '../../clients/intercom/schemas.js';
import type { MigrationInput } from '../../config.js';
import {
  type ContactCompanyAttributes,
  companyAttributesDiffer,
  contactCompanyAttributes,
  contactLabelsToSet,
  contactLabelTitles,
  contactNoteContent,
  notesToWrite,
} from '../../mapping/contactNotes.js';
import { contactIdentifierForms } from '../../mapping/contacts.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { readManifest, recordsOf } from '../manifests.js';
import { findContactByIdentifiers } from './chatwootWrites.js';
import type { createContactLabelBatch } from './contactLabels.js';

type ContactLabelBatch = ReturnType<typeof createContactLabelBatch>;

export interface ContactExtrasOutcome {
  notesWritten: number;
  notesAlreadyThere: number;
  labelsWritten: boolean;
  /** Left to the chunk's label batch (contactLabels.ts): the contact was created by this attempt. */
  labelsDeferred?: boolean;
  companiesWritten: boolean;
  /** Nothing was requested: the same extras were written before. */
  unchanged: boolean;
}

interface WrittenState {
  chatwootId: number;
  digest: string;
}

const refIds = (list: unknown): string[] => {
  const data = (list as { data?: unknown } | null | undefined)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((item) => (item as { id?: unknown })?.id)
    .filter((id): id is string | number => typeof id === 'string' || typeof id === 'number')
    .map(String);
};

export function createContactExtrasWriter(
  deps: ActivityDeps,
  input: MigrationInput,
  chatwoot: ChatwootClient,
  /** Where a created contact's labels wait to go in bulk (contactLabels.ts); absent: per contact. */
  labelBatch?: ContactLabelBatch,
) {
  const store = deps.store(input);
  const run = deps.runCache(input);

  /** Id -> name of an exported entity, read once per run (the run's json cache holds the map). */
  const namesOf = (entity: 'tags' | 'companies') =>
    run.cached(run.json, `contact-extras:${entity}-names`, async () => {
      const names = new Map<string, string>();
      const manifest = await readManifest(store, blobLayout.entityManifest(input.account, entity));
      for await (const item of recordsOf<Tag | Company>(store, manifest)) {
        if (typeof item.name === 'string') names.set(item.id, item.name);
      }
      return names;
    }) as Promise<Map<string, string>>;

  async function wanted(contact: Contact) {
    const record = contact as Record<string, unknown>;
    const extras = contactExtrasOf(record);
    const notes = extras.notes ?? [];
    let tagNames: string[] = extras.tags?.map((tag) => tag.name) ?? [];
    const tagIds = extras.tags ? [] : refIds(record.tags);
    if (tagIds.length > 0) {
      const names = await namesOf('tags');
      tagNames = tagIds.map((id) => names.get(id)).filter((name): name is string => name !== undefined);
    }
    let companies: { name?: string | null }[] = extras.companies ?? [];
    const companyIds = extras.companies ? [] : refIds(record.companies);
    if (companyIds.length > 0) {
      const names = await namesOf('companies');
      companies = companyIds.map((id) => ({ name: names.get(id) ?? null }));
    }
    return {
      notes,
      labels: contactLabelTitles(tagNames),
      tagNames,
      companies: contactCompanyAttributes(companies),
    };
  }

  /**
   * The company attributes (company_name, other_companies) for the contact's create: the same ones
   * write() would otherwise PUT afterwards.
   */
  async function companiesOf(contact: Contact): Promise<ContactCompanyAttributes> {
    if (!hasAnyExtras(contact)) return {};
    return (await wanted(contact)).companies;
  }

  /**
   * Writes the extras of `contact` on the Chatwoot contact `chatwootId`; `created` when this attempt
   * has just created it with companiesOf(contact) in its create (it holds nothing else yet).
   */
  async function write(
    contact: Contact,
    chatwootId: number,
    created: boolean,
    /** Called once the contact's labels are in the batch, or known to need none from it. */
    labelsKnown: () => void = () => undefined,
  ): Promise<ContactExtrasOutcome> {
    const outcome: ContactExtrasOutcome = {
      notesWritten: 0,
      notesAlreadyThere: 0,
      labelsWritten: false,
      companiesWritten: false,
      unchanged: false,
    };
    const want = await wanted(contact);
    const hasCompanies = Object.keys(want.companies).length > 0;
    if (want.notes.length === 0 && want.labels.length === 0 && !hasCompanies) {
      labelsKnown();
      return outcome;
    }
    const digest = createHash('sha256')
      .update(
        JSON.stringify([
          want.notes.map((note) => [note.id, contactNoteContent(note)]),
          want.labels,
          want.companies,
        ]),
      )
      .digest('hex');
    const stateKey = blobLayout.contactExtrasWritten(input.account, contact.id);
    const before = created ? undefined : await getJson<WrittenState>(store, stateKey);
    if (before?.digest === digest && before.chatwootId === chatwootId) {
      outcome.unchanged = true;
      labelsKnown();
      return outcome;
    }
    const record = async () => {
      await putJson(store, stateKey, { chatwootId, digest } satisfies WrittenState);
    };
    // Into the batch before the notes, so that it can be sent while the notes are written; the record
    // still waits for the labels (flush runs after every contact's notes): until Chatwoot shows them
    // the contact is unfinished.
    const deferLabels = created && labelBatch !== undefined && want.labels.length > 0;
    if (deferLabels) {
      outcome.labelsDeferred = true;
      labelBatch?.add({ chatwootId, labels: want.labels }, record);
    }
    labelsKnown();

    if (want.notes.length > 0) {
      const existing = created
        ? []
        : (await chatwoot.contactExtras.listNotes(chatwootId)).map((note) => note.content);
      const missing = notesToWrite(want.notes, existing);
      outcome.notesAlreadyThere = want.notes.length - missing.length;
      for (const note of missing) {
        await chatwoot.contactExtras.createNote(chatwootId, contactNoteContent(note));
        outcome.notesWritten++;
      }
    }
    if (!deferLabels && want.labels.length > 0) {
      const existing = created ? [] : await chatwoot.contactExtras.labels(chatwootId);
      const labels = contactLabelsToSet(existing, want.tagNames);
      if (labels) {
        await chatwoot.contactExtras.setLabels(chatwootId, labels);
        outcome.labelsWritten = true;
      }
    }
    // A contact created by this attempt got them in its create.
    if (hasCompanies && created) outcome.companiesWritten = true;
    if (hasCompanies && !created) {
      const current = (await chatwoot.contactExtras.getContact(chatwootId)).additional_attributes;
      if (companyAttributesDiffer(current, want.companies)) {
        await chatwoot.updateContact(chatwootId, { additional_attributes: { ...want.companies } });
        outcome.companiesWritten = true;
      }
    }
    if (!deferLabels) await record();
    return outcome;
  }

  /**
   * Whether an earlier attempt of this chunk may have left the contact's labels to a batch it did not
   * confirm: it wants labels and has no extras record. Such a contact is done again (per contact).
   */
  async function labelsUnconfirmed(contact: Contact): Promise<boolean> {
    if (!hasAnyExtras(contact)) return false;
    if ((await wanted(contact)).labels.length === 0) return false;
    return (await getJson(store, blobLayout.contactExtrasWritten(input.account, contact.id))) === undefined;
  }

  /**
   * The extras of a contact merged into another by e-mail (the merge plan): they go to the contact it
   * merged into, which must be in Chatwoot already (else the attempt fails and is retried later).
   */
  async function writeForMerged(
    contact: Contact,
    canonicalId: string,
    canonicalExternalId?: string | null,
  ): Promise<ContactExtrasOutcome | undefined> {
    if (!hasAnyExtras(contact)) return undefined;
    const cached = run.contactIds.get(`intercom:${canonicalId}`);
    const chatwootId =
      cached ??
      (
        await findContactByIdentifiers(
          chatwoot,
          contactIdentifierForms({ id: canonicalId, external_id: canonicalExternalId ?? null }),
        )
      )?.id;
    if (chatwootId === undefined) {
      throw new Error(
        `the contact ${canonicalId} that contact ${contact.id} merges into is not in Chatwoot yet: its notes, labels and companies wait for it`,
      );
    }
    return write(contact, chatwootId, false);
  }

  return { companiesOf, write, writeForMerged, labelsUnconfirmed };
}

/** Whether an exported contact has any note, tag or company to bring over. */
export function hasAnyExtras(contact: Contact): boolean {
  const record = contact as Record<string, unknown>;
  const extras = contactExtrasOf(record);
  return (
    (extras.notes?.length ?? 0) > 0 ||
    (extras.tags?.length ?? 0) > 0 ||
    (extras.companies?.length ?? 0) > 0 ||
    refIds(record.tags).length > 0 ||
    refIds(record.companies).length > 0
  );
}

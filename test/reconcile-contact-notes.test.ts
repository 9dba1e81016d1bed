/**
 * The independent reconciliation (src/sandbox/reconcile.ts with reconcile/contactNotes.ts) on contact
 * notes, labels, companies and contacts Intercom merged away. A Chatwoot state is written here by hand
 * the way a correct import leaves it, then spoiled one way at a time: each spoilt state must show.
 */
import assert from 'node:assert/strict';
import { generateWorkspace, type IntercomDataset } from '../src/sandbox/intercom/index.js';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import { archiveAccountState } from './helpers/chatwootState.js';

const ACCOUNT = 1;

type Spoil = 'none' | 'drop-note' | 'double-note' | 'no-time' | 'no-label' | 'no-company' | 'merged-on-lead';

function identifierOf(contact: { id: string; external_id?: string | null }): string {
  const external = (contact.external_id ?? '').trim();
  return external === '' ? `intercom:${contact.id}` : external;
}

const utc = (seconds: number) =>
  `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

async function chatwootAfterImport(dataset: IntercomDataset, spoil: Spoil) {
  const state = archiveAccountState(ACCOUNT);
  const account = state.account(ACCOUNT);
  const user = state.users.get(1);
  assert.ok(user);
  const actor = { user, role: 'administrator' as const };
  const byIntercomId = new Map<string, number>();
  for (const contact of dataset.contacts) {
    const created = await state.createContact(account, {
      name: contact.name ?? contact.id,
      identifier: identifierOf(contact),
      email: contact.email?.toLowerCase() ?? undefined,
    });
    byIntercomId.set(contact.id, created.contact.id);
  }
  const holder = (id: string) => state.contact(account, byIntercomId.get(id));
  let first = true;
  for (const note of dataset.notes ?? []) {
    const contact = holder(note.contact?.id ?? '');
    const time = spoil === 'no-time' && first ? '' : ` · ${utc(note.created_at)}`;
    const text = (note.body ?? '').replace(/<[^>]+>/g, '');
    const content = `Intercom note #${note.id} · ${note.author?.name ?? 'unknown'}${time}\n\n${text}`;
    const skip = spoil === 'drop-note' && first;
    if (!skip) state.createContactNote(account, contact, { content }, actor);
    if (spoil === 'double-note' && first) state.createContactNote(account, contact, { content }, actor);
    first = false;
  }
  const tagNames = new Map(dataset.tags.map((tag) => [tag.id, tag.name]));
  const companyNames = new Map(dataset.companies.map((company) => [company.id, company.name]));
  for (const contact of dataset.contacts) {
    const record = contact as Record<string, { data?: { id: string }[] }>;
    const labels = (record.tags?.data ?? []).map((ref) =>
      (tagNames.get(ref.id) ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    );
    const skipLabel = spoil === 'no-label' && contact === dataset.contacts[0];
    if (labels.length > 0 && !skipLabel) state.setContactLabels(holder(contact.id), labels);
    const company = (record.companies?.data ?? []).map((ref) => companyNames.get(ref.id)).find(Boolean);
    const skipCompany = spoil === 'no-company' && contact === dataset.contacts[1];
    if (company && !skipCompany) {
      state.updateContact(account, holder(contact.id).id, {
        additional_attributes: { company_name: company },
      });
    }
  }
  return state;
}

describe('the independent reconciliation of contact notes, labels, companies and merged contacts', () => {
  const dataset = generateWorkspace({ seed: 31, conversations: 0, contacts: 6, tags: 12, companies: 2 });

  const reconcile = async (spoil: Spoil) => {
    const state = await chatwootAfterImport(dataset, spoil);
    return reconcileSandboxes({ ...dataset, conversations: [] }, state.dump(), {
      account: ACCOUNT,
      activityParts: 'activity',
      timestampLine: true,
      partsCap: 500,
    });
  };

  it('finds every note once on a correct import, and counts them', async () => {
    const result = await reconcile('none');
    assert.deepEqual(result.problems, []);
    assert.equal(result.notes?.expected, dataset.notes?.length);
    assert.equal(result.notes?.found, dataset.notes?.length);
    assert.ok((result.notes?.expected ?? 0) >= 12);
    assert.equal(result.missing, 0);
    assert.equal(result.duplicates, 0);
  });

  it('notices a missing note, a doubled one, a note without its time, a missing label and a missing company', async () => {
    const dropped = await reconcile('drop-note');
    assert.equal(dropped.notes?.found, (dropped.notes?.expected ?? 0) - 1);
    assert.equal(dropped.missing, 1);
    assert.equal((await reconcile('double-note')).duplicates, 1);
    assert.match((await reconcile('no-time')).problems.join('\n'), /does not say its original time/);
    assert.match((await reconcile('no-label')).problems.join('\n'), /lacks the label of tag/);
    assert.match((await reconcile('no-company')).problems.join('\n'), /has no company_name/);
  });

  it('expects a conversation naming a merged contact on the contact it was merged into', () => {
    const generated = generateWorkspace({ seed: 32, conversations: 10, contacts: 6 });
    const [mergedId, survivorId] = Object.entries(generated.contactMerges ?? {})[0] as [string, string];
    const conversation = generated.conversations.find((c) => c.contacts?.contacts[0]?.id === mergedId);
    assert.ok(conversation);
    const survivor = generated.contacts.find((contact) => contact.id === survivorId);
    assert.ok(survivor);
    const dump = {
      accounts: [
        {
          id: ACCOUNT,
          contacts: [
            {
              id: 1,
              identifier: identifierOf(survivor),
              email: null,
              labels: [],
              notes: [],
              additional_attributes: {},
            },
            {
              id: 2,
              identifier: `intercom:${mergedId}`,
              email: null,
              labels: [],
              notes: [],
              additional_attributes: {},
            },
          ],
          conversations: [
            { contact_id: 2, custom_attributes: { intercom_conversation_id: conversation.id }, messages: [] },
          ],
        },
      ],
    };
    const result = reconcileSandboxes(
      { contacts: [survivor], conversations: [conversation], contactMerges: generated.contactMerges },
      dump as never,
      { account: ACCOUNT, activityParts: 'activity', timestampLine: true, partsCap: 500 },
    );
    assert.ok(
      result.problems.some((problem) =>
        problem.includes(
          `conversation ${conversation.id} is on contact intercom:${mergedId}, expected ${identifierOf(survivor)}`,
        ),
      ),
      result.problems.join('\n'),
    );
  });
});

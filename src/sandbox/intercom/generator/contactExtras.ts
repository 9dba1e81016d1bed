/**
 * What a workspace holds about contacts beyond the contact object: notes (one contact with more than
 * the 10 the object shows), tags on contacts, a contact attached to more companies than the object
 * shows, and a lead merged into a user whose conversation still names the lead's old id (a workspace
 * captured before the merge, or a reference Intercom did not rewrite): GET /contacts/{old id} answers
 * 410 with a Link to the user.
 *
 * Built after everything else with a dice of its own, so the rest of the workspace is the same with or
 * without these.
 */
import type { Note } from '../../../clients/intercom/contactSchemas.js';
import type { Admin, Company, Contact, Conversation, Tag } from '../../../clients/intercom/schemas.js';
import { seededRandom } from '../../faults.js';
import { Dice, pickDistinct } from './dice.js';

export interface ContactExtrasOptions {
  /** Notes on the busiest contact (default 12: more than the contact object shows). */
  busiestContactNotes?: number;
  /** Companies of the contact attached to the most (default 12); the workspace gets more companies if it has fewer. */
  busiestContactCompanies?: number;
  /** Leads merged into a user whose conversation keeps the lead's id (default 1). */
  mergedContacts?: number;
}

export interface ContactExtras {
  notes: Note[];
  contactMerges: Record<string, string>;
}

const NOTE_TEXTS = [
  '<p>Called about the invoice; promised a credit note.</p>',
  '<p>Prefers e-mail over phone. <b>Do not</b> call before 10:00.</p>',
  '<p>Renewal due next quarter — ask about the <i>Pro</i> plan.</p>',
  '<p>VIP: escalate anything to the account manager.</p>',
  '<p>Reported the export bug, see ticket #4711.</p>',
  '<p>Spricht lieber Deutsch. Läuft über den Partner „Acme“.</p>',
];

const tagRef = (tag: Tag) => ({ type: 'tag', id: tag.id, url: `/tags/${tag.id}` });
const companyRef = (company: Company) => ({
  type: 'company',
  id: company.id,
  url: `/companies/${company.id}`,
});

function setList(contact: Contact, kind: 'tags' | 'companies', data: unknown[]): void {
  (contact as Record<string, unknown>)[kind] = {
    type: 'list',
    data,
    url: `/contacts/${contact.id}/${kind}`,
    total_count: data.length,
    has_more: false,
  };
}

/**
 * Adds notes, contact tags, companies and merged leads to a generated workspace, in place (contacts'
 * lists, `companies` grown when needed, the merged lead's conversation); returns the notes and merges.
 */
export function applyContactExtras(
  seed: number,
  startTime: number,
  workspace: {
    contacts: Contact[];
    companies: Company[];
    tags: Tag[];
    admins: Admin[];
    conversations: Conversation[];
  },
  /** false: none of these (a workspace exactly as before they existed). */
  options: ContactExtrasOptions | false = {},
): ContactExtras {
  if (options === false) return { notes: [], contactMerges: {} };
  const dice = new Dice(seededRandom((seed ^ 0x5eed_c0de) >>> 0));
  const { contacts, companies, tags, admins, conversations } = workspace;
  const notes: Note[] = [];
  let noteId = 7000;
  const addNote = (contact: Contact) => {
    const author = admins.length > 0 ? dice.pick(admins) : undefined;
    const created = Math.min(startTime, contact.created_at + dice.int(3_600, 86_400 * 90));
    notes.push({
      type: 'note',
      id: String(++noteId),
      created_at: created,
      contact: { type: 'contact', id: contact.id },
      author: author
        ? { type: 'admin', id: author.id, name: author.name ?? null, email: author.email ?? null }
        : null,
      body: dice.pick(NOTE_TEXTS),
    });
  };
  contacts.forEach((contact, index) => {
    const count = index === 0 ? (options.busiestContactNotes ?? 12) : dice.chance(0.3) ? dice.int(1, 3) : 0;
    for (let i = 0; i < count; i++) addNote(contact);
    if (tags.length > 0 && (index === 0 || dice.chance(0.25))) {
      setList(
        contact,
        'tags',
        pickDistinct(dice, tags, index === 0 ? tags.length : dice.int(1, 2)).map(tagRef),
      );
    }
  });

  const busiest = contacts[1];
  const wanted = options.busiestContactCompanies ?? 12;
  if (busiest && wanted > 0) {
    for (let i = companies.length; i < wanted; i++) {
      const created = startTime - dice.int(86_400 * 30, 86_400 * 700);
      const id = dice.hex(24);
      companies.push({
        type: 'company',
        id,
        company_id: `cmp-branch-${i}`,
        name: `Branch Office ${i}`,
        created_at: created,
        updated_at: created,
        custom_attributes: {},
      });
    }
    setList(busiest, 'companies', companies.slice(0, wanted).map(companyRef));
  }

  const contactMerges: Record<string, string> = {};
  const merges = options.mergedContacts ?? 1;
  for (const conversation of conversations) {
    if (Object.keys(contactMerges).length >= merges) break;
    const refs = conversation.contacts?.contacts ?? [];
    const user = contacts.find((contact) => contact.id === refs[0]?.id && contact.role === 'user');
    if (refs.length !== 1 || !user || Object.values(contactMerges).includes(user.id)) continue;
    const authors = [
      conversation.source.author,
      ...(conversation.conversation_parts?.conversation_parts ?? []).map((part) => part.author),
    ];
    const byContacts = authors.filter((author) => author.type === 'user' || author.type === 'lead');
    if (byContacts.some((author) => author.id !== user.id)) continue;
    const leadId = dice.hex(24);
    contactMerges[leadId] = user.id;
    conversation.contacts = {
      ...conversation.contacts,
      contacts: [{ ...refs[0], type: 'contact', id: leadId }],
    };
    for (const author of byContacts) {
      author.id = leadId;
      author.type = 'lead';
    }
  }
  return { notes, contactMerges };
}

/**
 * Verification and the rollout's checks, read from Chatwoot's API against the export: every
 * exported item must be found exactly once by its Intercom id. The report (JSON and Markdown) goes
 * to the blob store; the workflow gets counts.
 */
import { Context } from '@temporalio/activity';
import type { Contact, Conversation, Tag } from '../../clients/intercom/schemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import {
  type AttributeAdjustment,
  contactIdentifierForms,
  conversationAdditionalAttributes,
  conversationAttributeAdjustments,
  conversationCustomAttributes,
  type LabelPlan,
  planLabels,
  planMessages,
} from '../../mapping/index.js';
import { emptyReconciliationCounts, type ReconciliationCounts } from '../../reconciliationLine.js';
import { type BlobStore, getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import { readAttachmentIndex } from '../attachments/rehost.js';
import { forEachConcurrently } from '../concurrently.js';
import type { ReconciliationSummary } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { type ArchiveIndex, pageArchiveIndex } from '../import/archiveIndex.js';
import type { MergePlan } from '../import/chatwootWrites.js';
import { type EntityManifest, type RejectedConversation, readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';
import { type ContactDirectory, contactDirectory } from './contactDirectory.js';
import { exportedNoteIds, type NotesTally, verifyContactNotes } from './contactNotes.js';
import {
  expectedFinalState,
  type FinalStateMismatch,
  finalStateMismatch,
  finalStatesMarkdown,
  labelTitlesByTag,
} from './finalStates.js';
import { type LeftOutReport, leftOutMarkdown, leftOutReport } from './leftOut.js';
import { emptyTicketReport, type TicketReport, ticketReportMarkdown, verifyTickets } from './tickets.js';
import { attributeHashesAsText, type ValuesAsText } from './valuesAsText.js';

const CONCURRENCY = 4;

export interface ReconciliationReport {
  account: number;
  generatedAt: string;
  summary: Omit<ReconciliationSummary, 'reportKey'>;
  missingConversations: string[];
  duplicateConversations: string[];
  conversationsWithMissingMessages: { conversationId: string; missingSourceIds: string[] }[];
  conversationsWithDuplicateMessages: { conversationId: string; duplicateSourceIds: string[] }[];
  missingContacts: string[];
  truncatedConversations: NonNullable<EntityManifest['truncated']>;
  /** Quarantined at export; `foundInChatwoot` once someone imported one by hand with its Intercom id. */
  rejectedConversations: (RejectedConversation & { foundInChatwoot: boolean })[];
  attachmentFailures: { conversationId: string; messageSourceId: string; fileName: string; reason: string }[];
  contactMerges: MergePlan['merges'];
  unmatchedAgents: unknown[];
  /** Help-center articles without content, which Chatwoot refuses: not migrated (mapping/helpCenter.json). */
  emptyArticles: { intercomId: string; title: string }[];
  /** Every Intercom tag and the Chatwoot label it became (mapping/labels.json). */
  labels: LabelPlan['labels'];
  /** Labels standing for several tags (equal once slugged), or for the from_intercom marker too. */
  labelMerges: LabelPlan['merges'];
  /**
   * Conversation attribute values changed to fit Chatwoot's limits: cut to 1,500 characters (the
   * whole text is in the conversation's private note `attributes:<id>`), or integers above
   * 9,999,999,999 stored as strings. Keys and lengths only, never values.
   */
  attributeAdjustments: (AttributeAdjustment & { conversationId: string })[];
  /**
   * Numbers (and additional_attributes' booleans) Chatwoot holds as text: the conversation was created
   * with a form because its first message carried files. Observed, not inferred; absent in older reports.
   */
  valuesAsText?: ValuesAsText[];
  /** Tickets (./tickets.ts); absent in reports written before tickets were migrated. */
  tickets?: TicketReport;
  /** What the input's filters left out, by reason (./leftOut.ts); absent in older reports. */
  leftOut?: LeftOutReport;
  /** Conversations whose status, labels or assignee differ from Intercom's (./finalStates.ts); absent in older reports. */
  finalStateMismatches?: FinalStateMismatch[];
}

function addNotes(s: ReconciliationCounts, tally: NotesTally): void {
  s.notes ??= { expected: 0, found: 0 };
  s.notes.expected += tally.expected;
  s.notes.found += tally.found;
  s.duplicates += tally.duplicates;
}

export function renderReportMarkdown(report: ReconciliationReport): string {
  const s = report.summary;
  const row = (name: string, p: { expected: number; found: number }) =>
    `| ${name} | ${p.expected} | ${p.found} |`;
  const list = (title: string, items: string[]) =>
    items.length
      ? [`## ${title} (${items.length})`, '', ...items.slice(0, 200).map((i) => `- ${i}`), '']
      : [];
  return [
    `# Migration report for Chatwoot account ${report.account}`,
    '',
    `Generated ${report.generatedAt}. Duplicates: **${s.duplicates}**, missing: **${s.missing}**, ` +
      `rejected at export: **${s.rejected}**.`,
    '',
    '| entity | in Intercom export | found in Chatwoot |',
    '|---|---|---|',
    row('contacts', s.contacts),
    row('conversations', s.conversations),
    row('messages', s.messages),
    row('attachments', s.attachments),
    ...(s.tickets ? [row('tickets', s.tickets)] : []),
    ...(s.notes ? [row('contact notes', s.notes)] : []),
    ...(s.finalStates ? [row('status, labels and assignee as in Intercom', s.finalStates)] : []),
    '',
    ...leftOutMarkdown(report.leftOut),
    ...rejectedSection(report.rejectedConversations),
    ...list('Missing conversations', report.missingConversations),
    ...list('Duplicated conversations', report.duplicateConversations),
    ...list(
      'Conversations with missing messages',
      report.conversationsWithMissingMessages.map(
        (c) => `${c.conversationId}: ${c.missingSourceIds.join(', ')}`,
      ),
    ),
    ...list(
      'Conversations with duplicated messages',
      report.conversationsWithDuplicateMessages.map(
        (c) => `${c.conversationId}: ${c.duplicateSourceIds.join(', ')}`,
      ),
    ),
    ...list('Missing contacts (Intercom ids)', report.missingContacts),
    ...list(
      'Conversations truncated by Intercom at 500 parts',
      report.truncatedConversations.map(
        (t) => `${t.conversationId}: ${t.returnedParts} of ${t.totalParts} parts`,
      ),
    ),
    ...list(
      'Attachments that could not be rehosted',
      report.attachmentFailures.map(
        (f) => `${f.conversationId} / ${f.messageSourceId} / ${f.fileName}: ${f.reason}`,
      ),
    ),
    ...list(
      'Contacts merged because their e-mails differ only by case',
      report.contactMerges.map((m) => `${m.canonicalId} <- ${m.mergedIds.join(', ')}`),
    ),
    ...list(
      'Intercom admins without a Chatwoot agent',
      report.unmatchedAgents.map((a) => JSON.stringify(a)),
    ),
    ...list(
      'Help-center articles without content (Chatwoot requires content: not migrated; add text in Intercom or write them in Chatwoot)',
      report.emptyArticles.map((a) => `${a.intercomId}: ${a.title}`),
    ),
    ...finalStatesMarkdown(report.finalStateMismatches),
    ...ticketReportMarkdown(report.tickets),
    ...attributeSection(report.attributeAdjustments),
    ...valuesAsTextSection(report.valuesAsText),
    ...labelSection(report.labels, report.labelMerges),
  ].join('\n');
}

const TABLE_ROWS = 500;

/**
 * A tag name as a code span in a Markdown table cell: one line, "|" escaped (GFM splits cells on it
 * even in code), a backtick shown as "'" since it would end the span. report.json has the exact name.
 */
function cell(text: string): string {
  return `\`${text.replace(/\s+/g, ' ').replaceAll('`', "'").replaceAll('|', '\\|')}\``;
}

function labelSection(labels: ReconciliationReport['labels'], merges: ReconciliationReport['labelMerges']) {
  if (labels.length === 0) return [];
  const rows = labels.flatMap((label) => label.tags.map((tag) => ({ tag, title: label.title })));
  return [
    `## Intercom tags and their Chatwoot labels (${rows.length} tags, ${labels.length} labels)`,
    '',
    'Chatwoot lower-cases label titles and accepts only letters, digits, "_" and "-", at least two ' +
      'characters, starting with a letter or digit; each tag became the label below. A tag whose name ' +
      'is one character, or has no letter or digit at all, became `tag--<character>` or `tag--<hash>`.',
    '',
    ...(merges.length
      ? [
          `Merged on purpose (${merges.length}): these tags are equal once slugged and share one label.`,
          '',
          ...merges.map((m) => `- \`${m.title}\` <- ${m.tags.map(cell).join(', ')}`),
          '',
        ]
      : []),
    '| Intercom tag | Chatwoot label |',
    '|---|---|',
    ...rows.slice(0, TABLE_ROWS).map((row) => `| ${cell(row.tag)} | \`${row.title}\` |`),
    ...(rows.length > TABLE_ROWS ? [`| … ${rows.length - TABLE_ROWS} more, in report.json | |`] : []),
    '',
  ];
}

function attributeSection(adjustments: ReconciliationReport['attributeAdjustments']): string[] {
  if (adjustments.length === 0) return [];
  const line = (a: (typeof adjustments)[number]) =>
    a.change === 'truncated'
      ? `- ${a.conversationId}: ${a.attribute}.${a.key}, ${a.originalLength} characters cut to 1,500; ` +
        `whole in the private note \`attributes:${a.conversationId}\``
      : `- ${a.conversationId}: ${a.attribute}.${a.key}, an integer of ${a.originalLength} digits ` +
        'above 9,999,999,999, stored as a string';
  return [
    `## Conversation attributes changed to fit Chatwoot (${adjustments.length})`,
    '',
    ...adjustments.slice(0, TABLE_ROWS).map(line),
    ...(adjustments.length > TABLE_ROWS
      ? [`- … and ${adjustments.length - TABLE_ROWS} more, listed in report.json`]
      : []),
    '',
  ];
}

function valuesAsTextSection(found: ReconciliationReport['valuesAsText']): string[] {
  if (!found?.length) return [];
  // An entry per attribute hash: a conversation with numbers in both has two.
  const conversations = new Set(found.map((item) => item.conversationId)).size;
  return [
    `## Numbers stored as text (${conversations} conversations)`,
    '',
    'Their first message carried files, so they were created with one multipart request, whose values ' +
      'Chatwoot stores as text ("4" for 4). Its filters and reports read both the same way.',
    '',
    ...found
      .slice(0, TABLE_ROWS)
      .map(
        (item) => `- ${item.conversationId}: ${item.paths.map((p) => `${item.attribute}.${p}`).join(', ')}`,
      ),
    ...(found.length > TABLE_ROWS
      ? [`- … and ${found.length - TABLE_ROWS} more, listed in report.json`]
      : []),
    '',
  ];
}

const REJECTED_LISTED = 200;

/** The rejected conversations and what to do about them: no later step of the migration imports them. */
function rejectedSection(rejected: ReconciliationReport['rejectedConversations']): string[] {
  if (rejected.length === 0) return [];
  const line = (r: (typeof rejected)[number]) => {
    const where = r.blobKey
      ? `payload and schema issues in \`${r.blobKey}\``
      : `no payload kept: fetch \`GET /conversations/${r.conversationId}\` from Intercom by hand`;
    const state = r.foundInChatwoot ? ' (found in Chatwoot: imported by hand)' : '';
    return `- ${r.conversationId}${state}: ${r.reason}; ${where}`;
  };
  return [
    `## Conversations rejected at export (${rejected.length})`,
    '',
    'Intercom served these conversations in a shape the migration cannot read, or larger than the ' +
      "client's response size cap. They were set aside instead of failing the migration: they are counted " +
      'in the expected conversations but were not imported. For each one, inspect its blob (the raw ' +
      'payload with every schema issue), then either fix the cause (the data in Intercom, or the schema ' +
      'if the API changed) and export and import again, or create the conversation in Chatwoot by hand ' +
      'with the custom attribute `intercom_conversation_id` set to its Intercom id, so that the next ' +
      'verification finds it.',
    '',
    ...rejected.slice(0, REJECTED_LISTED).map(line),
    ...(rejected.length > REJECTED_LISTED
      ? [`- … and ${rejected.length - REJECTED_LISTED} more, listed in report.json`]
      : []),
    '',
  ];
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The mapping phase's tag plan; planned again from the exported tags when an older run saved none. */
async function labelReport(
  store: BlobStore,
  account: number,
): Promise<Pick<ReconciliationReport, 'labels' | 'labelMerges'>> {
  let plan = await getJson<LabelPlan>(store, blobLayout.mappingPart(account, 'labels'));
  if (!plan) {
    const names: string[] = [];
    const manifest = await getJson<EntityManifest>(store, blobLayout.entityManifest(account, 'tags'));
    if (manifest) for await (const tag of recordsOf<Tag>(store, manifest)) names.push(tag.name);
    plan = planLabels(names);
  }
  return { labels: plan.labels, labelMerges: plan.merges };
}

/** The archive inbox of the run's mapping, paged; undefined before the mapping phase made one. */
async function archiveOf(
  deps: ActivityDeps,
  input: MigrationInput,
  onPage: () => void,
): Promise<ArchiveIndex | undefined> {
  const inbox = await getJson<{ inboxId?: number }>(deps.store(input), blobLayout.mapping(input.account));
  if (inbox?.inboxId === undefined) return undefined;
  return pageArchiveIndex(deps.chatwoot(input), inbox.inboxId, onPage);
}

export const verificationQueue = taskQueues.chatwoot;

export function createVerificationActivities(deps: ActivityDeps) {
  async function reconcileMigration({ input }: { input: MigrationInput }): Promise<ReconciliationSummary> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const conversationsManifest = await readManifest(
      store,
      blobLayout.entityManifest(input.account, 'conversations'),
    );
    const contactsManifestKey = blobLayout.entityManifest(input.account, 'contacts');
    const contactsManifest = await readManifest(store, contactsManifestKey);
    const plan = (await getJson<MergePlan>(
      store,
      blobLayout.mergePlanIn(blobLayout.folderOf(contactsManifestKey)),
    )) ?? {
      mergedInto: {},
      merges: [],
    };
    const report: ReconciliationReport = {
      account: input.account,
      generatedAt: new Date().toISOString(),
      summary: emptyReconciliationCounts(),
      missingConversations: [],
      duplicateConversations: [],
      conversationsWithMissingMessages: [],
      conversationsWithDuplicateMessages: [],
      missingContacts: [],
      truncatedConversations: conversationsManifest.truncated ?? [],
      rejectedConversations: [],
      attachmentFailures: [],
      contactMerges: plan.merges,
      unmatchedAgents: (await getJson<unknown[]>(store, blobLayout.unmatchedAgents(input.account))) ?? [],
      emptyArticles:
        (
          await getJson<{ emptyArticles?: ReconciliationReport['emptyArticles'] }>(
            store,
            blobLayout.mappingPart(input.account, 'helpCenter'),
          )
        )?.emptyArticles ?? [],
      ...(await labelReport(store, input.account)),
      attributeAdjustments: [],
      valuesAsText: [],
      tickets: emptyTicketReport(),
      leftOut: leftOutReport(input.filters, conversationsManifest, contactsManifest),
      finalStateMismatches: [],
    };
    const s = report.summary;
    const finalStates = { expected: 0, found: 0 };
    s.finalStates = finalStates;
    const titles = labelTitlesByTag(report);
    const agents =
      (await getJson<{ agents?: Record<string, number> }>(store, blobLayout.mapping(input.account)))
        ?.agents ?? {};
    const nowSeconds = Math.floor(Date.now() / 1000);
    let checked = 0;
    const heartbeat = (detail: string) => Context.current().heartbeat(detail);

    // Contacts from GET /contacts (15 a page) when that takes fewer requests than one filter each.
    const directory: ContactDirectory = await contactDirectory(chatwoot, contactsManifest.count, () =>
      heartbeat('contacts'),
    );

    await forEachConcurrently(
      recordsOf<Contact>(store, contactsManifest),
      CONCURRENCY * 2,
      async (contact) => {
        const canonicalId = plan.mergedInto[contact.id];
        if (canonicalId) {
          // Its notes are on the contact it merged into (contactNotes.ts).
          if (exportedNoteIds(contact).length === 0) return;
          const canonical = await directory.findOne(
            contactIdentifierForms({ id: canonicalId, external_id: plan.identifiers?.[canonicalId] ?? null }),
          );
          addNotes(s, await verifyContactNotes(chatwoot, contact, canonical?.id));
          return;
        }
        s.contacts.expected++;
        // Under its external id, or `intercom:<id>` until the re-key step has run: one contact either way.
        const forms = contactIdentifierForms(contact);
        const found = await directory.findAll(forms);
        const alias =
          found.length === 0
            ? await getJson(store, blobLayout.contactAlias(input.account, contact.id))
            : undefined;
        if (found.length > 0 || alias) s.contacts.found++;
        else report.missingContacts.push(contact.id);
        const holderId = found[0]?.id ?? (alias as { chatwootId?: number } | undefined)?.chatwootId;
        addNotes(s, await verifyContactNotes(chatwoot, contact, holderId));
        if (found.length > 1) s.duplicates += found.length - 1;
      },
    );

    // The archive inbox paged once (25 a page) instead of one filter per conversation; a conversation
    // not there is looked for account-wide only when the paging may have missed it.
    const archive = await archiveOf(deps, input, () => heartbeat('archive inbox'));
    const findConversations = async (intercomId: string) => {
      const listed = archive?.conversations.get(intercomId);
      if (listed?.length || archive?.complete) return listed ?? [];
      return chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', intercomId);
    };

    await forEachConcurrently(
      recordsOf<Conversation>(store, conversationsManifest),
      CONCURRENCY,
      async (conversation) => {
        const planned = planMessages(conversation, {
          activityParts: input.import.activityParts,
          timestampLine: input.import.timestampLine,
        });
        s.conversations.expected++;
        s.messages.expected += planned.length;
        for (const adjustment of conversationAttributeAdjustments(conversation).adjustments) {
          report.attributeAdjustments.push({ conversationId: conversation.id, ...adjustment });
        }
        const attachmentIndex = await readAttachmentIndex(store, input.account, conversation.id);
        for (const failure of attachmentIndex?.failed ?? []) report.attachmentFailures.push(failure);
        const expectedAttachments = planned.reduce((sum, m) => sum + m.attachments.length, 0);
        s.attachments.expected += expectedAttachments;
        const matches = await findConversations(conversation.id);
        if (matches.length === 0) {
          report.missingConversations.push(conversation.id);
          return;
        }
        s.conversations.found++;
        if (matches.length > 1) {
          s.duplicates += matches.length - 1;
          report.duplicateConversations.push(conversation.id);
        }
        // Status and labels as listed (the archive's paging or the filter): no request of its own.
        finalStates.expected++;
        const mismatch = finalStateMismatch(
          conversation.id,
          expectedFinalState(conversation, titles, agents),
          matches[0],
          nowSeconds,
        );
        if (mismatch) report.finalStateMismatches?.push(mismatch);
        else finalStates.found++;
        const sent = {
          custom_attributes: conversationCustomAttributes(conversation),
          additional_attributes: conversationAdditionalAttributes(conversation),
        };
        for (const hash of attributeHashesAsText(sent, matches[0])) {
          report.valuesAsText?.push({ conversationId: conversation.id, ...hash });
        }
        const seen = new Map<string, number>();
        let attachmentsFound = 0;
        for await (const page of chatwoot.allMessages(matches[0].id)) {
          for (const message of page) {
            // Chatwoot's own activity messages ("Conversation was marked resolved by ...", written when
            // the import sets the status) have no source id; the imported ones carry their part's.
            if (!message.source_id) continue;
            seen.set(message.source_id, (seen.get(message.source_id) ?? 0) + 1);
            attachmentsFound += message.attachments?.length ?? 0;
          }
        }
        const missing = planned.filter((m) => !seen.has(m.sourceId)).map((m) => m.sourceId);
        const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
        s.messages.found += planned.length - missing.length;
        s.attachments.found += Math.min(attachmentsFound, expectedAttachments);
        s.duplicates += duplicated.reduce((sum, id) => sum + (seen.get(id) ?? 1) - 1, 0);
        if (missing.length)
          report.conversationsWithMissingMessages.push({
            conversationId: conversation.id,
            missingSourceIds: missing,
          });
        if (duplicated.length) {
          report.conversationsWithDuplicateMessages.push({
            conversationId: conversation.id,
            duplicateSourceIds: duplicated,
          });
        }
        Context.current().heartbeat(++checked);
      },
    );

    // Rejected conversations stay in the expected count, so the table never hides them; one imported
    // by hand with its Intercom id is found like any other, in whichever inbox it was created.
    for (const rejected of conversationsManifest.rejected ?? []) {
      s.conversations.expected++;
      const listed = archive?.conversations.get(rejected.conversationId);
      const matches = listed?.length
        ? listed
        : await chatwoot.filterConversationsByCustomAttribute(
            'intercom_conversation_id',
            rejected.conversationId,
          );
      const foundInChatwoot = matches.length > 0;
      if (foundInChatwoot) s.conversations.found++;
      else s.rejected++;
      if (matches.length > 1) {
        s.duplicates += matches.length - 1;
        report.duplicateConversations.push(rejected.conversationId);
      }
      report.rejectedConversations.push({ ...rejected, foundInChatwoot });
    }

    // Conversations are checked concurrently: the lists are sorted so that the report is stable.
    report.finalStateMismatches?.sort((a, b) => compareText(a.conversationId, b.conversationId));
    report.valuesAsText?.sort(
      (a, b) => compareText(a.conversationId, b.conversationId) || compareText(a.attribute, b.attribute),
    );
    report.attributeAdjustments.sort(
      (a, b) =>
        compareText(a.conversationId, b.conversationId) ||
        compareText(a.attribute, b.attribute) ||
        compareText(a.key, b.key),
    );
    s.missing =
      s.contacts.expected -
      s.contacts.found +
      (s.conversations.expected - s.conversations.found - s.rejected) +
      (s.messages.expected - s.messages.found) +
      (s.attachments.expected - s.attachments.found) +
      (s.notes ? s.notes.expected - s.notes.found : 0);
    s.missing += (
      await verifyTickets(deps, input, s, report.tickets ?? emptyTicketReport(), archive)
    ).missing;
    const reportKey = blobLayout.report(input.account);
    await putJson(store, reportKey, report);
    await store.put(blobLayout.reportMarkdown(input.account), renderReportMarkdown(report), {
      contentType: 'text/markdown',
    });
    return { ...s, reportKey };
  }

  return { reconcileMigration };
}

export type VerificationActivities = OnQueue<
  typeof verificationQueue,
  ReturnType<typeof createVerificationActivities>
>;

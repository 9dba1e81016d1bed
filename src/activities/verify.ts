/**
 * Verification and the rollout's checks, read from Chatwoot's API against the export: every
 * exported item must be found exactly once by its Intercom id. The report (JSON and Markdown) goes
 * to the blob store; the workflow gets counts.
 */
import { Context } from '@temporalio/activity';
import type { Contact, Conversation } from '../clients/intercom/schemas.js';
import { blobKeys, type MigrationInput } from '../config.js';
import { conversationLabels, planMessages } from '../mapping/index.js';
import { getJson, putJson } from '../storage/blobStore.js';
import { readAttachmentIndex } from './attachments.js';
import { identifierOf, type MergePlan } from './chatwootImport.js';
import { FROM_INTERCOM_LABEL } from './chatwootSetup.js';
import type { CsatComparison, ReconciliationSummary } from './contract.js';
import type { ActivityDeps } from './deps.js';
import {
  type EntityManifest,
  entityManifestKey,
  type RejectedConversation,
  readManifest,
  recordsOf,
} from './manifests.js';

const CONCURRENCY = 4;
/** Fewer ratings than this on either side say nothing about quality: the CSAT gate stays open. */
const MIN_RATINGS_FOR_CSAT = 5;

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
}

async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
) {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    const task = fn(item).finally(() => running.delete(task));
    running.add(task);
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
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
    '',
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
  ].join('\n');
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

export function createVerifyActivities(deps: ActivityDeps) {
  async function reconcileMigration({ input }: { input: MigrationInput }): Promise<ReconciliationSummary> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const root = blobKeys.root(input.account);
    const conversationsManifest = await readManifest(
      store,
      entityManifestKey(input.account, 'conversations'),
    );
    const contactsManifestKey = entityManifestKey(input.account, 'contacts');
    const contactsManifest = await readManifest(store, contactsManifestKey);
    const plan = (await getJson<MergePlan>(
      store,
      contactsManifestKey.replace(/manifest\.json$/, 'merge-plan.json'),
    )) ?? {
      mergedInto: {},
      merges: [],
    };
    const report: ReconciliationReport = {
      account: input.account,
      generatedAt: new Date().toISOString(),
      summary: {
        contacts: { expected: 0, found: 0 },
        conversations: { expected: 0, found: 0 },
        messages: { expected: 0, found: 0 },
        attachments: { expected: 0, found: 0 },
        duplicates: 0,
        missing: 0,
        rejected: 0,
      },
      missingConversations: [],
      duplicateConversations: [],
      conversationsWithMissingMessages: [],
      conversationsWithDuplicateMessages: [],
      missingContacts: [],
      truncatedConversations: conversationsManifest.truncated ?? [],
      rejectedConversations: [],
      attachmentFailures: [],
      contactMerges: plan.merges,
      unmatchedAgents: (await getJson<unknown[]>(store, `${root}/reports/unmatched-agents.json`)) ?? [],
    };
    const s = report.summary;
    let checked = 0;

    await forEachConcurrently(
      recordsOf<Contact>(store, contactsManifest),
      CONCURRENCY * 2,
      async (contact) => {
        if (plan.mergedInto[contact.id]) return;
        s.contacts.expected++;
        const found = await chatwoot.filterContacts('identifier', identifierOf(contact.id));
        const alias =
          found.length === 0
            ? await getJson(
                store,
                `${root}/contacts/alias/${contact.id.replace(/[^A-Za-z0-9._=-]/g, '_')}.json`,
              )
            : undefined;
        if (found.length > 0 || alias) s.contacts.found++;
        else report.missingContacts.push(contact.id);
        if (found.length > 1) s.duplicates += found.length - 1;
      },
    );

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
        const attachmentIndex = await readAttachmentIndex(store, input.account, conversation.id);
        for (const failure of attachmentIndex?.failed ?? []) report.attachmentFailures.push(failure);
        const expectedAttachments = planned.reduce((sum, m) => sum + m.attachments.length, 0);
        s.attachments.expected += expectedAttachments;
        const matches = await chatwoot.filterConversationsByCustomAttribute(
          'intercom_conversation_id',
          conversation.id,
        );
        if (matches.length === 0) {
          report.missingConversations.push(conversation.id);
          return;
        }
        s.conversations.found++;
        if (matches.length > 1) {
          s.duplicates += matches.length - 1;
          report.duplicateConversations.push(conversation.id);
        }
        const seen = new Map<string, number>();
        let attachmentsFound = 0;
        for await (const page of chatwoot.messagesAfter(matches[0].id)) {
          for (const message of page) {
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
    // by hand with its Intercom id is found like any other.
    for (const rejected of conversationsManifest.rejected ?? []) {
      s.conversations.expected++;
      const matches = await chatwoot.filterConversationsByCustomAttribute(
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

    s.missing =
      s.contacts.expected -
      s.contacts.found +
      (s.conversations.expected - s.conversations.found - s.rejected) +
      (s.messages.expected - s.messages.found) +
      (s.attachments.expected - s.attachments.found);
    const reportKey = blobKeys.report(input.account);
    await putJson(store, reportKey, report);
    await store.put(reportKey.replace(/\.json$/, '.md'), renderReportMarkdown(report), {
      contentType: 'text/markdown',
    });
    return { ...s, reportKey };
  }

  /** Cut-over check: every migrated conversation carries from_intercom; any that lost it gets it back. */
  async function verifyMigratedLabels({
    input,
  }: {
    input: MigrationInput;
  }): Promise<{ checked: number; repaired: number }> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const manifest = await readManifest(store, entityManifestKey(input.account, 'conversations'));
    let checked = 0;
    let repaired = 0;
    await forEachConcurrently(recordsOf<Conversation>(store, manifest), CONCURRENCY, async (conversation) => {
      const match = (
        await chatwoot.filterConversationsByCustomAttribute('intercom_conversation_id', conversation.id)
      )[0];
      if (!match) return;
      checked++;
      const labels = match.labels ?? [];
      if (!labels.includes(FROM_INTERCOM_LABEL)) {
        const wanted = conversationLabels((conversation.tags?.tags ?? []).map((t) => t.name));
        await chatwoot.setLabels(match.id, [...new Set([...labels, ...wanted, FROM_INTERCOM_LABEL])]);
        repaired++;
      }
      Context.current().heartbeat(checked);
    });
    return { checked, repaired };
  }

  /**
   * CSAT in a window: Intercom's conversation ratings (from the export and the delta syncs) against
   * Chatwoot's CSAT metrics for its live inboxes. Scores are the share of ratings of 4 or 5.
   */
  async function compareCsat(
    { input }: { input: MigrationInput },
    window: { since: number; until: number },
  ): Promise<CsatComparison> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const root = blobKeys.root(input.account);
    const ratings = new Map<string, number>();
    const manifests: string[] = [entityManifestKey(input.account, 'conversations')];
    for await (const key of store.list(`${root}/delta/`)) {
      if (key.endsWith('/conversations/manifest.json')) manifests.push(key);
    }
    for (const key of manifests) {
      for await (const conversation of recordsOf<Conversation>(store, await readManifest(store, key))) {
        const rating = conversation.conversation_rating;
        const at = rating?.created_at ?? 0;
        if (rating?.rating && at >= window.since && at <= window.until)
          ratings.set(conversation.id, rating.rating);
      }
    }
    const intercomGood = [...ratings.values()].filter((r) => r >= 4).length;
    const inboxes = await chatwoot.listInboxes();
    const live = inboxes.filter((inbox) => inbox.name !== input.chatwoot.inboxName);
    let chatwootRatings = 0;
    let chatwootGood = 0;
    for (const inbox of live) {
      const metrics = await chatwoot.csatMetrics({
        since: window.since,
        until: window.until,
        inboxId: inbox.id,
      });
      // ratings_count maps each rating (1-5) to how many responses gave it.
      for (const [rating, count] of Object.entries(metrics.ratings_count)) {
        chatwootRatings += count;
        if (Number(rating) >= 4) chatwootGood += count;
      }
    }
    const intercomScore = ratings.size ? (100 * intercomGood) / ratings.size : null;
    const chatwootScore = chatwootRatings ? (100 * chatwootGood) / chatwootRatings : null;
    const enough = ratings.size >= MIN_RATINGS_FOR_CSAT && chatwootRatings >= MIN_RATINGS_FOR_CSAT;
    return {
      intercomScore,
      chatwootScore,
      intercomRatings: ratings.size,
      chatwootRatings,
      behind:
        enough &&
        intercomScore !== null &&
        chatwootScore !== null &&
        chatwootScore < intercomScore - input.rollout.csatMargin,
    };
  }

  return { reconcileMigration, verifyMigratedLabels, compareCsat };
}

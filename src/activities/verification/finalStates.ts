/**
 * The verification of each conversation's final status, labels and assignee against Intercom's, read
 * from the archive inbox's listing the verification already pages (no request of its own): each item
 * is the conversation partial (app/views/api/v1/conversations/partials/_conversation.json.jbuilder),
 * with `status`, `snoozed_until`, `labels` (conversation.cached_label_list_array) and
 * `meta.assignee`.
 *
 * Why: the import leaves the labels, final statuses and assignees of the conversations it creates to POST
 * /bulk_actions, which Chatwoot answers `head :ok` before its BulkActionsJob runs
 * (app/controllers/api/v1/accounts/bulk_actions_controller.rb, app/jobs/bulk_actions_job.rb): the
 * import reads each batch back, and this check counts what still differs when the migration ends.
 *
 * What is expected, from the exported Intercom conversation (not from the import's own bookkeeping):
 * - status: closed -> resolved, snoozed -> snoozed, anything else -> open (the rule written here on
 *   purpose rather than imported from the mapping, so that a mistake there shows up here). A snoozed
 *   conversation whose snooze has ended may be open: Conversations::ReopenSnoozedConversationsJob
 *   (app/jobs/conversations/reopen_snoozed_conversations_job.rb) opens those whose snoozed_until
 *   passed. `pending` is never expected: it is what a conversation is created with, so a pending one
 *   is one whose final status never arrived.
 * - labels: each tag's label through the mapping phase's label plan (mapping/labels.json), plus
 *   from_intercom; compared without case (acts-as-taggable's tags are case-insensitive). Labels
 *   Chatwoot has besides these are not a mismatch: agents may add their own during the parallel run.
 * - assignee: the Chatwoot agent the mapping phase matched to Intercom's admin assignee
 *   (mapping.json `agents`, matched by e-mail); nothing is expected of a conversation whose Intercom
 *   assignee is no one or an admin without a Chatwoot agent (a team may have picked one).
 * Agents' own status changes in Chatwoot show as mismatches too: the report says so.
 */
import type { Conversation as ChatwootConversation } from '../../clients/chatwoot/schemas.js';
import type { Conversation } from '../../clients/intercom/schemas.js';
import { FROM_INTERCOM_LABEL, type LabelPlan, labelTitle } from '../../mapping/index.js';

export interface ExpectedFinalState {
  status: 'open' | 'resolved' | 'snoozed';
  /** Unix seconds; only for a snoozed conversation with an end. */
  snoozedUntil?: number;
  /** Label titles, sorted. */
  labels: string[];
  /** The Chatwoot agent; absent when nothing is expected. */
  assigneeId?: number;
}

export interface FinalStateMismatch {
  /** Intercom conversation id. */
  conversationId: string;
  /** Chatwoot display id. */
  chatwootId: number;
  /** Present when the status differs. */
  status?: { expected: string; found: string };
  /** Labels expected and absent in Chatwoot. */
  missingLabels: string[];
  /** Present when the assignee differs (found null: no one). */
  assignee?: { expected: number; found: number | null };
}

/** Intercom tag name -> the label the mapping phase planned for it. */
export function labelTitlesByTag(plan: Pick<LabelPlan, 'labels'>): Map<string, string> {
  const titles = new Map<string, string>();
  for (const label of plan.labels) for (const tag of label.tags) titles.set(tag, label.title);
  return titles;
}

function expectedStatus(state: string | null | undefined): ExpectedFinalState['status'] {
  const normalised = state?.trim().toLowerCase();
  if (normalised === 'closed') return 'resolved';
  if (normalised === 'snoozed') return 'snoozed';
  return 'open';
}

/**
 * What Chatwoot should show for this Intercom conversation. A tag missing from the plan (a tag
 * deleted from Intercom's tag list after it was put on the conversation) gets the title the mapping
 * gives any tag.
 */
export function expectedFinalState(
  conversation: Pick<Conversation, 'state' | 'snoozed_until' | 'tags' | 'admin_assignee_id'>,
  titles: ReadonlyMap<string, string>,
  /** Intercom admin id -> Chatwoot agent id (mapping.json `agents`). */
  agents: Readonly<Record<string, number>> = {},
): ExpectedFinalState {
  const status = expectedStatus(conversation.state);
  const labels = new Set([FROM_INTERCOM_LABEL]);
  for (const tag of conversation.tags?.tags ?? []) labels.add(titles.get(tag.name) ?? labelTitle(tag.name));
  const admin = conversation.admin_assignee_id;
  const assigneeId = admin === null || admin === undefined ? undefined : agents[String(admin)];
  return {
    status,
    ...(status === 'snoozed' && typeof conversation.snoozed_until === 'number'
      ? { snoozedUntil: conversation.snoozed_until }
      : {}),
    labels: [...labels].sort(),
    ...(assigneeId === undefined ? {} : { assigneeId }),
  };
}

/** The mismatch of one listed Chatwoot conversation, or undefined when it shows what is expected. */
export function finalStateMismatch(
  conversationId: string,
  expected: ExpectedFinalState,
  found: Pick<ChatwootConversation, 'id' | 'status' | 'labels' | 'meta'>,
  nowSeconds: number,
): FinalStateMismatch | undefined {
  const status = found.status ?? 'open';
  const reopenedAfterSnooze =
    expected.status === 'snoozed' &&
    status === 'open' &&
    expected.snoozedUntil !== undefined &&
    expected.snoozedUntil <= nowSeconds;
  const statusDiffers = status !== expected.status && !reopenedAfterSnooze;
  const has = new Set((found.labels ?? []).map((label) => label.toLowerCase()));
  const missingLabels = expected.labels.filter((label) => !has.has(label.toLowerCase()));
  const assignee = found.meta?.assignee?.id ?? null;
  const assigneeDiffers = expected.assigneeId !== undefined && assignee !== expected.assigneeId;
  if (!statusDiffers && missingLabels.length === 0 && !assigneeDiffers) return undefined;
  return {
    conversationId,
    chatwootId: found.id,
    ...(statusDiffers ? { status: { expected: expected.status, found: status } } : {}),
    missingLabels,
    ...(assigneeDiffers && expected.assigneeId !== undefined
      ? { assignee: { expected: expected.assigneeId, found: assignee } }
      : {}),
  };
}

const LISTED = 200;

/** The report's section: the first LISTED mismatches, all of them in report.json. */
export function finalStatesMarkdown(mismatches: readonly FinalStateMismatch[] | undefined): string[] {
  if (!mismatches?.length) return [];
  const line = (m: FinalStateMismatch) => {
    const parts = [
      ...(m.status ? [`status ${m.status.found}, expected ${m.status.expected}`] : []),
      ...(m.missingLabels.length ? [`labels missing: ${m.missingLabels.join(', ')}`] : []),
      ...(m.assignee
        ? [
            `assignee ${m.assignee.found === null ? 'none' : `#${m.assignee.found}`}, expected #${m.assignee.expected}`,
          ]
        : []),
    ];
    return `- ${m.conversationId} (Chatwoot #${m.chatwootId}): ${parts.join('; ')}`;
  };
  return [
    `## Conversations whose status, labels or assignee differ from Intercom's (${mismatches.length})`,
    '',
    'The import sets final statuses, labels and assignees in batches (POST /bulk_actions, applied later by ' +
      "Chatwoot's Sidekiq) and reads them back; these still differ. A `pending` one never got its final " +
      'status: check that Sidekiq runs its medium queue, then run the migration again, which writes ' +
      "Intercom's values on a conversation whose import never finished. Changes agents made in Chatwoot " +
      'after the import show here too, and a re-run keeps them (the parallel run keeps their work).',
    '',
    ...mismatches.slice(0, LISTED).map(line),
    ...(mismatches.length > LISTED
      ? [`- … and ${mismatches.length - LISTED} more, listed in report.json`]
      : []),
    '',
  ];
}

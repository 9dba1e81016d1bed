/**
 * The report's account of what the input's filters left out (src/mapping/filters.ts), read from the
 * export's manifests: those conversations and contacts were never exported, so the reconciliation
 * neither expects nor counts them missing. Counts only; the ids are not kept anywhere.
 */
import {
  CONVERSATION_LEFT_OUT_REASONS,
  type ConversationLeftOutReason,
  describeFilters,
  type MigrationFilters,
} from '../../mapping/filters.js';
import type { EntityManifest } from '../manifests.js';

export interface LeftOutReport {
  /** The filters in words, as the input set them. */
  filters: string;
  conversations: Record<ConversationLeftOutReason, number> & { total: number };
  contacts: { unreferenced: number };
}

const REASON_TEXT: Record<ConversationLeftOutReason, string> = {
  'updated-before': 'last updated before `updatedSince`',
  state: 'in a state not listed in `states`',
  'excluded-tag': 'tagged with one of `excludeTags`',
};

export function leftOutReport(
  filters: MigrationFilters | undefined,
  conversations: Pick<EntityManifest, 'leftOut'>,
  contacts: Pick<EntityManifest, 'leftOut'>,
): LeftOutReport {
  const byReason = { 'updated-before': 0, state: 0, 'excluded-tag': 0, total: 0 };
  for (const reason of CONVERSATION_LEFT_OUT_REASONS) {
    byReason[reason] = conversations.leftOut?.conversations?.[reason] ?? 0;
    byReason.total += byReason[reason];
  }
  return {
    filters: describeFilters(filters),
    conversations: byReason,
    contacts: { unreferenced: contacts.leftOut?.contacts?.unreferenced ?? 0 },
  };
}

export function leftOutMarkdown(report: LeftOutReport | undefined): string[] {
  if (!report) return [];
  return [
    '## Left out by the filters',
    '',
    `Filters: ${report.filters}. These were not exported and are not expected in Chatwoot.`,
    '',
    '| left out | count |',
    '|---|---|',
    ...CONVERSATION_LEFT_OUT_REASONS.map(
      (reason) => `| conversations ${REASON_TEXT[reason]} | ${report.conversations[reason]} |`,
    ),
    `| contacts no kept conversation or ticket names | ${report.contacts.unreferenced} |`,
    '',
  ];
}

/**
 * What a retention decision may delete, and the progress and report of that deletion. Types and pure
 * functions only: the workflow imports this module too.
 */

/**
 * The places a decision can name, in the order they are deleted: the Intercom conversations before
 * the contacts, so that each count says what its own request removed (whatever Intercom may do to a
 * contact's conversations), and the snapshot last, because it holds the ids of the Intercom data.
 */
export const RETENTION_PLACES = ['intercom-conversations', 'intercom-contacts', 'snapshot'] as const;
export type RetentionPlace = (typeof RETENTION_PLACES)[number];

/**
 * Intercom 2.16's API description (intercom-openapi.yaml, DELETE /contacts/{contact_id}, operationId
 * DeleteContact) says this and nothing more about what the call deletes.
 */
export const INTERCOM_CONTACT_DELETE_DESCRIPTION = 'You can delete a single contact.';

/** The statement the README, the report and the workflow's details make, word for word the same. */
export const WHAT_INTERCOM_DELETES_WITH_A_CONTACT =
  `Intercom's API 2.16 describes DELETE /contacts/{contact_id} only as "${INTERCOM_CONTACT_DELETE_DESCRIPTION}" ` +
  "It does not state that the contact's conversations, notes, tags or company links are deleted with it, " +
  'so this project does not count on it: conversations are deleted one by one with DELETE ' +
  '/conversations/{conversation_id} ("Deleting a conversation is permanent and cannot be reversed"), ' +
  "which keeps Intercom's reporting data unless retain_metrics=false is asked for (that needs the " +
  'delete_conversations_and_metrics OAuth scope).';

export interface PlaceCounts {
  /** Removed by this decision's own requests. */
  deleted: number;
  /** Absent when this decision came to it (404 or 410 from Intercom; no such object in the store). */
  alreadyGone: number;
  /** Refused for that one item (a 4xx other than 401/403/404/410); the worker log names the id. */
  failed: number;
}

export interface PlaceProgress extends PlaceCounts {
  place: RetentionPlace;
  /** Items in the plan (ids or snapshot objects); known once planned. */
  total: number;
  /** Items handled so far, in plan order. */
  position: number;
  done: boolean;
  /**
   * Of `deleted`: items whose request was in flight when an attempt stopped (a worker died) and that
   * were gone when the next attempt came back to them.
   */
  goneOnResume: number;
  /** Why the place stopped before its end (a refused token, a store that keeps failing). */
  stopped?: string;
}

export interface RetentionScope {
  places: RetentionPlace[];
  /** DELETE /conversations/{id}?retain_metrics=...: true (Intercom's default) keeps reporting data. */
  retainConversationMetrics: boolean;
}

export interface RetentionReport {
  account: number;
  /** What the operator sent, as normalised. */
  scope: RetentionScope;
  decidedAt: string;
  finishedAt?: string;
  places: PlaceProgress[];
  whatIntercomDeletesWithAContact: string;
  /** What the snapshot deletion keeps: the retention folder itself (this report, no personal data). */
  kept: string;
}

export const emptyProgress = (place: RetentionPlace): PlaceProgress => ({
  place,
  total: 0,
  position: 0,
  done: false,
  deleted: 0,
  alreadyGone: 0,
  failed: 0,
  goneOnResume: 0,
});

/** A decision's `what`, in deletion order; the old {"action":"delete"} means the contacts only. */
export function placesOf(what: 'all' | readonly RetentionPlace[] | undefined): RetentionPlace[] {
  if (what === undefined) return ['intercom-contacts'];
  if (what === 'all') return [...RETENTION_PLACES];
  return RETENTION_PLACES.filter((place) => what.includes(place));
}

/** The report as Markdown: one row per place, counts only. */
export function renderRetentionReport(report: RetentionReport): string {
  const rows = report.places.map(
    (p) =>
      `| ${p.place} | ${p.total} | ${p.deleted} | ${p.alreadyGone} | ${p.failed} | ${p.total - p.position} | ` +
      `${p.stopped ? `stopped: ${p.stopped}` : p.done ? 'done' : 'in progress'} |`,
  );
  const resumed = report.places
    .filter((p) => p.goneOnResume > 0)
    .map(
      (p) =>
        `- ${p.place}: ${p.goneOnResume} of the deleted were in flight when a worker stopped and gone when it resumed.`,
    );
  return [
    `# Retention decision for account ${report.account}`,
    '',
    `Decided ${report.decidedAt}${report.finishedAt ? `; finished ${report.finishedAt}` : ''}. ` +
      `Scope: ${report.scope.places.join(', ')}` +
      (report.scope.places.includes('intercom-conversations')
        ? ` (Intercom reporting data ${report.scope.retainConversationMetrics ? 'retained' : 'deleted'}).`
        : '.'),
    '',
    '| place | planned | deleted | already gone | failed | not reached | state |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(resumed.length > 0 ? ['', ...resumed] : []),
    '',
    `**What Intercom deletes with a contact.** ${report.whatIntercomDeletesWithAContact}`,
    '',
    `Kept: ${report.kept}`,
    '',
  ].join('\n');
}

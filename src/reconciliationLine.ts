/**
 * The one-line summary of a reconciliation, printed the same way whoever counted: the migration's
 * verification (through Chatwoot's API) and the sandbox's independent check (from both sandboxes'
 * state). Pure, so the workflow bundle can import it.
 */

export interface ReconciliationCounts {
  contacts: { expected: number; found: number };
  conversations: { expected: number; found: number };
  messages: { expected: number; found: number };
  attachments: { expected: number; found: number };
  /** Intercom tickets (every category), each a conversation in Chatwoot; absent where none were counted. */
  tickets?: { expected: number; found: number };
  /** Intercom contact notes, each a Chatwoot contact note; absent where none were counted. */
  notes?: { expected: number; found: number };
  /**
   * Conversations found in Chatwoot (expected) and those whose status and labels are Intercom's
   * (found): the migration's verification only (activities/verification/finalStates.ts).
   */
  finalStates?: { expected: number; found: number };
  duplicates: number;
  missing: number;
  /** Set aside at export (malformed or oversized in Intercom's API): listed in the report with the payload. */
  rejected?: number;
}

/** All counts at zero, rejected included: where a reconciliation starts counting. */
export function emptyReconciliationCounts(): Required<Omit<ReconciliationCounts, 'finalStates'>> {
  const pair = () => ({ expected: 0, found: 0 });
  return {
    contacts: pair(),
    conversations: pair(),
    messages: pair(),
    attachments: pair(),
    tickets: pair(),
    notes: pair(),
    duplicates: 0,
    missing: 0,
    rejected: 0,
  };
}

export function reconciliationLine(counts: ReconciliationCounts): string {
  const pair = (p: { expected: number; found: number }) => `${p.found}/${p.expected}`;
  return (
    `reconciled: contacts ${pair(counts.contacts)}, conversations ${pair(counts.conversations)}, ` +
    `messages ${pair(counts.messages)}, attachments ${pair(counts.attachments)}, ` +
    (counts.tickets ? `tickets ${pair(counts.tickets)}, ` : '') +
    (counts.notes ? `notes ${pair(counts.notes)}, ` : '') +
    (counts.finalStates ? `final states ${pair(counts.finalStates)}, ` : '') +
    `duplicates ${counts.duplicates}, missing ${counts.missing}` +
    (counts.rejected ? `, rejected ${counts.rejected}` : '')
  );
}

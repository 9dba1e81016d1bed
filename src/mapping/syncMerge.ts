/**
 * What a delta sync writes on a conversation that is already in Chatwoot. During the parallel run
 * agents work in Chatwoot while Intercom goes on changing, so a sync must not simply write
 * Intercom's values over Chatwoot's (POST /conversations/:id/labels replaces the whole list; status
 * and assignments overwrite). Each field is decided against a baseline, what the last successful sync
 * took from Intercom:
 *
 * - status (with its snooze end), assignee, team: Intercom's value is written only when it differs
 *   from the baseline (Intercom changed it since the last sync); otherwise Chatwoot's value stays,
 *   whatever an agent did with it.
 * - labels: Intercom's changes since the baseline (tags added, tags removed) are applied to
 *   Chatwoot's current list; labels agents added stay, and so do their removals of labels Intercom
 *   did not touch. The from_intercom marker is always kept.
 *
 * Without a record, the baseline is what the conversation was created with (its additional
 * attributes), unless the conversation is still pending: its first import never reached its end,
 * so it gets every Intercom value, as a conversation created now would.
 *
 * Every write that would change nothing is left out.
 */
import type { ConversationListItem } from '../clients/intercom/schemas.js';
import { type ChatwootConversationStatus, mapConversationStatus } from './conversations.js';
import { conversationLabels, FROM_INTERCOM_LABEL } from './labels.js';

/** What one sync took from Intercom for one conversation: the record kept in the blob store. */
export interface SyncedIntercomState {
  /** Intercom's updated_at of the snapshot synced: an older snapshot never overrides a newer one. */
  updatedAt: number;
  state: string;
  snoozedUntil: number | null;
  adminAssigneeId: string | null;
  teamAssigneeId: string | null;
  /** The label titles the sync wanted (from_intercom included). */
  labels: string[];
}

/** Chatwoot's side as the look-up before the messages found it. */
export interface ChatwootConversationState {
  /** open | resolved | pending | snoozed */
  status: string;
  /** Unix seconds, or null. */
  snoozedUntil: number | null;
  assigneeId: number | null;
  teamId: number | null;
  labels: string[];
}

/**
 * - record: the last sync's record.
 * - created-with: no record; the conversation's additional attributes (labels unknown).
 * - unfinished: no record and still pending since its creation: its first import never finished.
 */
export type SyncBaseline =
  | { kind: 'record'; state: SyncedIntercomState }
  | { kind: 'created-with'; state: Omit<SyncedIntercomState, 'labels' | 'updatedAt'> }
  | { kind: 'unfinished' };

export interface SyncDecisionInput {
  intercom: SyncedIntercomState;
  baseline: SyncBaseline;
  chatwoot: ChatwootConversationState;
  /** This sync posted an incoming message: Chatwoot reopens a resolved or snoozed conversation on one. */
  postedIncoming: boolean;
  /** Intercom admin id -> Chatwoot agent id (undefined: no matching agent). */
  agentOf(intercomAdminId: string): number | undefined;
  /** Intercom team id -> Chatwoot team id. */
  teamOf(intercomTeamId: string): number | undefined;
}

export interface StatusWrite {
  status: ChatwootConversationStatus;
  /** Unix seconds; only with 'snoozed'. */
  snoozedUntil?: number;
}

/** The writes to make, in this order: labels, team, assignee, status. Absent: leave it. */
export interface SyncWrites {
  labels?: string[];
  /** null unassigns. */
  teamId?: number | null;
  /** null unassigns. */
  assigneeId?: number | null;
  status?: StatusWrite;
  /** False when the snapshot is older than the one recorded: the record must not go back in time. */
  recordSnapshot: boolean;
}

/** The state of an Intercom conversation the sync writes from, and records. */
export function syncedIntercomState(conversation: ConversationListItem): SyncedIntercomState {
  return {
    updatedAt: conversation.updated_at,
    state: conversation.state,
    snoozedUntil: typeof conversation.snoozed_until === 'number' ? conversation.snoozed_until : null,
    adminAssigneeId: conversation.admin_assignee_id ? String(conversation.admin_assignee_id) : null,
    teamAssigneeId: conversation.team_assignee_id ? String(conversation.team_assignee_id) : null,
    labels: conversationLabels((conversation.tags?.tags ?? []).map((tag) => tag.name)),
  };
}

/** The statuses Chatwoot leaves on an incoming message (Message#reopen_conversation opens the others). */
const reopenedByIncoming = (status: string) => status === 'resolved' || status === 'snoozed';

function statusKey(status: string, snoozedUntil: number | null | undefined): string {
  return status === 'snoozed' ? `snoozed@${snoozedUntil ?? ''}` : status;
}

export function decideSync(input: SyncDecisionInput): SyncWrites {
  const { intercom, baseline, chatwoot } = input;
  const stale = baseline.kind === 'record' && intercom.updatedAt < baseline.state.updatedAt;
  const base = baseline.kind === 'unfinished' || stale ? undefined : baseline.state;
  const changed = <K extends 'state' | 'adminAssigneeId' | 'teamAssigneeId'>(key: K) =>
    !stale && (base === undefined || (base[key] ?? null) !== (intercom[key] ?? null));
  const writes: SyncWrites = { recordSnapshot: !stale };

  const labels = mergeLabels(
    chatwoot.labels,
    intercom.labels,
    stale ? 'keep' : baseline.kind === 'record' ? baseline.state.labels : 'union',
  );
  if (!sameSet(labels, chatwoot.labels)) writes.labels = labels;

  // Team first: Chatwoot drops an assignee who is not in the conversation's new team.
  const unfinished = baseline.kind === 'unfinished';
  const wantedTeam = intercom.teamAssigneeId ? (input.teamOf(intercom.teamAssigneeId) ?? null) : null;
  if (changed('teamAssigneeId') && wantedTeam !== chatwoot.teamId && !(unfinished && wantedTeam === null)) {
    writes.teamId = wantedTeam;
  }
  const wantedAgent = intercom.adminAssigneeId ? (input.agentOf(intercom.adminAssigneeId) ?? null) : null;
  if (
    changed('adminAssigneeId') &&
    wantedAgent !== chatwoot.assigneeId &&
    !(unfinished && wantedAgent === null)
  ) {
    writes.assigneeId = wantedAgent;
  } else if (writes.teamId !== undefined && chatwoot.assigneeId !== null && !unfinished) {
    // Intercom kept the assignee but moved the team: the agent Chatwoot had stays, even if not in it.
    writes.assigneeId = chatwoot.assigneeId;
  }

  const wanted = mapConversationStatus(intercom.state);
  const wantedUntil = wanted === 'snoozed' ? (intercom.snoozedUntil ?? undefined) : undefined;
  const statusChanged =
    !stale &&
    (base === undefined ||
      statusKey(mapConversationStatus(base.state), base.snoozedUntil) !== statusKey(wanted, wantedUntil));
  // The customer messages this sync posted reopened a resolved or snoozed conversation (Chatwoot's
  // Message#reopen_conversation). Right when Intercom has it open too; when Intercom has it closed or
  // snoozed again, the status it had before the messages comes back, unless Intercom changed it.
  const reopened = input.postedIncoming && reopenedByIncoming(chatwoot.status);
  const current = reopened ? 'open' : statusKey(chatwoot.status, chatwoot.snoozedUntil);
  if (statusChanged) {
    if (current !== statusKey(wanted, wantedUntil)) {
      writes.status =
        wantedUntil === undefined ? { status: wanted } : { status: wanted, snoozedUntil: wantedUntil };
    }
  } else if (reopened && wanted !== 'open') {
    const previous = chatwoot.status as 'resolved' | 'snoozed';
    writes.status =
      previous === 'snoozed' && chatwoot.snoozedUntil !== null
        ? { status: previous, snoozedUntil: chatwoot.snoozedUntil }
        : { status: previous };
  }
  return writes;
}

/**
 * Chatwoot's list with Intercom's changes applied: against the recorded list, tags Intercom removed
 * go and tags it added come; 'union' (no record) only adds, 'keep' (an older snapshot) changes
 * nothing. from_intercom is always there.
 */
export function mergeLabels(
  current: readonly string[],
  intercomNow: readonly string[],
  recorded: readonly string[] | 'union' | 'keep',
): string[] {
  const now = new Set(intercomNow);
  let removed = new Set<string>();
  let added: string[] = [];
  if (recorded === 'union') added = [...now];
  else if (recorded !== 'keep') {
    const before = new Set(recorded);
    removed = new Set([...before].filter((label) => !now.has(label) && label !== FROM_INTERCOM_LABEL));
    added = [...now].filter((label) => !before.has(label));
  }
  const result = current.filter((label) => !removed.has(label));
  for (const label of [...added.sort(), FROM_INTERCOM_LABEL]) if (!result.includes(label)) result.push(label);
  return result;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}

/** The baseline a conversation without a record offers: what it was created with, from its attributes. */
export function createdWithBaseline(
  chatwootStatus: string,
  additionalAttributes: Record<string, unknown> | null | undefined,
): SyncBaseline {
  // Created pending, set to its final status at the very end of its first import.
  if (chatwootStatus === 'pending') return { kind: 'unfinished' };
  const attributes = additionalAttributes ?? {};
  const text = (key: string) => {
    const value = attributes[key];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const state = text('intercom_state');
  // Not one of this project's conversations as far as its attributes tell: nothing to compare with.
  if (state === null) return { kind: 'unfinished' };
  const snoozedAt = text('intercom_snoozed_until');
  const snoozedMs = snoozedAt === null ? Number.NaN : Date.parse(snoozedAt);
  return {
    kind: 'created-with',
    state: {
      state,
      snoozedUntil: Number.isFinite(snoozedMs) ? Math.floor(snoozedMs / 1000) : null,
      adminAssigneeId: text('intercom_admin_assignee_id'),
      teamAssigneeId: text('intercom_team_assignee_id'),
    },
  };
}

/**
 * The end of a conversation's import: labels, team, assignee, status, then the record of what was
 * synced (blob store, no Chatwoot request); or, for a conversation created now in a batched import,
 * the team here and the labels, status and assignee left to POST /bulk_actions (bulkActions.ts).
 * A conversation created by this attempt gets Intercom's values as they are; one found in Chatwoot
 * keeps what agents did there during the parallel run unless Intercom changed the same thing since
 * the last sync (src/mapping/syncMerge.ts decides).
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import type { Conversation as ChatwootConversation } from '../../clients/chatwoot/schemas.js';
import type { Conversation } from '../../clients/intercom/schemas.js';
import type { MigrationInput } from '../../config.js';
import {
  type ChatwootConversationState,
  createdWithBaseline,
  decideSync,
  type SyncBaseline,
  type SyncedIntercomState,
  type SyncWrites,
  syncedIntercomState,
} from '../../mapping/syncMerge.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import type { MigrationMapping } from '../setup/chatwootWrites.js';
import { bulkStatusOf, type PendingFinalState } from './bulkActions.js';

export interface ConversationTarget {
  id: number;
  created: boolean;
  /** The conversation as the look-up found it (before this attempt's messages), when not created. */
  found?: ChatwootConversation;
  /** The team the create set (ConversationBuilder takes team_id), when created. */
  createdTeamId?: number;
}

export interface FinalStateArgs {
  input: MigrationInput;
  chatwoot: ChatwootClient;
  mapping: MigrationMapping;
  conversation: Conversation;
  target: ConversationTarget;
  /** This attempt posted an incoming message (which reopens a resolved or snoozed conversation). */
  postedIncoming: boolean;
  /**
   * Leave the labels, status and (for an agent with a token) assignee of a conversation created now
   * to POST /bulk_actions (bulkActions.ts).
   */
  batch?: boolean;
}

/** Unix seconds from what Chatwoot renders for snoozed_until (a time string, or seconds). */
function seconds(value: number | string | null | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.floor(value) : null;
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

function chatwootStateOf(found: ChatwootConversation): ChatwootConversationState {
  return {
    status: found.status ?? 'open',
    snoozedUntil: seconds(found.snoozed_until),
    assigneeId: found.meta?.assignee?.id ?? null,
    teamId: found.meta?.team?.id ?? null,
    labels: found.labels ?? [],
  };
}

/**
 * Writes what the conversation lacks. Returns true when its labels, status or assignee were left to
 * the batch instead (a final-state blob written, the sync record not yet): only for a conversation
 * this attempt created, whose labels are then added to none, whose status is pending and which has no
 * assignee but one its team may have picked. A snooze until a time is toggled here all the same (the
 * bulk job takes no snoozed_until); an agent without a token is assigned here as before.
 */
export async function applyFinalState(deps: ActivityDeps, args: FinalStateArgs): Promise<boolean> {
  const { input, chatwoot, mapping, conversation, target } = args;
  const store = deps.store(input);
  const recordKey = blobLayout.syncedConversation(input.account, conversation.id);
  const intercom = syncedIntercomState(conversation);
  const agentOf = (id: string) => mapping.agents[id];
  const teamOf = (id: string) => mapping.teams[id];

  let writes: SyncWrites;
  let chatwootBefore: ChatwootConversationState | undefined;
  if (target.created || !target.found) {
    // Created now (or found by a look-up that gave nothing to compare with): Intercom's values.
    const teamId = intercom.teamAssigneeId ? teamOf(intercom.teamAssigneeId) : undefined;
    const assigneeId = intercom.adminAssigneeId ? agentOf(intercom.adminAssigneeId) : undefined;
    const status = decideSync({
      intercom,
      baseline: { kind: 'unfinished' },
      chatwoot: { status: 'pending', snoozedUntil: null, assigneeId: null, teamId: null, labels: [] },
      postedIncoming: false,
      agentOf,
      teamOf,
    }).status;
    // What the create already holds is not written again: its team, and no labels. (Its status is
    // pending, which no Intercom state maps to: mapConversationStatus gives open, resolved or snoozed.)
    writes = {
      labels: target.created && intercom.labels.length === 0 ? undefined : intercom.labels,
      teamId: target.created && teamId === target.createdTeamId ? undefined : teamId,
      assigneeId,
      status,
      recordSnapshot: true,
    };
  } else {
    chatwootBefore = chatwootStateOf(target.found);
    const record = await getJson<SyncedIntercomState>(store, recordKey);
    const baseline: SyncBaseline = record
      ? { kind: 'record', state: record }
      : createdWithBaseline(chatwootBefore.status, target.found.additional_attributes);
    writes = decideSync({
      intercom,
      baseline,
      chatwoot: chatwootBefore,
      postedIncoming: args.postedIncoming,
      agentOf,
      teamOf,
    });
  }

  // Batched: the labels of a conversation created now, its status unless it is snoozed until a time
  // (toggled here: the bulk job takes no snoozed_until), and its assignee when that agent has a token
  // (a self-assignment by bulk action: bulkActions.ts).
  const created = args.batch === true && target.created;
  const bulkStatus = writes.status && bulkStatusOf(writes.status);
  const assigneeEmail =
    typeof writes.assigneeId === 'number' ? mapping.agentEmails?.[writes.assigneeId] : undefined;
  const bulkAssignee =
    created && typeof writes.assigneeId === 'number' && deps.hasAgentToken(assigneeEmail)
      ? writes.assigneeId
      : undefined;
  const batched =
    created && (bulkStatus !== undefined || (writes.labels ?? []).length > 0 || bulkAssignee !== undefined);
  if (writes.labels && !batched) await chatwoot.setLabels(target.id, writes.labels);
  // No agent is alerted about history (app/listeners/notification_listener.rb): the conversation
  // was created pending (no conversation_creation for the inbox's members) and unassigned, so its
  // messages notified no assignee or participant (NewMessageNotificationService); it is assigned
  // now, after the last message, while still pending (assignee_changed skips pending ones), and
  // its final status comes last, which notifies no one. Team first: Chatwoot drops an assignee
  // who is not in the conversation's team.
  // A found conversation that is no longer pending is live: an assignment there is a change agents
  // should hear about, made with the administrator's token. A batched assignee comes after this too
  // (after the team), as a self-assignment, which notifies no one whatever the status is by then.
  if (writes.teamId !== undefined) await chatwoot.assign(target.id, { team_id: writes.teamId });
  if (writes.assigneeId !== undefined && bulkAssignee === undefined) {
    // The listener runs in a background job that reads `pending?` when it runs, possibly after the
    // status below: an agent with a token assigns itself instead, which Chatwoot never notifies
    // (Conversation#self_assign?). AssignmentsController lets any member take an *unassigned*
    // conversation, which one created by this attempt is; a found one may already be assigned, so
    // only one still pending from its unfinished first import and unassigned is taken that way.
    const unassignedHistory =
      target.created || (chatwootBefore?.status === 'pending' && chatwootBefore.assigneeId === null);
    const assigner = unassignedHistory && assigneeEmail ? deps.chatwoot(input, assigneeEmail) : chatwoot;
    await assigner.assign(target.id, { assignee_id: writes.assigneeId });
  }
  if (writes.status && !(batched && bulkStatus !== undefined)) {
    await chatwoot.toggleStatus(target.id, writes.status.status, writes.status.snoozedUntil);
  }
  if (batched) {
    const pending: PendingFinalState = {
      chatwootId: target.id,
      ...(bulkStatus === undefined ? {} : { status: bulkStatus }),
      labels: writes.labels ?? [],
      ...(bulkAssignee === undefined ? {} : { assigneeId: bulkAssignee }),
      record: intercom,
    };
    await putJson(store, blobLayout.conversationFinalState(input.account, conversation.id), pending);
    return true;
  }
  if (writes.recordSnapshot) await putJson(store, recordKey, intercom);
  return false;
}

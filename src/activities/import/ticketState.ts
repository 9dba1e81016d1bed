/**
 * The end of a ticket's import: its labels, team, assignee and status (tickets.ts imports the rest).
 * In a batched import (the ticket import workflow's patch import-tickets-batched) a ticket's
 * conversation that is unfinished leaves its labels, status and (for an agent with a token) assignee
 * to POST /bulk_actions, as a created conversation does (bulkActions.ts explains the job, the
 * self-assignment that notifies no one and the read-back): a final-state blob
 * (blobLayout.ticketFinalState) that applyTicketFinalStates sends with the others and deletes once
 * Chatwoot shows it.
 *
 * Exactly once without a sync record: a ticket's conversation is unfinished when this attempt created
 * it, when its final-state blob is still there (the batch was not confirmed: lost job, crash, re-run),
 * or when it is still `pending` and unassigned (an earlier attempt stopped after the create and before
 * its final state; mapTicketStatus never gives pending, so a finished one is not). An unfinished one
 * gets what it lacks of Intercom's values; a finished one (a re-run, a delta) gets Intercom's labels it
 * lacks and its status where Chatwoot's differs, and keeps the team and assignee agents gave it.
 */
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import type { Conversation } from '../../clients/chatwoot/schemas.js';
import type { Ticket } from '../../clients/intercom/ticketSchemas.js';
import type { MigrationInput } from '../../config.js';
import { mapTicketStatus, ticketLabels } from '../../mapping/tickets.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import type { MigrationMapping } from '../setup/chatwootWrites.js';
import { bulkStatusOf, type PendingFinalState } from './bulkActions.js';

export interface TicketTarget {
  id: number;
  created: boolean;
  /** The conversation as the look-up found it, when not created. */
  found?: Conversation;
  /** The team the create set (ConversationBuilder takes team_id), when created. */
  createdTeamId?: number;
}

export interface TicketFinalStateArgs {
  input: MigrationInput;
  chatwoot: ChatwootClient;
  mapping: MigrationMapping;
  ticket: Ticket;
  target: TicketTarget;
  /** The ticket joined the conversation of the same id: only its labels are added. */
  sameAsConversation: boolean;
  /** Leave the labels, status and assignee of an unfinished ticket conversation to POST /bulk_actions. */
  batch?: boolean;
}

/** The team a ticket's conversation gets: Intercom's, mapped (undefined: none). */
export function ticketTeamId(mapping: MigrationMapping, ticket: Pick<Ticket, 'team_assignee_id'>) {
  return ticket.team_assignee_id ? mapping.teams[String(ticket.team_assignee_id)] : undefined;
}

/** The wanted labels the conversation lacks (acts-as-taggable compares them without case). */
function lacking(wanted: readonly string[], has: readonly string[]): string[] {
  const present = new Set(has.map((label) => label.toLowerCase()));
  return wanted.filter((label) => !present.has(label.toLowerCase()));
}

/**
 * Writes what the ticket's conversation lacks. Returns true when its labels, status or assignee were
 * left to the batch (a final-state blob written).
 */
export async function applyTicketFinalState(
  deps: ActivityDeps,
  args: TicketFinalStateArgs,
): Promise<boolean> {
  const { input, chatwoot, mapping, ticket, target } = args;
  const store = deps.store(input);
  const pendingKey = blobLayout.ticketFinalState(input.account, ticket.id);
  const found = target.found;
  const has = target.created ? [] : (found?.labels ?? []);
  const missingLabels = lacking(ticketLabels(ticket), has);
  // setLabels replaces the list: the conversation's own labels stay in it.
  const setMissingLabels = async () => {
    if (missingLabels.length > 0) await chatwoot.setLabels(target.id, [...has, ...missingLabels].sort());
  };
  // The status of a conversation the ticket joined stays the conversation import's.
  if (args.sameAsConversation) {
    await setMissingLabels();
    return false;
  }

  const wanted = mapTicketStatus(ticket);
  const waiting = !target.created && (await getJson<PendingFinalState>(store, pendingKey)) !== undefined;
  const assigneeNow = target.created ? null : (found?.meta?.assignee?.id ?? null);
  const unfinished = target.created || waiting || (found?.status === 'pending' && assigneeNow === null);
  const statusDiffers =
    target.created || found?.status !== wanted.status || wanted.snoozedUntil !== undefined;
  if (!unfinished) {
    await setMissingLabels();
    if (statusDiffers) await chatwoot.toggleStatus(target.id, wanted.status, wanted.snoozedUntil);
    return false;
  }

  // Team first: AssignmentHandler#ensure_assignee_is_from_team drops an assignee outside the team.
  const teamId = ticketTeamId(mapping, ticket);
  const teamNow = target.created ? (target.createdTeamId ?? null) : (found?.meta?.team?.id ?? null);
  if (teamId !== undefined && teamId !== teamNow) await chatwoot.assign(target.id, { team_id: teamId });
  const assigneeId = ticket.admin_assignee_id ? mapping.agents[String(ticket.admin_assignee_id)] : undefined;
  const email = assigneeId === undefined ? undefined : mapping.agentEmails?.[assigneeId];
  const assign = assigneeId !== undefined && assigneeId !== assigneeNow;
  const bulkAssignee = args.batch && assign && deps.hasAgentToken(email) ? assigneeId : undefined;
  const bulkStatus = args.batch && statusDiffers ? bulkStatusOf(wanted) : undefined;
  if (!args.batch) await setMissingLabels();
  if (assign && bulkAssignee === undefined) {
    // While the conversation is still pending (NotificationListener#assignee_changed skips it), and by
    // the agent's own token where there is one (a self-assignment notifies no one).
    await (email ? deps.chatwoot(input, email) : chatwoot).assign(target.id, { assignee_id: assigneeId });
  }
  if (statusDiffers && bulkStatus === undefined) {
    await chatwoot.toggleStatus(target.id, wanted.status, wanted.snoozedUntil);
  }
  const labels = args.batch ? missingLabels : [];
  if (bulkStatus === undefined && labels.length === 0 && bulkAssignee === undefined) {
    if (waiting) await store.delete(pendingKey);
    return false;
  }
  const pending: PendingFinalState = {
    chatwootId: target.id,
    ...(bulkStatus === undefined ? {} : { status: bulkStatus }),
    labels,
    ...(bulkAssignee === undefined ? {} : { assigneeId: bulkAssignee }),
  };
  await putJson(store, pendingKey, pending);
  return true;
}

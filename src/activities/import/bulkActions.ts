/**
 * Labels, final statuses and assignees of many newly created conversations in a few requests:
 * POST /bulk_actions (Api::V1::Accounts::BulkActionsController, BulkActionsJob) instead of a
 * POST /labels, a POST /toggle_status and a POST /assignments per conversation.
 *
 * What Chatwoot does with it (app/jobs/bulk_actions_job.rb): later, in a Sidekiq job, for each
 * conversation of the account with one of the display ids, `add_labels(labels.add)` and
 * `conversation.update(fields)`, with Current.user the caller. The same model callbacks and
 * listeners run as for the per-conversation routes (the status activity message, reporting events,
 * automation rules and webhooks on the status change), and the conversation is created without
 * labels, so adding them equals setting them. What it does not do:
 * - tell anyone whether it worked: the answer is `head :ok` once the job is enqueued. So every batch
 *   is read back, and what is not applied is sent again; a conversation's sync record (the mark that
 *   its import is complete, blobLayout.syncedConversation) is written only once its read-back shows
 *   the labels, the status and the assignee;
 * - take a snoozed_until: the job reads only `fields`, so a conversation snoozed until a time keeps
 *   its own toggle_status (bulkStatusOf), and only its labels are batched;
 * - check anything per conversation: the controller only validates that fields.assignee_id is a user
 *   of the account (422 'Invalid assignee_id') and that the team exists, and authorizes nothing.
 *
 * The assignee: NotificationListener#assignee_changed notifies the assignee unless
 * `notifiable_assignee_change?` is false or the conversation is pending when the listener runs, and
 * Conversation#notifiable_assignee_change? is false for a self-assignment (Current.user.id ==
 * assignee_id; app/models/conversation.rb). So an agent with a token in CHATWOOT_AGENT_TOKENS is set
 * by a request sent with that agent's own token, `fields: {assignee_id: <self>}`: one request per
 * assignee per batch, never a notification, whatever the status is by then. The status and labels
 * go in the administrator's requests (an agent's would author the status activity message). The two
 * jobs may run in either order: the archive inbox has enable_auto_assignment off
 * (setup/existingSettings.ts), so an open status picks no one meanwhile. An agent without a token
 * is assigned per conversation, as conversationState.ts always did, before the batch's status.
 * Only conversations this attempt created are batched: a found one may be live, and its assignee is
 * decided per conversation (syncMerge.ts).
 *
 * Ids per request: the controller and the job set no limit. The job updates its conversations one
 * after the other in one Sidekiq thread and an exception ends it where it is, so one request carries
 * at most BULK_IDS_PER_REQUEST: one job stays a few seconds of work, a lost one costs little to send
 * again, and the request count is within 1% of one per conversation's share anyway.
 *
 * Tickets' conversations (applyTicketFinalStates, ticketState.ts) go the same way, from their own
 * final-state blobs and without a sync record: they are in the archive inbox too.
 *
 * Exactly once: adding labels a conversation has and setting the status it has change nothing in
 * Chatwoot (no event, no activity message), so sending again, after a lost job, a retried attempt or a
 * re-run, is harmless (so is assigning an agent who is already the assignee: no saved change, no
 * event); and until the sync record is written a re-run finds the conversation pending
 * without a record, which conversationState.ts treats as an unfinished first import (Intercom's
 * values written again per conversation).
 */
import { sleep } from '@temporalio/activity';
import type { ChatwootClient } from '../../clients/chatwoot/client.js';
import type { Conversation } from '../../clients/chatwoot/schemas.js';
import { HttpFailure } from '../../clients/httpFailure.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import type { StatusWrite, SyncedIntercomState } from '../../mapping/syncMerge.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { mapLimited } from '../mapLimited.js';
import type { OnQueue } from '../queues.js';
import type { MigrationMapping } from '../setup/chatwootWrites.js';

export const bulkActionsQueue = taskQueues.chatwoot;

/** Conversations per POST /bulk_actions (see the header). */
export const BULK_IDS_PER_REQUEST = 100;

/** Bulk requests of one batch in flight at once (the pacer spaces them; see send in applyPending). */
export const BULK_SENDS_AT_ONCE = 8;

/**
 * Milliseconds between the send and each read-back. The first PROBE_ROUNDS are probes: a job of a
 * small batch on an idle Sidekiq has run within a few hundred milliseconds, and a probe that finds the
 * batch's newest conversation not applied yet stops at the first page (readBack, `settled`), so an
 * early look costs one request. From the round after them (3 s after the send, as before probes),
 * what is still not applied is sent again (its job was lost, or raised). After the last the attempt
 * fails and Temporal's retry starts over with what is still unconfirmed.
 */
export const READ_BACK_WAITS_MS = [300, 700, 2_000, 4_000, 8_000, 15_000, 30_000, 30_000, 30_000];
const PROBE_ROUNDS = 2;

export type BulkStatus = 'open' | 'resolved' | 'pending' | 'snoozed';

/** blobLayout.conversationFinalState: what one created conversation still waits for. */
export interface PendingFinalState {
  /** The Chatwoot conversation (display id). */
  chatwootId: number;
  /** Absent: the import toggled it itself (snoozed until a time), only the labels wait. */
  status?: BulkStatus;
  /** Labels to add (the conversation was created with none). */
  labels: string[];
  /** The agent (Chatwoot user id) to assign with the agent's own token; absent: assigned already, or none. */
  assigneeId?: number;
  /**
   * The sync record to write once Chatwoot shows all of them. Absent for a ticket, which has none:
   * its import tells an unfinished ticket conversation by its final-state blob or its pending status
   * (tickets.ts).
   */
  record?: SyncedIntercomState;
}

/** The status the bulk route can set: any but a snooze until a time (the job takes no snoozed_until). */
export function bulkStatusOf(write: StatusWrite): BulkStatus | undefined {
  if (write.status === 'snoozed' && write.snoozedUntil !== undefined) return undefined;
  return write.status;
}

export interface BulkFinalStateResult {
  /** Conversations whose labels, status and assignee are confirmed now (sync record written). */
  confirmed: number;
  /** Already confirmed by an earlier attempt (sync record present). */
  alreadyDone: number;
  /** No final-state blob: nothing to do (its import wrote labels and status itself). */
  notPending: number;
  /** No longer in Chatwoot (deleted meanwhile): nothing written, nothing recorded. */
  gone: number;
  /** POST /bulk_actions sent, first sends and re-sends (the assignees' included). */
  requests: number;
  /** Of these, sent with an assignee's own token to assign that agent. */
  assigneeRequests: number;
  /** Assigned per conversation instead: the agent's token is not in this worker's CHATWOOT_AGENT_TOKENS. */
  assignedOneByOne: number;
  /** Conversations sent again because the first job had not applied. */
  resent: number;
}

interface Entry {
  intercomId: string;
  pending: PendingFinalState;
}

const groupKey = (pending: PendingFinalState) =>
  JSON.stringify([pending.status ?? null, [...pending.labels].sort()]);

const lower = (labels: readonly string[]) => new Set(labels.map((label) => label.toLowerCase()));

type Shown = Pick<Conversation, 'status' | 'labels' | 'meta'>;

/**
 * What Chatwoot does not show yet of what is pending: the status, the labels missing (acts-as-taggable
 * compares them without case), the assignee; undefined when it shows everything.
 */
export function notYetApplied(
  conversation: Shown,
  pending: PendingFinalState,
): PendingFinalState | undefined {
  const has = lower(conversation.labels ?? []);
  const status = pending.status !== undefined && conversation.status !== pending.status;
  const labels = pending.labels.filter((label) => !has.has(label.toLowerCase()));
  const assignee =
    pending.assigneeId !== undefined && (conversation.meta?.assignee?.id ?? null) !== pending.assigneeId;
  if (!status && labels.length === 0 && !assignee) return undefined;
  return {
    chatwootId: pending.chatwootId,
    ...(status ? { status: pending.status } : {}),
    labels,
    ...(assignee ? { assigneeId: pending.assigneeId } : {}),
    ...(pending.record === undefined ? {} : { record: pending.record }),
  };
}

export interface BulkRequest {
  ids: number[];
  status?: BulkStatus;
  labels: string[];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

function chunked(ids: number[], make: (ids: number[]) => BulkRequest): BulkRequest[] {
  const sorted = [...ids].sort((a, b) => a - b);
  const requests: BulkRequest[] = [];
  for (let i = 0; i < sorted.length; i += BULK_IDS_PER_REQUEST) {
    requests.push(make(sorted.slice(i, i + BULK_IDS_PER_REQUEST)));
  }
  return requests;
}

/**
 * The requests for these entries, the fewer of two plans:
 * - by identical (status, labels): one job save per conversation, so one label activity message
 *   ("added a, b") as POST /labels gives;
 * - by status with the labels all of them share, then one request per other label with every
 *   conversation that needs it: a conversation's labels then come in several saves (one activity
 *   message each), but the count is (statuses + labels), not (distinct combinations), which on a
 *   workspace with varied tags is several times fewer.
 * Either way at most BULK_IDS_PER_REQUEST ids a request.
 */
export function bulkRequests(all: readonly PendingFinalState[]): BulkRequest[] {
  // Only an assignee pending (assigneeRequests): nothing for the administrator's requests.
  const entries = all.filter((entry) => entry.status !== undefined || entry.labels.length > 0);
  const identical = groupBy(entries, groupKey).flatMap((group) =>
    chunked(
      group.map((entry) => entry.chatwootId),
      (ids) => ({ ids, status: group[0].status, labels: [...group[0].labels].sort() }),
    ),
  );
  const byStatus = groupBy(entries, (entry) => entry.status ?? '');
  const split: BulkRequest[] = [];
  const rest = new Map<string, Map<string, number[]>>();
  for (const group of byStatus) {
    const shared = (group[0].labels ?? []).filter((label) =>
      group.every((entry) => entry.labels.includes(label)),
    );
    if (group[0].status !== undefined || shared.length > 0) {
      split.push(
        ...chunked(
          group.map((entry) => entry.chatwootId),
          (ids) => ({ ids, status: group[0].status, labels: [...shared].sort() }),
        ),
      );
    }
    for (const entry of group) {
      for (const label of entry.labels) {
        if (shared.includes(label)) continue;
        const byLabel = rest.get(label.toLowerCase()) ?? new Map<string, number[]>();
        rest.set(label.toLowerCase(), byLabel);
        byLabel.set(label, [...(byLabel.get(label) ?? []), entry.chatwootId]);
      }
    }
  }
  for (const spellings of rest.values()) {
    for (const [label, ids] of spellings)
      split.push(...chunked(ids, (chunk) => ({ ids: chunk, labels: [label] })));
  }
  return split.length < identical.length ? split : identical;
}

export interface AssigneeRequest {
  /** The agent, who sends the request with its own token and is its own assignee. */
  assigneeId: number;
  ids: number[];
}

/** One request per assignee (at most BULK_IDS_PER_REQUEST ids), in the order of the agents' ids. */
export function assigneeRequests(entries: readonly PendingFinalState[]): AssigneeRequest[] {
  const byAgent = new Map<number, number[]>();
  for (const entry of entries) {
    if (entry.assigneeId === undefined) continue;
    byAgent.set(entry.assigneeId, [...(byAgent.get(entry.assigneeId) ?? []), entry.chatwootId]);
  }
  return [...byAgent.entries()]
    .sort((a, b) => a[0] - b[0])
    .flatMap(([assigneeId, ids]) =>
      chunked(ids, (chunk) => ({ ids: chunk, labels: [] })).map((request) => ({
        assigneeId,
        ids: request.ids,
      })),
    );
}

/** Conversation pages of one read-back in flight at once (pages.ts: a real page is a heavy answer). */
const READ_BACK_PAGES_AT_ONCE = 4;

/** Conversations per page of GET /conversations (ConversationFinder: 25). */
const CONVERSATIONS_PER_PAGE = 25;

/**
 * How deep to read the listing, pages 1..deepestRead being read: for each wanted conversation not
 * seen yet the page that holds it at the latest (its rank below the newest is at most the difference
 * of display ids, as display ids grow with creation and the gaps are other inboxes' or deleted
 * conversations; one that should have been on a page read was pushed down by conversations created
 * meanwhile, onto the next), and the depth that costs the fewest requests: pages below deepestRead
 * plus one GET for each conversation deeper than that. The smaller depth on a tie: a page is several
 * queries on a real server.
 */
export function readBackDepth(newestId: number, unseen: readonly number[], deepestRead = 1): number {
  const latestPages = unseen.map((id) =>
    Math.max(deepestRead + 1, Math.floor(Math.max(0, newestId - id) / CONVERSATIONS_PER_PAGE) + 1),
  );
  let best = deepestRead;
  let bestCost = latestPages.length;
  for (const depth of new Set(latestPages)) {
    const cost = depth - deepestRead + latestPages.filter((page) => page > depth).length;
    if (cost < bestCost || (cost === bestCost && depth < best)) {
      best = depth;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * The wanted conversations as Chatwoot shows them now: the archive inbox's first page, newest first
 * (a batch just imported is at the top), then the pages down to readBackDepth at once, then
 * GET /conversations/:id for the rest (the longest conversation of an import starts first and ends
 * last: paging down to it read the whole inbox, one page after the other). Conversations pushed below
 * the depth read by others created meanwhile cost one page more (readBackDepth counts them there), a
 * single one a look-up. `gone`: no longer in Chatwoot (deleted meanwhile).
 */
export async function readBack(
  chatwoot: ChatwootClient,
  inboxId: number,
  wanted: ReadonlySet<number>,
  settled?: (conversation: Conversation) => boolean,
): Promise<{ found: Map<number, Conversation>; gone: Set<number> }> {
  const found = new Map<number, Conversation>();
  const gone = new Set<number>();
  const page = async (number: number) => {
    for await (const answer of chatwoot.listConversationPages({
      inboxId,
      status: 'all',
      sortBy: 'created_at_desc',
      startPage: number,
    })) {
      for (const conversation of answer.items)
        if (wanted.has(conversation.id)) found.set(conversation.id, conversation);
      return answer.items;
    }
    return [];
  };
  const lookUp = async (id: number) => {
    try {
      found.set(id, await chatwoot.getConversation(id));
    } catch (error) {
      if (!(error instanceof HttpFailure && error.status === 404)) throw error;
      gone.add(id);
    }
  };
  const first = await page(1);
  if (settled) {
    // A probe. BulkActionsJob saves its conversations in the order Postgres returns them, oldest
    // first in practice: if the newest ones are not settled the job is still running, and the pages
    // below would show nothing more. No wanted conversation on the first page: the newest one alone.
    let evidence = first.filter((conversation) => wanted.has(conversation.id));
    if (evidence.length === 0) {
      const newest = Math.max(...wanted);
      await lookUp(newest);
      evidence = found.has(newest) ? [found.get(newest) as Conversation] : [];
    }
    if (evidence.some((conversation) => !settled(conversation))) return { found, gone };
  }
  const unseen = () => [...wanted].filter((id) => !found.has(id) && !gone.has(id));
  // Down to the cheapest depth, and once or twice more when conversations created meanwhile pushed
  // some of those wanted below it (a page then finds several of them at once).
  let deepestRead = 1;
  let lastFull = first.length === CONVERSATIONS_PER_PAGE;
  const newestId = Math.max(0, ...first.map((conversation) => conversation.id));
  for (let pass = 0; pass < 3 && lastFull && unseen().length > 0; pass++) {
    const depth = readBackDepth(newestId, unseen(), deepestRead);
    if (depth <= deepestRead) break;
    const below = Array.from({ length: depth - deepestRead }, (_, index) => deepestRead + 1 + index);
    const items = await mapLimited(below, READ_BACK_PAGES_AT_ONCE, page);
    lastFull = items.every((pageItems) => pageItems.length === CONVERSATIONS_PER_PAGE);
    deepestRead = depth;
  }
  // Not in the listing: further down, or deleted or moved by someone meanwhile. One look says which.
  await mapLimited(unseen(), READ_BACK_PAGES_AT_ONCE, lookUp);
  return { found, gone };
}

/** Where the pending final states of one kind of item are, and their sync records (none for tickets). */
interface FinalStateKeys {
  pending: (account: number, intercomId: string) => string;
  synced?: (account: number, intercomId: string) => string;
}

const conversationKeys: FinalStateKeys = {
  pending: blobLayout.conversationFinalState,
  synced: blobLayout.syncedConversation,
};
const ticketKeys: FinalStateKeys = { pending: blobLayout.ticketFinalState };

export function createBulkActionActivities(deps: ActivityDeps) {
  /**
   * Applies the labels, final status and assignee the import left pending for these Intercom
   * conversations (final-state blobs), confirms them by reading them back and writes their sync records.
   */
  async function applyFinalStates(
    { input }: { input: MigrationInput },
    intercomConversationIds: string[],
  ): Promise<BulkFinalStateResult> {
    return applyPending(input, intercomConversationIds, conversationKeys);
  }

  /**
   * The same for tickets' conversations (their final-state blobs, tickets.ts; the ticket import
   * workflow's patch import-tickets-batched). They are in the archive inbox too, newest of all.
   */
  async function applyTicketFinalStates(
    { input }: { input: MigrationInput },
    intercomTicketIds: string[],
  ): Promise<BulkFinalStateResult> {
    return applyPending(input, intercomTicketIds, ticketKeys);
  }

  async function applyPending(
    input: MigrationInput,
    intercomConversationIds: string[],
    keys: FinalStateKeys,
  ): Promise<BulkFinalStateResult> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const result: BulkFinalStateResult = {
      confirmed: 0,
      alreadyDone: 0,
      notPending: 0,
      gone: 0,
      requests: 0,
      assigneeRequests: 0,
      assignedOneByOne: 0,
      resent: 0,
    };
    const unconfirmed = new Map<number, Entry>();
    for (const intercomId of intercomConversationIds) {
      if (keys.synced && (await getJson(store, keys.synced(input.account, intercomId)))) {
        result.alreadyDone++;
        continue;
      }
      const pending = await getJson<PendingFinalState>(store, keys.pending(input.account, intercomId));
      if (!pending) result.notPending++;
      else unconfirmed.set(pending.chatwootId, { intercomId, pending });
    }
    if (unconfirmed.size === 0) return result;
    const mapping = await getJson<MigrationMapping>(store, blobLayout.mapping(input.account));
    if (!mapping) throw new Error('the mapping step has not run: no mapping.json');

    // Token-less assignees first, then every bulk request at once: with the per-conversation fallback
    // below the conversation is still pending when the administrator assigns it (no notification).
    // The bulk requests need no order among them: an agent's self-assignment and the administrator's
    // status may run in either order (header), and two label jobs on one conversation may race
    // (Labelable#add_labels reads, then writes) whether their requests went 40 ms apart or at once,
    // as Sidekiq runs the medium queue on several threads and a job of 100 conversations outlasts a
    // request: the read-back is what catches a lost label. One after the other, the import's last
    // batch kept the budget idle for a round trip per request.
    const send = async (parts: PendingFinalState[]) => {
      const withToken: PendingFinalState[] = [];
      const oneByOne: PendingFinalState[] = [];
      for (const part of parts) {
        if (part.assigneeId === undefined) continue;
        const email = mapping.agentEmails?.[part.assigneeId];
        if (email && deps.hasAgentToken(email)) withToken.push(part);
        else oneByOne.push(part);
      }
      // The mapping saw a token this worker lacks (workers with different environments). On the first
      // send the conversation is still pending; a re-send after a read-back never needs this, the
      // assignment being synchronous, unless someone changed it in between.
      await mapLimited(oneByOne, BULK_SENDS_AT_ONCE, async (part) => {
        await chatwoot.assign(part.chatwootId, { assignee_id: part.assigneeId });
        result.assignedOneByOne++;
      });
      const sends: (() => Promise<void>)[] = [
        ...assigneeRequests(withToken).map((request) => async () => {
          const agent = deps.chatwoot(input, mapping.agentEmails?.[request.assigneeId]);
          await agent.bulkActions.updateConversations({ ids: request.ids, assigneeId: request.assigneeId });
          result.assigneeRequests++;
        }),
        ...bulkRequests(parts).map(
          (request) => () =>
            chatwoot.bulkActions.updateConversations({
              ids: request.ids,
              status: request.status,
              addLabels: request.labels.length > 0 ? request.labels : undefined,
            }),
        ),
      ];
      await mapLimited(sends, BULK_SENDS_AT_ONCE, async (sendOne) => {
        await sendOne();
        result.requests++;
      });
    };
    const confirm = async (entry: Entry) => {
      if (keys.synced && entry.pending.record !== undefined) {
        await putJson(store, keys.synced(input.account, entry.intercomId), entry.pending.record);
      }
      await store.delete(keys.pending(input.account, entry.intercomId));
      unconfirmed.delete(entry.pending.chatwootId);
      result.confirmed++;
    };

    await send([...unconfirmed.values()].map((entry) => entry.pending));
    for (const [round, wait] of READ_BACK_WAITS_MS.entries()) {
      await sleep(wait);
      const settled = (conversation: Conversation) => {
        const entry = unconfirmed.get(conversation.id);
        return entry === undefined || notYetApplied(conversation, entry.pending) === undefined;
      };
      const { found, gone } = await readBack(
        chatwoot,
        mapping.inboxId,
        new Set(unconfirmed.keys()),
        round < PROBE_ROUNDS ? settled : undefined,
      );
      const notApplied: PendingFinalState[] = [];
      for (const entry of [...unconfirmed.values()]) {
        const conversation = found.get(entry.pending.chatwootId);
        if (!conversation) {
          if (gone.has(entry.pending.chatwootId)) {
            unconfirmed.delete(entry.pending.chatwootId);
            result.gone++;
          }
          continue;
        }
        const missing = notYetApplied(conversation, entry.pending);
        if (missing === undefined) await confirm(entry);
        else notApplied.push(missing);
      }
      if (unconfirmed.size === 0) return result;
      if (round >= PROBE_ROUNDS) {
        result.resent += notApplied.length;
        await send(notApplied);
      }
    }
    throw new HttpFailure(
      'Chatwoot accepted POST /bulk_actions but its BulkActionsJob did not apply the labels, status ' +
        `or assignee of ${unconfirmed.size} conversations within ${READ_BACK_WAITS_MS.reduce((a, b) => a + b, 0) / 1000} s: ` +
        'check that Sidekiq runs the medium queue (the retry sends them again)',
      'chatwoot',
      undefined,
      true,
    );
  }

  return { applyFinalStates, applyTicketFinalStates };
}

export type BulkActionActivities = OnQueue<
  typeof bulkActionsQueue,
  ReturnType<typeof createBulkActionActivities>
>;

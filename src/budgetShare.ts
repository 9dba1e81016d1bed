/**
 * One Chatwoot budget across worker processes, with no manual division: each worker asks Temporal
 * which workers poll the chatwoot-writes activity queue (DescribeTaskQueue, a few milliseconds every
 * two seconds) and takes its share of CHATWOOT_REQUESTS_PER_SECOND from that list. No coordinator of
 * our own: Temporal's matching service already keeps the list (service/matching/poller_history.go:
 * every identity that polled in the last five minutes, with the time of its last poll's start or end).
 *
 * The shares add up to the budget exactly: with B requests a second over N workers, the workers sorted
 * by identity get floor(B/N) each and the first B mod N one more. Each worker holds its share as a hard
 * cap on send times (clients/sendBudget.ts), so in any 1,000 ms the workers together send at most B.
 *
 * Who counts as live: an identity whose last poll started or ended within LIVE_FOR_MS. A running
 * worker always has a long poll open while it has a free activity slot, and the server ends a long poll
 * after a minute at most, so 70 s never misses one; a stopped or killed worker drops out 70 s after its
 * last poll, and its share stays unused until then (never overspent).
 *
 * Transitions, so that no 1,000 ms window passes the budget while the list changes:
 * - Joining: a worker sends nothing until it has itself been in Temporal's list for JOIN_HOLD_MS: by
 *   then every other worker has refreshed (REFRESH_MS, plus a slow answer) and has spent a full window
 *   under its new, smaller cap. With sorted ranks a newcomer never raises anyone's cap: the cap falls
 *   with N and with rank, and a newcomer only moves others to the same or a later rank.
 * - Leaving: a cap only grows once every observation of the last RAISE_AFTER_MS allows it (the minimum
 *   over recent observations), so a list that flickers cannot lift a share early.
 * - A worker missing from its own view (the server restarted and forgot its pollers, or it has not
 *   polled for 70 s) holds again as if joining: the others may no longer count it.
 * No Temporal import here beyond the type of the client; the activities only see an allowance.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { ActivitySlotInfo, CustomSlotSupplier } from '@temporalio/worker';
import { PACING_SHARE, SEND_WINDOW_MS, type SendAllowance } from './clients/sendBudget.js';

export const REFRESH_MS = 2000;
/** Longest DescribeTaskQueue call waited for; a slower answer is dropped and the last view kept. */
export const DESCRIBE_DEADLINE_MS = 3000;
export const LIVE_FOR_MS = 70_000;
/** Another worker's refresh interval and slowest answer, then one full window of its cap. */
export const JOIN_HOLD_MS = REFRESH_MS + DESCRIBE_DEADLINE_MS + SEND_WINDOW_MS;
export const RAISE_AFTER_MS = REFRESH_MS + DESCRIBE_DEADLINE_MS + SEND_WINDOW_MS;

export interface PollerSeen {
  identity: string;
  /** Epoch milliseconds of its last poll's start or end, as the Temporal server recorded it. */
  lastAccessMs: number;
}

/** This worker's cap of `budget` when `live` (sorted, distinct, self included) share it. */
export function capOf(budget: number, live: readonly string[], self: string): number {
  const whole = Math.floor(budget);
  const workers = Math.max(1, live.length);
  const rank = Math.max(0, live.indexOf(self));
  const base = Math.floor(whole / workers);
  return base + (rank < whole - base * workers ? 1 : 0);
}

interface Observation {
  atMs: number;
  live: string[];
}

/** What one worker knows of the others, and the allowance it derives from that. */
export class BudgetShare {
  private readonly observations: Observation[] = [];
  /** Since when (this worker's clock) every observation has listed this worker as live. */
  private countedSince: number | undefined;

  constructor(
    readonly identity: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one answer of Temporal, taken at `atMs`. */
  observe(pollers: readonly PollerSeen[], atMs: number = this.now()): void {
    const live = new Set<string>();
    for (const poller of pollers) {
      if (poller.identity && poller.lastAccessMs > atMs - LIVE_FOR_MS) live.add(poller.identity);
    }
    if (live.has(this.identity)) this.countedSince ??= atMs;
    else this.countedSince = undefined;
    live.add(this.identity);
    this.observations.push({ atMs, live: [...live].sort() });
    // The latest stays however old it is: with Temporal unreachable no worker can join either.
    while (
      this.observations.length > 1 &&
      (this.observations[0] as Observation).atMs < atMs - RAISE_AFTER_MS
    ) {
      this.observations.shift();
    }
  }

  /** Workers in the latest observation (this one included), for logs and tests. */
  get workers(): number {
    return this.observations.at(-1)?.live.length ?? 1;
  }

  allowance(budget: number, nowMs: number = this.now()): SendAllowance {
    if (this.countedSince === undefined || nowMs < this.countedSince + JOIN_HOLD_MS) {
      return { perWindow: 0, perSecond: 0 };
    }
    let cap = Number.POSITIVE_INFINITY;
    for (const { live } of this.observations) cap = Math.min(cap, capOf(budget, live, this.identity));
    return { perWindow: cap, perSecond: cap * PACING_SHARE };
  }
}

/** The identity a worker process polls with: Temporal's default form, set explicitly so it is known. */
export function workerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : Number(String(ts.seconds ?? 0));
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** The pollers of an activity task queue, as Temporal reports them. */
export async function describeActivityPollers(
  client: Client,
  namespace: string,
  taskQueue: string,
): Promise<PollerSeen[]> {
  const response = await client.connection.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () =>
    client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    }),
  );
  return (response.pollers ?? []).map((poller) => ({
    identity: poller.identity ?? '',
    lastAccessMs: timestampMs(poller.lastAccessTime),
  }));
}

/** Refreshes `share` from Temporal every REFRESH_MS until stopped. */
export function watchPollers(
  client: Client,
  namespace: string,
  taskQueue: string,
  share: BudgetShare,
  log: (message: string) => void = (message) => console.warn(message),
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let lastWorkers = 0;
  const tick = async () => {
    try {
      share.observe(await describeActivityPollers(client, namespace, taskQueue));
      if (failing) log('chatwoot budget: Temporal answers again; shares follow its pollers');
      failing = false;
      if (share.workers !== lastWorkers) {
        lastWorkers = share.workers;
        log(`chatwoot budget: ${lastWorkers} worker(s) poll ${taskQueue}; this one takes its share`);
      }
    } catch (error) {
      // The last view stays: while Temporal cannot be reached, no new worker can start polling either.
      if (!failing)
        log(`chatwoot budget: cannot describe ${taskQueue} (${String(error)}); keeping the last share`);
      failing = true;
    }
    if (!stopped) timer = setTimeout(() => void tick(), REFRESH_MS).unref();
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Requests waiting for this worker's budget from which it stops taking new activities. A worker's
 * share cannot be lent, so an activity it takes while its budget is already spoken for waits here
 * while another worker's share may sit idle: at the end of an import, workers that hoarded
 * conversations sent at their share alone for a quarter of the time. Left in Temporal's queue, the
 * work goes to whichever worker has budget to spare. Two waiting keep the budget in use.
 */
export const BACKLOG_FOR_NEW_WORK = 2;
const SLOT_RECHECK_MS = 20;

/**
 * Activity slots for the chatwoot-writes worker (Temporal's custom slot supplier, which the worker
 * asks before every poll): at most `maxSlots` at once, and none while `backlog()` requests already
 * wait for this worker's budget.
 */
export function budgetSlotSupplier(
  maxSlots: number,
  backlog: () => number,
): CustomSlotSupplier<ActivitySlotInfo> {
  let used = 0;
  const free = () => used < maxSlots && backlog() < BACKLOG_FOR_NEW_WORK;
  return {
    type: 'custom',
    async reserveSlot(_ctx, abortSignal) {
      while (!free()) {
        if (abortSignal.aborted) throw abortSignal.reason ?? new Error('AbortError');
        await sleep(SLOT_RECHECK_MS);
      }
      used++;
      return {};
    },
    tryReserveSlot() {
      if (!free()) return null;
      used++;
      return {};
    },
    markSlotUsed() {},
    releaseSlot() {
      used--;
    },
  };
}

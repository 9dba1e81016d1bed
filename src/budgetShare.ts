/**
 * One Chatwoot budget across worker processes, with no manual division: each worker asks Temporal
 * which workers share the budget (DescribeTaskQueue, a few milliseconds every two seconds) and takes
 * its share of CHATWOOT_REQUESTS_PER_SECOND from that list. No coordinator of our own: Temporal's
 * matching service already keeps the list (service/matching/poller_history.go: every identity that
 * polled a task queue in the last five minutes, with the time of its last poll).
 *
 * The list is that of a presence queue beside chatwoot-writes (`<queue>.budget-presence`), not of
 * chatwoot-writes itself: nothing is ever scheduled there, and every worker with a share polls it with
 * a 3 s deadline, one poll after the other (keepPresent), so a live worker's last poll is at most
 * about two seconds old. The activity queue's own pollers cannot tell a dead worker from a live one
 * for a minute: an idle worker's long poll lasts up to a minute (the server's long-poll expiry), so a
 * worker killed with -9 used to keep its share for 70 s and a newcomer started on half the budget
 * (or none, with a budget smaller than the workers). Now a killed worker drops out after LIVE_FOR_MS.
 *
 * The shares add up to the budget exactly: with B requests a second over N workers, the workers sorted
 * by identity get floor(B/N) each and the first B mod N one more. Each worker holds its share as a hard
 * cap on send times (clients/sendBudget.ts), so in any 1,000 ms the workers together send at most B.
 *
 * Who counts as present: an identity whose last presence poll is at most LIVE_FOR_MS older than the
 * freshest one in the same answer (the server's clock against itself: no skew between machines).
 *
 * Transitions, so that no 1,000 ms window passes the budget while the list changes:
 * - Joining: a worker sends nothing until it has itself been in Temporal's list for JOIN_HOLD_MS: by
 *   then every other worker has refreshed (REFRESH_MS, plus a slow answer) and has spent a full window
 *   under its new, smaller cap. With sorted ranks a newcomer never raises anyone's cap: the cap falls
 *   with N and with rank, and a newcomer only moves others to the same or a later rank.
 * - Leaving: a cap only grows once every observation of the last RAISE_AFTER_MS allows it (the minimum
 *   over recent observations), so a list that flickers cannot lift a share early.
 * - A worker that cannot refresh its own presence (Temporal unreachable from it, a stalled process)
 *   holds once its last answered presence poll is LIVE_FOR_MS old: the others drop it no earlier, and
 *   raise their caps only RAISE_AFTER_MS later.
 * - A worker missing from its own view (the server restarted and forgot its pollers) holds again as
 *   if joining: the others may no longer count it.
 * - Stepping out: a worker that has run no Chatwoot activity for STEP_OUT_AFTER_MS while another
 *   worker is live stops its presence polls, and is dropped and then made up for like a worker that
 *   left. Some phases are one activity on one worker (the verification, a ticket's last steps): with
 *   N workers each of them ran at 1/N of the budget while the others' shares sat idle. The step-out
 *   waits long, because coming back costs a join hold (about JOIN_HOLD_MS plus a refresh): lending
 *   shares at every short idle spell of an import was measured slower (test/budget-workers).
 * No Temporal import here beyond the type of the client; the activities only see an allowance.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { ActivitySlotInfo, CustomSlotSupplier } from '@temporalio/worker';
import { SEND_GUARD_MS, SEND_WINDOW_MS, type SendAllowance } from './clients/sendBudget.js';

export const REFRESH_MS = 2000;
/** Longest DescribeTaskQueue call waited for; a slower answer is dropped and the last view kept. */
export const DESCRIBE_DEADLINE_MS = 3000;
/** How often a worker that stepped out looks for Chatwoot work to come back for. */
const STEP_BACK_CHECK_MS = 100;
/** Deadline of one presence poll: the server answers (empty) about a second before it. */
export const PRESENCE_POLL_MS = 3000;
/** A worker whose last presence poll is this much older than the freshest one is gone. */
export const LIVE_FOR_MS = 10_000;
/**
 * Another worker's refresh interval and slowest answer, then one full window of its cap and the
 * lateness of a request it sent under its old cap (sendWindow.ts).
 */
export const JOIN_HOLD_MS = REFRESH_MS + DESCRIBE_DEADLINE_MS + SEND_WINDOW_MS + SEND_GUARD_MS;
export const RAISE_AFTER_MS = REFRESH_MS + DESCRIBE_DEADLINE_MS + SEND_WINDOW_MS + SEND_GUARD_MS;
/**
 * Idle this long (no Chatwoot activity running) beside a live worker, a worker stops polling for
 * presence: longer than the pauses inside an import (a child's start, a chunk's turn), short against
 * a phase of one activity, which then gets the whole budget about LIVE_FOR_MS + RAISE_AFTER_MS later.
 */
export const STEP_OUT_AFTER_MS = 30_000;

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
  /** When this worker's last answered presence poll started (its clock), once it polls. */
  private presentAt: number | undefined;
  /** Chatwoot activities running on this worker now. */
  private running = 0;
  /**
   * Since when none has run (this worker's clock); undefined while one runs, and until the first: a
   * worker just started is there for work about to come (a scaled-up deployment), and stepping out
   * before any would only add a join hold to its first activity.
   */
  private idleSince: number | undefined;
  /** Stepped out: not polling for presence until Chatwoot work comes (or it is alone). */
  private away = false;
  /** Came back because it was alone: stays until it has run work again, so idle workers do not take turns. */
  private stayUntilWork = false;

  constructor(
    readonly identity: string,
    private readonly now: () => number = Date.now,
    private readonly stepOutAfterMs: number = STEP_OUT_AFTER_MS,
  ) {}

  /** A Chatwoot activity started on this worker (the slot supplier's markSlotUsed). */
  activityStarted(): void {
    this.running++;
    this.idleSince = undefined;
    this.away = false;
    this.stayUntilWork = false;
  }

  /** A Chatwoot activity ended on this worker, however it ended. */
  activityFinished(atMs: number = this.now()): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running === 0) this.idleSince = atMs;
  }

  /**
   * Whether this worker should poll for presence now: it steps out after STEP_OUT_AFTER_MS without
   * Chatwoot work (once it has run some) while another worker is live, and comes back with work, or
   * once it is alone.
   */
  wantsPresence(nowMs: number = this.now()): boolean {
    if (this.running > 0 || this.idleSince === undefined) return true;
    const othersLive = (this.observations.at(-1)?.live ?? []).some((identity) => identity !== this.identity);
    if (this.away) {
      if (!othersLive) {
        this.away = false;
        this.stayUntilWork = true;
      }
      return !this.away;
    }
    if (this.stayUntilWork || !othersLive || nowMs < this.idleSince + this.stepOutAfterMs) return true;
    this.away = true;
    // Back, it waits a full join hold from its next view, whatever that view and the ones before
    // it said: the others may have raised their caps meanwhile, and a view it failed to take while
    // away (Temporal slow to answer it) must not let it send at its old share.
    this.countedSince = undefined;
    return false;
  }

  /** This worker's presence poll that started at `atMs` was answered: the server has seen it then. */
  present(atMs: number = this.now()): void {
    this.presentAt = Math.max(this.presentAt ?? atMs, atMs);
  }

  /** Records one answer of Temporal, taken at `atMs`. */
  observe(pollers: readonly PollerSeen[], atMs: number = this.now()): void {
    const live = new Set<string>();
    // The freshest poll in the answer stands for the server's now: its clock, not this machine's.
    let reference = Number.NEGATIVE_INFINITY;
    for (const poller of pollers) reference = Math.max(reference, poller.lastAccessMs);
    if (!Number.isFinite(reference)) reference = atMs;
    for (const poller of pollers) {
      if (poller.identity && poller.lastAccessMs > reference - LIVE_FOR_MS) live.add(poller.identity);
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
    if (this.presentAt !== undefined && nowMs > this.presentAt + LIVE_FOR_MS) {
      return { perWindow: 0, perSecond: 0 };
    }
    let cap = Number.POSITIVE_INFINITY;
    for (const { live } of this.observations) cap = Math.min(cap, capOf(budget, live, this.identity));
    return { perWindow: cap, perSecond: cap };
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

/** The queue the workers sharing `taskQueue`'s budget poll to say they are there; nothing runs on it. */
export function presenceQueueOf(taskQueue: string): string {
  return `${taskQueue}.budget-presence`;
}

/**
 * Polls the presence queue with this worker's identity, one short poll after another, until stopped:
 * the server records each poll's start, so the list shows this worker at most about two seconds old.
 * No activity is ever scheduled on that queue; should one be, the poll leaves it unanswered (its
 * start-to-close timeout gives it back).
 */
export function keepPresent(
  client: Client,
  namespace: string,
  taskQueue: string,
  share: BudgetShare,
  log: (message: string) => void = () => {},
): { stop(): void } {
  let stopped = false;
  let controller = new AbortController();
  let away = false;
  const loop = async () => {
    while (!stopped) {
      const wanted = share.wantsPresence();
      if (wanted === away) {
        away = !wanted;
        log(
          away
            ? 'chatwoot budget: no Chatwoot work here lately; leaving this share to the other workers'
            : 'chatwoot budget: Chatwoot work again; rejoining (held until the others have counted this worker)',
        );
      }
      if (away) {
        await sleep(STEP_BACK_CHECK_MS);
        continue;
      }
      const startedAt = Date.now();
      // One per poll: a signal reused across polls would gather a listener each time.
      controller = new AbortController();
      try {
        await client.connection.withAbortSignal(controller.signal, () =>
          client.connection.withDeadline(startedAt + PRESENCE_POLL_MS, () =>
            client.workflowService.pollActivityTaskQueue({
              namespace,
              taskQueue: { name: presenceQueueOf(taskQueue), kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
              identity: share.identity,
            }),
          ),
        );
        share.present(startedAt);
      } catch {
        // A deadline passed or Temporal is unreachable: the share holds once presence is too old.
        if (!stopped) await sleep(Math.max(0, startedAt + 1000 - Date.now()));
      }
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
      controller.abort();
    },
  };
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

/** Keeps this worker present and refreshes `share` from Temporal every REFRESH_MS until stopped. */
export function watchPollers(
  client: Client,
  namespace: string,
  taskQueue: string,
  share: BudgetShare,
  log: (message: string) => void = (message) => console.warn(message),
): { stop(): void } {
  const presence = keepPresent(client, namespace, taskQueue, share, log);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let lastWorkers = 0;
  const tick = async () => {
    try {
      share.observe(await describeActivityPollers(client, namespace, presenceQueueOf(taskQueue)));
      if (failing) log('chatwoot budget: Temporal answers again; shares follow its pollers');
      failing = false;
      if (share.workers !== lastWorkers) {
        lastWorkers = share.workers;
        log(
          `chatwoot budget: ${lastWorkers} worker(s) share the ${taskQueue} budget; this one takes its share`,
        );
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
      presence.stop();
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
  share?: Pick<BudgetShare, 'activityStarted' | 'activityFinished'>,
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
    markSlotUsed() {
      share?.activityStarted();
    },
    releaseSlot(ctx) {
      used--;
      // A slot released unused was a poll that ended without a task.
      if (ctx.slotInfo) share?.activityFinished();
    },
  };
}

/**
 * Pacing with a hard cap, for a budget that Chatwoot counts per arrival (Rack::Attack's req/ip,
 * config/initializers/rack_attack.rb). A rate alone is not enough: a timer that fires late lets the
 * requests queued behind it out together, and the benchmark saw 201 arrive within one second of a
 * 200/s budget. Nor is a cap on send times: a server that reads its socket late moves arrivals
 * together, and the bench saw 53 arrive within one second of 50 sent in 1,100 ms.
 *
 * So each send holds a place in the cap from its release until SEND_WINDOW_MS after its answer
 * (`SendTicket.answered`), and for as long as it has none. No 1,000 ms at Chatwoot then holds more
 * than the cap, whatever the delays: take the cap + 1 requests that arrived within 1,000 ms of each
 * other, and the last one released among them. Every other one arrived at most 1,000 ms before that
 * one arrived, so it was answered no earlier than 1,000 ms before that one's release (an answer comes
 * after the arrival; an arrival after the release). So all of them held a place at that release:
 * the cap was full, and it would have waited. Retries come through here like first attempts.
 *
 * The price is a request's answer time in every window (96% of the cap with 40 ms answers), against
 * the fixed 100 ms guard this replaced (91%).
 *
 * The allowance is read before every send, so the worker can change its share of the budget while
 * requests are queued (budgetShare.ts: the share follows the workers Temporal sees polling).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { currentSendPriority } from './sendPriority.js';
import { SEND_WINDOW_MS } from './sendWindow.js';

export interface SendAllowance {
  /** Most requests holding a place at once (see above); below 1 holds every send until it changes. */
  perWindow: number;
  /** Even spacing between sends, so that the sends of a window do not leave as one burst. */
  perSecond: number;
}

/** A released send: tell it when the answer came (or the attempt failed), once. */
export interface SendTicket {
  answered(): void;
}

export { EXPECTED_BUDGET_SHARE, SEND_GUARD_MS, SEND_WINDOW_MS } from './sendWindow.js';

/**
 * The pace's tolerance: with the pace at the cap, a timer that fires late would otherwise cost its
 * sends for good (the cap has no room to make them up later), and on a busy worker every timer is a
 * little late. 200 ms of sends is at most a fifth of the cap at once.
 */
export const CATCH_UP_MS = 200;
/** How often a held queue looks at its allowance again. */
const HOLD_RECHECK_MS = 250;
/**
 * A sender waiting this long goes before any priority (oldest first): several long conversations
 * at once could otherwise hold a short one's request back for as long as they last.
 */
export const PRIORITY_WAIT_LIMIT_MS = 2000;

interface Waiting {
  release: (ticket: SendTicket) => void;
  priority: number;
  since: number;
}
/**
 * The rate shown to operators is measured over this long: long enough to smooth the pacing's
 * spacing, short enough that a pause or a slower phase shows within seconds.
 */
export const USAGE_WINDOW_MS = 10_000;

/** What this sender used of its allowance lately: numbers only, for progress (never a request's content). */
export interface SendUsage {
  /** Sends per second over the last USAGE_WINDOW_MS (or since the first send, when more recent). */
  sentPerSecond: number;
  /** This sender's cap now, per second (its share of the budget; 0 while held). */
  capPerSecond: number;
}

export interface SendSchedulerOptions {
  /** How long after its answer a request still holds its place (default SEND_WINDOW_MS). */
  windowMs?: number;
  /**
   * How far behind its even pace the sender may catch up at once (default CATCH_UP_MS, at least one
   * interval): a late timer's sends are made up instead of lost, within the cap.
   */
  catchUpMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * Releases queued senders one at a time within the allowance: the highest priority first
 * (sendPriority.ts: the work with the most requests left), in the order they asked among equals, and
 * any that has waited PRIORITY_WAIT_LIMIT_MS before all others.
 */
export class SendScheduler {
  private readonly windowMs: number;
  private readonly catchUpMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly queue: Waiting[] = [];
  /** Requests released and not yet answered: each holds a place until its answer. */
  private unanswered = 0;
  /**
   * Answer times of the answered requests still holding a place, oldest first: answers are stamped
   * when they come, so appending keeps the order, and the place to free next is always the first.
   * A queue rather than a scan: at a budget of a few thousand a second, sorting the places at every
   * send would cost more than the sends.
   */
  private readonly answeredAt: number[] = [];
  /** Index of the oldest entry of `answeredAt` still holding a place (entries before it are gone). */
  private answeredFrom = 0;
  /** Wakes the pump when an answer frees a place before its planned sleep ends. */
  private wake: (() => void) | undefined;
  /** The last waitMs found the cap full of requests without answers: only an answer can help. */
  private awaitingAnswers = false;
  /** GCRA's theoretical arrival time of the next send. */
  private theoreticalArrival = 0;
  private pumping = false;
  /** Send times inside the last USAGE_WINDOW_MS, oldest first, for usage() (2,000 at 200/s). */
  private readonly recent: number[] = [];
  private firstSendAt: number | undefined;

  constructor(
    private readonly allowance: () => SendAllowance,
    options: SendSchedulerOptions = {},
  ) {
    this.windowMs = options.windowMs ?? SEND_WINDOW_MS;
    this.catchUpMs = Math.max(0, options.catchUpMs ?? CATCH_UP_MS);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  /** Senders queued behind the allowance right now. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves when the caller may send; the send takes its place at that moment, and holds it until
   * SEND_WINDOW_MS after the caller reports its answer through the ticket.
   */
  take(priority: number = currentSendPriority()): Promise<SendTicket> {
    return new Promise<SendTicket>((resolve) => {
      this.queue.push({ release: resolve, priority, since: this.now() });
      if (!this.pumping) void this.pump();
    });
  }

  /** The index of the sender to release next (the queue is in arrival order). */
  private next(nowMs: number): number {
    const oldest = this.queue[0] as Waiting;
    if (oldest.since <= nowMs - PRIORITY_WAIT_LIMIT_MS) return 0;
    let best = 0;
    for (let i = 1; i < this.queue.length; i++) {
      if ((this.queue[i] as Waiting).priority > (this.queue[best] as Waiting).priority) best = i;
    }
    return best;
  }

  /** Milliseconds until the next send is allowed (0: now; HOLD_RECHECK_MS when only answers can free a place). */
  waitMs(nowMs: number = this.now()): number {
    const { perWindow, perSecond } = this.allowance();
    const cap = Math.floor(perWindow);
    if (cap < 1 || !(perSecond > 0)) return HOLD_RECHECK_MS;
    this.forgetAnsweredBefore(nowMs - this.windowMs);
    let windowWait = 0;
    this.awaitingAnswers = false;
    const answered = this.answeredAt.length - this.answeredFrom;
    const over = this.unanswered + answered - cap + 1;
    if (over > 0) {
      // The over-th answered place frees first; unanswered ones free none yet.
      this.awaitingAnswers = answered < over;
      windowWait = this.awaitingAnswers
        ? HOLD_RECHECK_MS
        : (this.answeredAt[this.answeredFrom + over - 1] as number) + this.windowMs - nowMs;
    }
    const intervalMs = 1000 / perSecond;
    const rateWait = this.theoreticalArrival - Math.max(intervalMs, this.catchUpMs) - nowMs;
    // The clock counts whole milliseconds: less than one of spacing left is no reason to wait.
    return Math.max(0, windowWait, Math.floor(rateWait));
  }

  /** Drops the places answered at or before `limitMs`: their requests reached Chatwoot by then. */
  private forgetAnsweredBefore(limitMs: number): void {
    while (
      this.answeredFrom < this.answeredAt.length &&
      (this.answeredAt[this.answeredFrom] as number) <= limitMs
    ) {
      this.answeredFrom++;
    }
    // Compacted now and then rather than shifted per entry.
    if (this.answeredFrom > 1024 && this.answeredFrom * 2 > this.answeredAt.length) {
      this.answeredAt.splice(0, this.answeredFrom);
      this.answeredFrom = 0;
    }
  }

  /** Sends per second lately and the cap now (per 1,000 ms, the budget's unit). */
  usage(nowMs: number = this.now()): SendUsage {
    const { perWindow } = this.allowance();
    const capPerSecond = Math.max(0, Math.floor(perWindow));
    this.forgetBefore(nowMs - USAGE_WINDOW_MS);
    if (this.firstSendAt === undefined) return { sentPerSecond: 0, capPerSecond };
    // A sender that began lately is measured over its own life, not diluted by the time before it.
    const spanMs = Math.min(USAGE_WINDOW_MS, Math.max(1000, nowMs - this.firstSendAt));
    return { sentPerSecond: (this.recent.length * 1000) / spanMs, capPerSecond };
  }

  private forgetBefore(limitMs: number): void {
    let old = 0;
    while (old < this.recent.length && (this.recent[old] as number) <= limitMs) old++;
    if (old > 0) this.recent.splice(0, old);
  }

  private record(nowMs: number): SendTicket {
    const { perSecond } = this.allowance();
    this.firstSendAt ??= nowMs;
    this.recent.push(nowMs);
    if (this.recent.length > 64 && (this.recent[0] as number) <= nowMs - USAGE_WINDOW_MS)
      this.forgetBefore(nowMs - USAGE_WINDOW_MS);
    this.theoreticalArrival = Math.max(this.theoreticalArrival, nowMs) + 1000 / perSecond;
    this.unanswered++;
    let done = false;
    return {
      answered: () => {
        if (done) return;
        done = true;
        this.unanswered--;
        // Never before the last one: a clock set back must not free a place early.
        this.answeredAt.push(Math.max(this.now(), this.answeredAt.at(-1) ?? 0));
        // Only a pump that waits for answers needs waking: otherwise it already knows when to look.
        if (this.awaitingAnswers) this.wake?.();
      },
    };
  }

  /** Sleeps `ms`, or less when an answer comes first. */
  private async pause(ms: number): Promise<void> {
    const woken = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    await Promise.race([this.sleep(ms), woken]);
    this.wake = undefined;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const waitMs = this.waitMs();
        if (waitMs > 0) {
          // Bounded, so that a changed allowance (a larger share, the end of a hold) is seen soon.
          await this.pause(Math.min(waitMs, HOLD_RECHECK_MS));
          continue;
        }
        const nowMs = this.now();
        const ticket = this.record(nowMs);
        this.queue.splice(this.next(nowMs), 1)[0]?.release(ticket);
      }
    } finally {
      this.pumping = false;
    }
  }
}

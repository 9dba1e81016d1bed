/**
 * Pacing with a hard cap on send times, for a budget that Chatwoot counts per arrival (Rack::Attack's
 * req/ip, config/initializers/rack_attack.rb). A rate alone is not enough: a timer that fires late lets
 * the requests queued behind it out together, and the benchmark saw 201 arrive within one second of a
 * 200/s budget. So every send is also checked against the times of the sends before it: never more
 * than `perWindow` in any 1,000 ms, retries included (they come through here like first attempts).
 *
 * The allowance is read before every send, so the worker can change its share of the budget while
 * requests are queued (budgetShare.ts: the share follows the workers Temporal sees polling).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { currentSendPriority } from './sendPriority.js';
import { SEND_WINDOW_MS } from './sendWindow.js';

export interface SendAllowance {
  /** Most sends in any window of `windowMs`; below 1 holds every send until the allowance changes. */
  perWindow: number;
  /** Even spacing between sends (a little under perWindow, so the cap rarely has to stop a burst). */
  perSecond: number;
}

export { PACING_SHARE, SEND_GUARD_MS, SEND_WINDOW_MS } from './sendWindow.js';

/** How often a held queue looks at its allowance again. */
const HOLD_RECHECK_MS = 250;
/**
 * A sender waiting this long goes before any priority (oldest first): several long conversations
 * at once could otherwise hold a short one's request back for as long as they last.
 */
export const PRIORITY_WAIT_LIMIT_MS = 2000;

interface Waiting {
  release: () => void;
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
  windowMs?: number;
  /** Requests the rate lets out back to back after an idle spell (default 2: one late timer is made up). */
  burst?: number;
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
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly queue: Waiting[] = [];
  /** Release times inside the last window, oldest first. */
  private readonly sent: number[] = [];
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
    this.burst = Math.max(1, Math.floor(options.burst ?? 2));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  /** Senders queued behind the allowance right now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves when the caller may send; the send is counted at that moment. */
  take(priority: number = currentSendPriority()): Promise<void> {
    return new Promise<void>((resolve) => {
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

  /** Milliseconds until the next send is allowed (0: now). */
  waitMs(nowMs: number = this.now()): number {
    const { perWindow, perSecond } = this.allowance();
    const cap = Math.floor(perWindow);
    if (cap < 1 || !(perSecond > 0)) return HOLD_RECHECK_MS;
    while (this.sent.length > 0 && (this.sent[0] as number) <= nowMs - this.windowMs) this.sent.shift();
    // A send at t counts in every window (t - windowMs, t]; the cap-th latest must have left it.
    const windowWait =
      this.sent.length >= cap ? (this.sent[this.sent.length - cap] as number) + this.windowMs - nowMs : 0;
    const intervalMs = 1000 / perSecond;
    const rateWait = this.theoreticalArrival - (this.burst - 1) * intervalMs - nowMs;
    // The clock counts whole milliseconds: less than one of spacing left is no reason to wait.
    return Math.max(0, windowWait, Math.floor(rateWait));
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

  private record(nowMs: number): void {
    const { perSecond } = this.allowance();
    this.firstSendAt ??= nowMs;
    this.recent.push(nowMs);
    if (this.recent.length > 64 && (this.recent[0] as number) <= nowMs - USAGE_WINDOW_MS)
      this.forgetBefore(nowMs - USAGE_WINDOW_MS);
    this.sent.push(nowMs);
    this.theoreticalArrival = Math.max(this.theoreticalArrival, nowMs) + 1000 / perSecond;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const waitMs = this.waitMs();
        if (waitMs > 0) {
          // Bounded, so that a changed allowance (a larger share, the end of a hold) is seen soon.
          await this.sleep(Math.min(waitMs, HOLD_RECHECK_MS));
          continue;
        }
        const nowMs = this.now();
        this.record(nowMs);
        this.queue.splice(this.next(nowMs), 1)[0]?.release();
      }
    } finally {
      this.pumping = false;
    }
  }
}

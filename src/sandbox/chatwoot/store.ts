/**
 * The data every resource module works on: the accounts with their rows, the users (global, as in
 * Chatwoot), the id sequences and the clock. The modules take it as their first argument; only
 * ChatwootState hands it out.
 */
import type { AccountRecord, AgentBotRecord, UserRecord } from './records.js';

export interface SandboxStoreOptions {
  /** Epoch milliseconds; every created_at, the flood window and the CSAT ranges use it. */
  now?: () => number;
  /** Messages per conversation per minute before "Too many messages" (CONVERSATION_MESSAGE_PER_MINUTE_LIMIT). */
  floodLimitPerMinute?: number;
  /** How long a contact insert holds its unique keys before committing; concurrent duplicates inside it get a 500. */
  writeLatencyMs?: number;
  /**
   * How long Sidekiq takes to run a job that an after_commit callback enqueued (activity messages);
   * 0 (the default) runs it right after the request that enqueued it, before the next one is read.
   */
  jobDelayMs?: number;
}

export class SandboxStore {
  readonly accounts = new Map<number, AccountRecord>();
  readonly users = new Map<number, UserRecord>();
  /** Agent bots of every account and the system ones (account_id nil), by their global id. */
  readonly agentBots = new Map<number, AgentBotRecord>();
  readonly floodLimitPerMinute: number;
  readonly writeLatencyMs: number;
  readonly jobDelayMs: number;
  /** Unique keys held by contact inserts that have not committed yet, with the promise of their end. */
  readonly pendingUniqueKeys = new Map<string, Promise<void>>();
  private readonly clock: () => number;
  private readonly sequences = new Map<string, number>();
  private readonly jobs = new Set<Promise<void>>();

  constructor(options: SandboxStoreOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.floodLimitPerMinute = options.floodLimitPerMinute ?? 200;
    this.writeLatencyMs = options.writeLatencyMs ?? 5;
    this.jobDelayMs = options.jobDelayMs ?? 0;
  }

  /**
   * Runs `job` as Sidekiq runs a `perform_later` from an after_commit callback: after the request
   * has answered. A job that fails leaves nothing behind, as a failed job does. `delayMs` is for jobs
   * a controller enqueues itself (BulkActionsJob), which wait in their queue like any other.
   */
  enqueueJob(job: () => void, delayMs = this.jobDelayMs): void {
    const done: Promise<void> = new Promise((resolve) => {
      const run = () => {
        this.jobs.delete(done);
        try {
          job();
        } catch {
          // Sidekiq would log and retry it; the sandbox drops it.
        }
        resolve();
      };
      if (delayMs > 0) setTimeout(run, delayMs).unref();
      else setImmediate(run);
    });
    this.jobs.add(done);
  }

  /** Resolves once every enqueued job (and any job those enqueue) has run. */
  async jobsSettled(): Promise<void> {
    while (this.jobs.size > 0) await Promise.all([...this.jobs]);
  }

  now(): number {
    return this.clock();
  }

  nextId(kind: string): number {
    const next = (this.sequences.get(kind) ?? 0) + 1;
    this.sequences.set(kind, next);
    return next;
  }

  /** Seeds choose their own ids: the sequence goes on after the highest. */
  skipIdsThrough(kind: string, id: number): void {
    this.sequences.set(kind, Math.max(this.sequences.get(kind) ?? 0, id));
  }
}

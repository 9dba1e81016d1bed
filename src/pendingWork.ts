/**
 * What a migration is waiting on, for `cli.js status`: its workflow and its running children
 * (export, import, every conversation's import), described through the Temporal server, with each
 * activity that is being retried (attempt > 1, and why the last attempt failed) or that has not
 * heartbeated for a while (its worker is probably gone: Temporal retries it once its heartbeat
 * timeout passes). Describe is answered by the server itself, so this works with no worker running,
 * when the status query cannot.
 */
import type { Client } from '@temporalio/client';
import { MIGRATION_PHASE, statusQuery } from './workflows/definitions.js';

/** Longer than the worker's heartbeat throttle (5 s, worker.ts): an attempt silent this long is suspect. */
export const SILENT_AFTER_MS = 8_000;

export interface PendingActivity {
  /** The workflow that scheduled it, e.g. migration-1/conversation-<intercom id>. */
  workflowId: string;
  activity: string;
  attempt: number;
  /** Why the previous attempt ended (a heartbeat timeout: its worker died), when it is a retry. */
  lastFailure?: string;
  /** Seconds since the running attempt's last heartbeat, when it is silent for SILENT_AFTER_MS or more. */
  silentForSeconds?: number;
  /** Started on a worker, or waiting for one (a retry's backoff, or no worker polling). */
  state: 'running' | 'waiting for a worker' | 'cancelling';
}

export interface PendingWork {
  /** The phase in the MigrationPhase search attribute: readable with no worker running. */
  phase?: string;
  retrying: PendingActivity[];
  silent: PendingActivity[];
  /** Workflows described (the migration and its running children), up to the limit. */
  described: number;
}

interface Timestamp {
  seconds?: number | { toNumber(): number } | null;
  nanos?: number | null;
}

function msOf(ts: Timestamp | null | undefined): number | undefined {
  if (!ts || ts.seconds === null || ts.seconds === undefined) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

const stateNames: Record<number, PendingActivity['state']> = {
  1: 'waiting for a worker',
  2: 'running',
  3: 'cancelling',
};

/**
 * Walks the migration's tree of running workflows breadth first (the import's window of
 * conversations is its widest level) and collects the activities worth telling the operator about.
 */
export async function pendingWork(
  client: Client,
  migrationWorkflowId: string,
  options: { maxWorkflows?: number; now?: number } = {},
): Promise<PendingWork> {
  const maxWorkflows = options.maxWorkflows ?? 100;
  const now = options.now ?? Date.now();
  const result: PendingWork = { retrying: [], silent: [], described: 0 };
  const queue = [migrationWorkflowId];
  while (queue.length > 0 && result.described < maxWorkflows) {
    const workflowId = queue.shift() as string;
    let description: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;
    try {
      description = await client.workflow.getHandle(workflowId).describe();
    } catch {
      continue; // finished and gone between the parent's description and this one
    }
    result.described++;
    if (workflowId === migrationWorkflowId) {
      result.phase = description.typedSearchAttributes.get(MIGRATION_PHASE);
    }
    if (description.status.name !== 'RUNNING') continue;
    for (const child of description.raw.pendingChildren ?? []) {
      if (child.workflowId) queue.push(child.workflowId);
    }
    for (const activity of description.raw.pendingActivities ?? []) {
      const state = stateNames[Number(activity.state)] ?? 'waiting for a worker';
      const lastBeat = msOf(activity.lastHeartbeatTime) ?? msOf(activity.lastStartedTime);
      const silentMs = state === 'running' && lastBeat !== undefined ? now - lastBeat : 0;
      const entry: PendingActivity = {
        workflowId,
        activity: activity.activityType?.name ?? 'unknown',
        attempt: activity.attempt ?? 1,
        state,
        ...(activity.lastFailure?.message ? { lastFailure: activity.lastFailure.message } : {}),
        ...(silentMs >= SILENT_AFTER_MS ? { silentForSeconds: Math.round(silentMs / 1000) } : {}),
      };
      if (entry.attempt > 1) result.retrying.push(entry);
      else if (entry.silentForSeconds !== undefined) result.silent.push(entry);
    }
  }
  return result;
}

/** One line per activity, for a terminal: what it is, which attempt, and why. */
export function pendingWorkLines(work: PendingWork): string[] {
  const lines: string[] = [];
  for (const a of work.retrying) {
    lines.push(
      `retrying: ${a.activity} in ${a.workflowId}, attempt ${a.attempt} (${a.state})${a.lastFailure ? `; the previous attempt ended with: ${a.lastFailure}` : ''}`,
    );
  }
  for (const a of work.silent) {
    lines.push(
      `no heartbeat for ${a.silentForSeconds} s: ${a.activity} in ${a.workflowId}; if its worker is gone, Temporal retries it on another once the heartbeat timeout (15 s) passes`,
    );
  }
  return lines;
}

/** What `cli.js status` prints: the status query's answer (when a worker answers) and the pending work. */
export async function migrationStatusReport(
  client: Client,
  workflowId: string,
  options: { queryTimeoutMs?: number } = {},
): Promise<{ report: Record<string, unknown>; lines: string[] }> {
  const [status, work] = await Promise.all([
    client
      .withDeadline(Date.now() + (options.queryTimeoutMs ?? 5_000), () =>
        client.workflow.getHandle(workflowId).query(statusQuery),
      )
      .then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
      ),
    pendingWork(client, workflowId),
  ]);
  const lines = pendingWorkLines(work);
  if ('error' in status) {
    lines.unshift(
      `no worker answered the status query (${status.error}); the phase below is the MigrationPhase search attribute. Start a worker: the migration goes on where it stopped.`,
    );
  }
  const counts = 'answer' in status ? status.answer : { phase: work.phase };
  return { report: { ...counts, retrying: work.retrying, silent: work.silent }, lines };
}

/**
 * For `status --follow`: the retrying and silent activities not yet told, one line each, polled at
 * most every `intervalMs` (describing the tree costs a request per running workflow). A retry is told
 * once per attempt; a silent attempt once.
 */
export class PendingWorkFollower {
  private readonly told = new Set<string>();
  private lastAt = 0;

  constructor(
    private readonly client: Client,
    private readonly workflowId: string,
    private readonly intervalMs = 5_000,
  ) {}

  async newLines(now: number = Date.now()): Promise<string[]> {
    if (now - this.lastAt < this.intervalMs) return [];
    this.lastAt = now;
    const work = await pendingWork(this.client, this.workflowId).catch(() => undefined);
    if (!work) return [];
    const fresh: PendingWork = { ...work, retrying: [], silent: [] };
    for (const a of work.retrying) {
      const key = `retry|${a.workflowId}|${a.activity}|${a.attempt}`;
      if (!this.told.has(key)) fresh.retrying.push(a);
      this.told.add(key);
    }
    for (const a of work.silent) {
      const key = `silent|${a.workflowId}|${a.activity}|${a.attempt}`;
      if (!this.told.has(key)) fresh.silent.push(a);
      this.told.add(key);
    }
    return pendingWorkLines(fresh);
  }
}

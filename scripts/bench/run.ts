/**
 * Measuring one migration end to end: the accountMigration workflow runs on its own from the export
 * to the verification (nothing holds it between phases, so that whatever overlap the pipeline has is
 * measured as it is), then waits before the rollout (a pause signal sent while the verification
 * runs). Phase times come from the children's start and close times; requests are told apart by
 * route (setup, import, verification), the minimum is counted from the workspace (./minimum.ts).
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { type MigrationInputRaw, migrationInputSchema, workflowIds } from '../../src/config.js';
import { reconciliationLine } from '../../src/reconciliationLine.js';
import { reconcileSandboxes } from '../../src/sandbox/reconcile.js';
import { startScenario } from '../../src/sandbox/scenario.js';
import { pauseSignal, resumeSignal } from '../../src/workflows/definitions.js';
import { machineBusySeconds, processCpuSeconds } from './cpu.js';
import { type Minimum, minimumRequests } from './minimum.js';
import { busiestSecond, classifyRoute, type RouteKind } from './requests.js';
import { activitiesPerSecond, type RunSettings, scenarioOptions } from './settings.js';
import { type MemorySample, startWorkerChild } from './workerProcess.js';

const MB = 1024 * 1024;

export interface RouteFigure {
  route: string;
  kind: RouteKind;
  sent: number;
  minimum: number;
}

export interface PhaseSpan {
  name: string;
  startMs: number;
  endMs: number;
}

export interface SizeResult {
  profile: RunSettings['profile'];
  size: number;
  conversations: number;
  contacts: number;
  messages: number;
  reconciled: string;
  sandboxCheck: string;
  sandboxComplete: boolean;
  /** Milliseconds from the migration's start; the rollout only when it ran. */
  phases: PhaseSpan[];
  e2eMs: number;
  rolloutMs?: number;
  chatwoot: {
    /** Every request from the migration's start to the verification's end. */
    total: number;
    setup: number;
    import: number;
    verify: number;
    busiestSecond: number;
    throttled: number;
    routes: RouteFigure[];
    minimum: Minimum;
    /** Requests during the import's span ÷ (span × budget). */
    importBudgetShare: number;
  };
  intercomRequests: number;
  memory: { rssStartMb: number; rssPeakMb: number; rssEndMb: number; heapPeakMb: number };
  /** CPU seconds over the migration (start to the verification's end). */
  cpu: { workerSeconds: number; temporalSeconds: number; benchSeconds: number; otherSeconds: number };
  temporal: { workflows: number; events: number; importRuns: number; largestHistoryEvents: number };
}

/** The run cannot go on: stop rather than wait for hours. */
class StalledError extends Error {}

/**
 * Throws once the migration has ended before its verification, or when neither sandbox has seen a
 * request for BENCH_STALL_S seconds [300] (a workflow task failing over and over, for instance).
 */
export function stallGuard(progress: () => number, status: () => Promise<string>) {
  const limitMs = Number(process.env.BENCH_STALL_S ?? 300) * 1000;
  let last = { value: progress(), at: Date.now() };
  let checkedAt = 0;
  return async (): Promise<undefined> => {
    const value = progress();
    if (value !== last.value) last = { value, at: Date.now() };
    else if (Date.now() - last.at > limitMs)
      throw new StalledError(
        `no request reached either sandbox for ${limitMs / 1000} s: the migration is stuck`,
      );
    if (Date.now() - checkedAt > 5000) {
      checkedAt = Date.now();
      const name = await status();
      if (name !== 'RUNNING') throw new StalledError(`the migration ended ${name} before its verification`);
    }
    return undefined;
  };
}

/** The migration's status for stallGuard: its name, with the failure's message once it has failed. */
export function migrationStatus(handle: WorkflowHandle): () => Promise<string> {
  return async () => {
    const name = (await handle.describe()).status.name;
    if (name === 'RUNNING') return name;
    const failure = await handle.result().then(
      () => '',
      (error: Error & { cause?: Error }) => `: ${error.cause?.message ?? error.message}`,
    );
    return `${name}${failure}`;
  };
}

/** The bench's input: the scenario's, with the settings' import window, one-second rollout phases and a year's retention. */
export function benchInput(base: MigrationInputRaw, windowSize: number | undefined): MigrationInputRaw {
  return {
    ...base,
    import: { ...base.import, ...(windowSize ? { windowSize } : {}) },
    rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
    retention: { after: '365 days' },
  };
}

async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      if (error instanceof StalledError) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function runPipeline(
  settings: RunSettings,
  size: number,
  account: number,
  client: Client,
  server: { address: string; pid?: number },
  bundlePath: string,
  dataDir: string,
  options: { rollout: boolean },
): Promise<SizeResult> {
  const { profile } = settings;
  const arrivals: number[] = [];
  // With BENCH_TRACE, each Chatwoot request's path too: what a route's excess is made of.
  const endpoints: [number, string][] = [];
  const scenario = await startScenario({
    ...scenarioOptions(settings, size, account),
    onChatwootRequest: (atMs, endpoint) => {
      arrivals.push(atMs);
      if (process.env.BENCH_TRACE) endpoints.push([atMs, endpoint]);
    },
  });
  // With BENCH_TRACE, the Intercom side too: its requests by route twice a second, to see what the
  // export is doing while Chatwoot waits.
  const intercomSamples: { t: number; byRoute: Record<string, number> }[] = [];
  const sampleIntercom = process.env.BENCH_TRACE
    ? setInterval(
        () => intercomSamples.push({ t: Date.now(), byRoute: { ...scenario.intercom.stats.byRoute } }),
        500,
      )
    : undefined;
  const worker = await startWorkerChild({
    address: server.address,
    bundlePath,
    intercomToken: scenario.intercomToken,
    chatwootToken: scenario.chatwootToken,
    chatwootAgentTokens: scenario.chatwootAgentTokens,
    chatwootRequestsPerSecond: profile.chatwootRequestsPerSecond,
    chatwootActivitiesPerSecond: activitiesPerSecond(settings),
    maxConcurrentChatwootActivities: settings.maxConcurrentChatwootActivities,
  });
  // Not part of t: the worker's one-off join hold, paid when a worker process starts, not per migration.
  console.log(
    `bench: [${profile.name}] the worker held its Chatwoot share ${worker.shareAfterMs} ms after it started`,
  );
  try {
    const blobStoreUrl = `file://${join(dataDir, `blobs-${account}`)}`;
    const input = benchInput(scenario.input(blobStoreUrl), settings.windowSize);
    const workflowId = workflowIds.migration(account);
    const child = (name: string) => client.workflow.getHandle(workflowIds.child(account, name));
    const cpuAt = () => ({
      bench: process.cpuUsage(),
      temporal: processCpuSeconds(server.pid),
      machine: machineBusySeconds(),
      worker: worker.samples.at(-1)?.cpuMicros ?? 0,
    });
    const cpuStart = cpuAt();
    const handle = await client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId,
      args: [input],
    });
    // Describing the children asks the server only: the worker's CPU is not spent on the bench's polling.
    const stalled = stallGuard(
      () => scenario.chatwoot.stats.requests + scenario.intercom.stats.requests,
      migrationStatus(handle),
    );
    await poll(
      'the verification to start',
      async () => (await stalled()) ?? child('verify').describe(),
      12 * 3_600_000,
      100,
    );
    await handle.signal(pauseSignal);
    const verify = await poll(
      'the verification to finish',
      async () => {
        const d = await child('verify').describe();
        if (d.status.name === 'RUNNING') return undefined;
        if (d.status.name !== 'COMPLETED') throw new Error(`the verification ended ${d.status.name}`);
        return d;
      },
      12 * 3_600_000,
      50,
    );
    const stats = { ...scenario.chatwoot.stats, byRoute: { ...scenario.chatwoot.stats.byRoute } };
    const cpuEnd = cpuAt();
    const intercomRequests = scenario.intercom.stats.requests;
    const verification = reconciliationLine(await child('verify').result());
    const start = (await handle.describe()).startTime.getTime();
    const verifyEnd = verify.closeTime?.getTime() ?? Date.now();

    let rolloutMs: number | undefined;
    if (options.rollout) {
      await handle.signal(resumeSignal);
      await handle.result();
      const rollout = await child('rollout').describe();
      rolloutMs = (rollout.closeTime?.getTime() ?? Date.now()) - rollout.startTime.getTime();
    } else {
      await handle.terminate('the benchmark measures up to the verification');
    }

    const phases: PhaseSpan[] = [];
    for (const name of ['export', 'mapping', 'import', 'tickets', 'verify']) {
      const d: WorkflowExecutionDescription | undefined = await child(name)
        .describe()
        .catch(() => undefined);
      if (!d) continue;
      phases.push({
        name,
        startMs: d.startTime.getTime() - start,
        endMs: (d.closeTime?.getTime() ?? verifyEnd) - start,
      });
    }

    const parsed = migrationInputSchema().parse(input);
    const dump = scenario.chatwoot.dump();
    const sandboxCheck = reconcileSandboxes(scenario.intercom.dataset, dump, {
      account,
      activityParts: parsed.import.activityParts,
      timestampLine: parsed.import.timestampLine,
      partsCap: 500,
      deletedConversationIds: scenario.intercom.dataset.deletedConversations.map((d) => d.id),
    });
    const complete = sandboxCheck.missing === 0 && sandboxCheck.duplicates === 0;
    const minimum = minimumRequests(scenario.intercom.dataset, dump, {
      account,
      activityParts: parsed.import.activityParts,
      timestampLine: parsed.import.timestampLine,
      reconciled: complete,
    });
    const wanted: Record<string, number> = { ...minimum.importByRoute, ...minimum.verifyByRoute };
    const routes = [...new Set([...Object.keys(stats.byRoute), ...Object.keys(wanted)])]
      .map((route) => ({
        route,
        kind: classifyRoute(route),
        sent: stats.byRoute[route] ?? 0,
        minimum: wanted[route] ?? 0,
      }))
      .sort((a, b) => b.sent - a.sent || b.minimum - a.minimum);
    const byKind = (kind: RouteKind) =>
      routes.filter((r) => r.kind === kind).reduce((sum, r) => sum + r.sent, 0);

    const importSpans = phases.filter((p) => p.name === 'import' || p.name === 'tickets');
    const importFrom = start + Math.min(...importSpans.map((p) => p.startMs));
    const importTo = start + Math.max(...importSpans.map((p) => p.endMs));
    const inImport = arrivals.filter((t) => t >= importFrom && t <= importTo).length;

    if (process.env.BENCH_TRACE) {
      // The import's own history (its latest run): what it waited for between its requests.
      const importHistory = await child('import')
        .fetchHistory()
        .then((history) =>
          (history.events ?? []).map((event) => {
            const seconds = Number(event.eventTime?.seconds ?? 0);
            const at = seconds * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6) - start;
            const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
            const childType = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name;
            return [
              at,
              proto.temporal.api.enums.v1.EventType[event.eventType ?? 0],
              scheduled ?? childType ?? '',
            ];
          }),
        )
        .catch(() => []);
      writeFileSync(
        `${process.env.BENCH_TRACE}-${profile.name}-${size}.json`,
        JSON.stringify({
          start,
          verifyEnd,
          phases,
          arrivals,
          endpoints,
          memory: worker.samples,
          intercomSamples,
          importHistory,
          dump,
        }),
      );
    }
    const window = worker.samples.filter((s) => s.t >= start && s.t <= verifyEnd);
    const memory = window.length > 0 ? window : worker.samples.slice(-1);

    let workflows = 0;
    let events = 0;
    let importRuns = 0;
    let largestHistoryEvents = 0;
    for await (const execution of client.workflow.list()) {
      if (execution.workflowId !== workflowId && !execution.workflowId.startsWith(`${workflowId}/`)) continue;
      workflows++;
      events += execution.historyLength;
      largestHistoryEvents = Math.max(largestHistoryEvents, execution.historyLength);
      if (execution.type === 'importWorkflow') importRuns++;
    }

    const workerSeconds = (cpuEnd.worker - cpuStart.worker) / 1e6;
    const benchSeconds =
      (cpuEnd.bench.user + cpuEnd.bench.system - cpuStart.bench.user - cpuStart.bench.system) / 1e6;
    const temporalSeconds = cpuEnd.temporal - cpuStart.temporal;
    return {
      profile,
      size,
      conversations: minimum.conversations,
      contacts: minimum.contacts,
      messages: minimum.messages,
      reconciled: verification,
      sandboxCheck: reconciliationLine(sandboxCheck),
      sandboxComplete: complete,
      phases,
      e2eMs: verifyEnd - start,
      rolloutMs,
      chatwoot: {
        total: routes.reduce((sum, r) => sum + r.sent, 0),
        setup: byKind('setup'),
        import: byKind('import'),
        verify: byKind('verify'),
        busiestSecond: busiestSecond(arrivals, start, verifyEnd),
        throttled: stats.throttled,
        routes,
        minimum,
        importBudgetShare:
          (inImport * 1000) / Math.max(1, importTo - importFrom) / profile.chatwootRequestsPerSecond,
      },
      intercomRequests,
      memory: {
        rssStartMb: memory[0].rss / MB,
        rssPeakMb: Math.max(...memory.map((s) => s.rss)) / MB,
        rssEndMb: (memory.at(-1) as MemorySample).rss / MB,
        heapPeakMb: Math.max(...memory.map((s) => s.heapUsed)) / MB,
      },
      cpu: {
        workerSeconds,
        temporalSeconds,
        benchSeconds,
        otherSeconds: Math.max(
          0,
          cpuEnd.machine - cpuStart.machine - workerSeconds - benchSeconds - temporalSeconds,
        ),
      },
      temporal: { workflows, events, importRuns, largestHistoryEvents },
    };
  } finally {
    clearInterval(sampleIntercom);
    await worker.stop();
    await scenario.close();
  }
}

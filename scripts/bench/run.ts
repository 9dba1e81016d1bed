/**
 * Measuring one migration: drives the accountMigration workflow phase by phase (pausing at each
 * boundary so that every phase's time and requests are its own) and gathers the figures of a size.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { type MigrationInputRaw, migrationInputSchema, workflowIds } from '../../src/config.js';
import { reconciliationLine } from '../../src/reconciliationLine.js';
import { canonicalContacts, reconcileSandboxes } from '../../src/sandbox/reconcile.js';
import { startScenario } from '../../src/sandbox/scenario.js';
import { getJson } from '../../src/storage/blobStore.js';
import { createBlobStore } from '../../src/storage/index.js';
import { blobLayout } from '../../src/storage/layout.js';
import {
  type ImportProgress,
  importProgressQuery,
  type MigrationStatus,
  pauseSignal,
  resumeSignal,
  statusQuery,
} from '../../src/workflows/definitions.js';
import { machineBusySeconds, processCpuSeconds } from './cpu.js';
import { busiestSecond, cloneStats, diffRoutes, minimumImportRequests } from './requests.js';
import { type Settings, scenarioOptions } from './settings.js';
import { type MemorySample, startWorkerChild } from './workerProcess.js';

const MB = 1024 * 1024;

export interface RouteFigure {
  route: string;
  sent: number;
  minimum: number;
}

export interface SizeResult {
  size: number;
  conversations: number;
  contacts: number;
  messages: number;
  attachments: number;
  reconciled: string;
  sandboxCheck: string;
  timings: {
    exportMs: number;
    mappingMs: number;
    importMs: number;
    verifyMs: number;
    exportToVerifyMs: number;
    /** Only when the run went on through the rollout. */
    rolloutMs?: number;
  };
  chatwoot: {
    importRequests: number;
    importRequestsPerSecond: number;
    budgetShare: number;
    peakOneSecond: number;
    throttled: number;
    routes: RouteFigure[];
    minimum: number;
    phoneConflicts: number;
    exportMappingRequests: number;
    verifyRequests: number;
  };
  intercomRequests: number;
  memory: {
    rssStartMb: number;
    rssPeakMb: number;
    rssEndMb: number;
    heapPeakMb: number;
    heapEndMb: number;
  };
  cpu: { workerSeconds: number; benchSeconds: number; temporalSeconds: number; otherSeconds: number };
  temporal: {
    workflows: number;
    events: number;
    eventsPerConversation: number;
    conversationImportEvents: number;
  };
}

/** The run cannot be measured as intended: stop rather than report wrong figures. */
class MeasurementError extends Error {}

/** Polls until `probe` answers something; its other errors (a query before the first task) are transient. */
async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      if (error instanceof MeasurementError) throw error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function runPipeline(
  settings: Settings,
  size: number,
  account: number,
  client: Client,
  server: { address: string; pid?: number },
  bundlePath: string,
  dataDir: string,
  /** Go on through the rollout and cut-over (the first size), or stop after the verification. */
  options: { rollout: boolean },
): Promise<SizeResult> {
  const arrivals: number[] = [];
  const scenario = await startScenario({
    ...scenarioOptions(settings, size, account),
    onChatwootRequest: (atMs) => arrivals.push(atMs),
  });
  const worker = await startWorkerChild({
    address: server.address,
    bundlePath,
    intercomToken: scenario.intercomToken,
    chatwootToken: scenario.chatwootToken,
    chatwootAgentTokens: scenario.chatwootAgentTokens,
    chatwootRequestsPerSecond: settings.chatwootRequestsPerSecond,
    chatwootActivitiesPerSecond: settings.chatwootActivitiesPerSecond,
    maxConcurrentChatwootActivities: settings.maxConcurrentChatwootActivities,
  });
  const series: { t: number; requests: number }[] = [];
  const sampler = setInterval(
    () => series.push({ t: Date.now(), requests: scenario.chatwoot.stats.requests }),
    100,
  );
  try {
    const blobStoreUrl = `file://${join(dataDir, `blobs-${account}`)}`;
    const base = scenario.input(blobStoreUrl);
    const input: MigrationInputRaw = {
      ...base,
      import: {
        ...base.import,
        ...(settings.windowSize ? { windowSize: settings.windowSize } : {}),
      },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
      retention: { after: '365 days' },
    };
    const workflowId = workflowIds.migration(account);
    const child = (name: string) => client.workflow.getHandle(workflowIds.child(account, name));
    const handle = await client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId,
      args: [input],
    });
    const status = () => handle.query(statusQuery);
    const closed = async (h: WorkflowHandle) => {
      const description = await h.describe();
      return description.status.name === 'COMPLETED' ? description : undefined;
    };
    const cpuAt = () => ({
      bench: process.cpuUsage(),
      temporal: processCpuSeconds(server.pid),
      machine: machineBusySeconds(),
      worker: worker.samples.at(-1)?.cpuMicros ?? 0,
    });

    // Pausing holds the migration at its next phase boundary: once after the export (so the
    // export's time is its own), then during the mapping, so that the import starts from a known count.
    await poll(
      'the export to start',
      async () => {
        const s = await status();
        if (s.phase !== 'starting' && s.phase !== 'export')
          throw new MeasurementError(`missed the export (${s.phase})`);
        return s.phase === 'export' ? s : undefined;
      },
      120_000,
    );
    await handle.signal(pauseSignal);
    const exportDone = await poll(
      'the export to finish',
      async () => ((await status()).paused ? closed(child('export')) : undefined),
      3_600_000,
      100,
    );
    const exportResumedAt = Date.now();
    await handle.signal(resumeSignal);
    await poll(
      'the mapping to start',
      async () => {
        const s = await status();
        if (s.phase !== 'export' && s.phase !== 'mapping')
          throw new MeasurementError(`missed the mapping (${s.phase})`);
        return s.phase === 'mapping' && !s.paused ? s : undefined;
      },
      60_000,
      10,
    );
    await handle.signal(pauseSignal);
    const mappingDone = await poll(
      'the mapping to finish',
      async () => {
        const s: MigrationStatus = await status();
        return s.phase === 'mapping' && s.paused ? closed(child('mapping')) : undefined;
      },
      3_600_000,
      100,
    );
    const atImportStart = cloneStats(scenario);
    const intercomAtImportStart = scenario.intercom.stats.requests;
    const cpuStart = cpuAt();
    const resumedAt = Date.now();
    await handle.signal(resumeSignal);

    // Hold it again once every conversation is started, so that the verification's requests stay apart.
    const exportedStatus = await status();
    const total = exportedStatus.exported?.conversations ?? size;
    // Queries make the worker run the import workflow's code: ask rarely until the end is near.
    const nearlyAll = total - Math.max(60, 3 * (settings.windowSize ?? 20));
    for (const [threshold, everyMs] of [
      [nearlyAll, 500],
      [total, 50],
    ] as const) {
      await poll(
        'every conversation to start',
        async () => {
          const progress: ImportProgress = await child('import').query(importProgressQuery);
          return progress.started >= threshold ? progress : undefined;
        },
        6 * 3_600_000,
        everyMs,
      );
    }
    await handle.signal(pauseSignal);
    const importDone = await poll('the import to finish', () => closed(child('import')), 3_600_000, 50);
    const atImportEnd = cloneStats(scenario);
    const cpuEnd = cpuAt();
    const phaseAfterImport = (await status()).phase;
    if (phaseAfterImport !== 'import') {
      throw new MeasurementError(`the migration moved on to ${phaseAfterImport} before the pause`);
    }
    const importEndAt = importDone.closeTime?.getTime() ?? atImportEnd.t;
    const verifyResumedAt = Date.now();
    await handle.signal(resumeSignal);

    // And once more during the verification, so that the rollout's requests stay apart too.
    await poll(
      'the verification to start',
      async () => {
        const s = await status();
        if (s.phase !== 'import' && s.phase !== 'verify') {
          throw new MeasurementError(`missed the verification (${s.phase})`);
        }
        return s.phase === 'verify' ? s : undefined;
      },
      60_000,
      10,
    );
    await handle.signal(pauseSignal);
    const verify = await poll(
      'the verification to finish',
      async () => ((await status()).paused ? closed(child('verify')) : undefined),
      3_600_000,
      100,
    );
    const atVerifyEnd = cloneStats(scenario);
    const verification = reconciliationLine(await child('verify').result());
    let rolloutMs: number | undefined;
    if (options.rollout) {
      await handle.signal(resumeSignal);
      await handle.result();
      const rollout = await child('rollout').describe();
      rolloutMs = (rollout.closeTime?.getTime() ?? Date.now()) - rollout.startTime.getTime();
    } else {
      await handle.terminate('the benchmark measures up to the verification');
    }
    const start = (await handle.describe()).startTime.getTime();
    const time = (d: { closeTime?: Date }) => d.closeTime?.getTime() ?? Date.now();

    const parsed = migrationInputSchema().parse(input);
    const mapping = (await getJson<{ agents: Record<string, number>; teams: Record<string, number> }>(
      createBlobStore(blobStoreUrl),
      blobLayout.mapping(account),
    )) ?? { agents: {}, teams: {} };
    const minimum = minimumImportRequests(scenario, mapping, parsed);
    const sent = diffRoutes(atImportEnd.byRoute, atImportStart.byRoute);
    const routes = [...new Set([...Object.keys(sent), ...Object.keys(minimum.byRoute)])]
      .map((route) => ({ route, sent: sent[route] ?? 0, minimum: minimum.byRoute[route] ?? 0 }))
      .sort((a, b) => b.sent - a.sent);

    const importMs = importEndAt - resumedAt;
    const importRequests = atImportEnd.requests - atImportStart.requests;
    const peakOneSecond = busiestSecond(arrivals, resumedAt, importEndAt);

    if (process.env.BENCH_TRACE) {
      writeFileSync(
        `${process.env.BENCH_TRACE}-${size}.json`,
        JSON.stringify({ resumedAt, importEndAt, series, memory: worker.samples }),
      );
    }
    const memoryWindow = worker.samples.filter((s) => s.t >= resumedAt && s.t <= importEndAt);
    const memory = memoryWindow.length > 0 ? memoryWindow : worker.samples.slice(-1);
    const sandboxCheck = reconcileSandboxes(scenario.intercom.dataset, scenario.chatwoot.dump(), {
      account,
      activityParts: parsed.import.activityParts,
      timestampLine: parsed.import.timestampLine,
      partsCap: 500,
      deletedConversationIds: scenario.intercom.dataset.deletedConversations.map((d) => d.id),
    });

    const prefix = workflowId;
    let workflows = 0;
    let events = 0;
    let conversationImportEvents = 0;
    for await (const execution of client.workflow.list()) {
      if (execution.workflowId !== prefix && !execution.workflowId.startsWith(`${prefix}/`)) continue;
      workflows++;
      events += execution.historyLength;
      if (execution.type === 'conversationImport') conversationImportEvents += execution.historyLength;
    }

    const workerSeconds = (cpuEnd.worker - cpuStart.worker) / 1e6;
    const benchSeconds =
      (cpuEnd.bench.user + cpuEnd.bench.system - cpuStart.bench.user - cpuStart.bench.system) / 1e6;
    const temporalSeconds = cpuEnd.temporal - cpuStart.temporal;
    const cpu = {
      workerSeconds,
      benchSeconds,
      temporalSeconds,
      // Other helpers' tests, the OS: whatever else ran on the machine while the import did.
      otherSeconds: Math.max(
        0,
        cpuEnd.machine - cpuStart.machine - workerSeconds - benchSeconds - temporalSeconds,
      ),
    };
    const exportToVerifyMs =
      time(exportDone) -
      start +
      (time(mappingDone) - exportResumedAt) +
      importMs +
      (time(verify) - verifyResumedAt);
    return {
      size,
      conversations: minimum.conversations,
      contacts: canonicalContacts(scenario.intercom.dataset.contacts).length,
      messages: minimum.messages,
      attachments: minimum.attachments,
      reconciled: verification,
      sandboxCheck: reconciliationLine(sandboxCheck),
      timings: {
        exportMs: time(exportDone) - start,
        mappingMs: time(mappingDone) - exportResumedAt,
        importMs,
        verifyMs: time(verify) - verifyResumedAt,
        exportToVerifyMs,
        rolloutMs,
      },
      chatwoot: {
        importRequests,
        importRequestsPerSecond: (importRequests * 1000) / importMs,
        budgetShare: (importRequests * 1000) / importMs / settings.chatwootRequestsPerSecond,
        peakOneSecond,
        throttled: atImportEnd.throttled - atImportStart.throttled,
        routes,
        minimum: Object.values(minimum.byRoute).reduce((a, b) => a + b, 0),
        phoneConflicts: minimum.phoneConflicts,
        exportMappingRequests: atImportStart.requests,
        verifyRequests: atVerifyEnd.requests - atImportEnd.requests,
      },
      intercomRequests: intercomAtImportStart,
      memory: {
        rssStartMb: memory[0].rss / MB,
        rssPeakMb: Math.max(...memory.map((s) => s.rss)) / MB,
        rssEndMb: (memory.at(-1) as MemorySample).rss / MB,
        heapPeakMb: Math.max(...memory.map((s) => s.heapUsed)) / MB,
        heapEndMb: (memory.at(-1) as MemorySample).heapUsed / MB,
      },
      cpu,
      temporal: {
        workflows,
        events,
        eventsPerConversation: events / Math.max(1, minimum.conversations),
        conversationImportEvents,
      },
    };
  } finally {
    clearInterval(sampler);
    await worker.stop();
    await scenario.close();
  }
}

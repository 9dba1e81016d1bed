/**
 * `make bench`: the real pipeline (local Temporal dev server with a temp database, both sandboxes
 * with set latency, the worker in a child process) migrates generated workspaces of several sizes,
 * then the guide's one-request-at-a-time script imports the same workspace. Measured per size:
 * throughput end to end, the Chatwoot request budget actually used during the import, requests sent
 * against the minimum the data needs (per route), the worker's memory during the import, and
 * Temporal history events per conversation. Prints a summary and rewrites the generated part of
 * BENCHMARKS.md (between the bench markers; text outside them is kept).
 *
 * Settings (environment), defaults in brackets; the defaults take about 16 minutes on 2 shared cores:
 *   BENCH_SIZES [1000,5000]            workspaces to migrate, in conversations (contacts = half)
 *   BENCH_LATENCY_MS [5]               added to every request by both sandboxes
 *   BENCH_CHATWOOT_RPS [200]           the Chatwoot budget: CHATWOOT_REQUESTS_PER_SECOND of the worker
 *                                      and the sandbox's rack-attack limit (×60 a minute)
 *   BENCH_CHATWOOT_ACTIVITIES_PER_SECOND [rps/5]   the chatwoot-writes task queue's rate
 *   BENCH_INTERCOM_PER_10S [1666]      the Intercom sandbox's rate limit
 *   BENCH_WINDOW, BENCH_MAX_CHATWOOT_ACTIVITIES    import window and activity slots [pipeline defaults]
 *   BENCH_AGENT_TOKENS [1]             one Chatwoot token per agent, as a real migration has
 *   BENCH_BASELINE [1]                 the sequential baseline on the first size's workspace
 *   BENCH_RATIO_LATENCY_MS [50], BENCH_RATIO_SIZE [200]   a second comparison at a slower latency
 *                                      (without the over-500-part conversation)
 *   BENCH_SEED [42], BENCH_OUTPUT [BENCHMARKS.md]
 *   BENCH_TRACE=prefix                 writes the request-rate and memory samples of each run as JSON
 *   BENCH_WORKER_CPU_PROF=dir          runs the worker under --cpu-prof
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { listen } from '../src/listen.js';
import { startDevServer } from '../src/localStack.js';
import { workflowBundle } from '../src/worker.js';
import { baselineRun, type Comparison } from './bench/baselineRun.js';
import { render, summaryLine, writeReport } from './bench/report.js';
import { runPipeline, type SizeResult } from './bench/run.js';
import { readSettings } from './bench/settings.js';
import { runWorkerChild } from './bench/workerProcess.js';

/** A port nothing listens on now: listen on any free port, then let it go. */
async function freePort(): Promise<number> {
  const listening = await listen(createServer());
  await listening.close();
  return listening.port;
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const startedAt = new Date();
  const dataDir = mkdtempSync(join(tmpdir(), 'intercom-to-chatwoot-bench-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().then(() => process.exit(130)));
  }
  try {
    console.log(
      `bench: sizes ${settings.sizes.join(', ')}, budget ${settings.chatwootRequestsPerSecond} req/s`,
    );
    const bundlePath = join(dataDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await workflowBundle()).code);
    const server = await startDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      dbFilename: join(dataDir, 'temporal.db'),
    });
    cleanups.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const results: SizeResult[] = [];
    for (const [index, size] of settings.sizes.entries()) {
      console.log(`bench: migrating ${size} conversations ...`);
      const result = await runPipeline(
        settings,
        size,
        index + 1,
        client,
        { address: server.address, pid: server.process.pid },
        bundlePath,
        dataDir,
        { rollout: index === 0 },
      );
      results.push(result);
      console.log(`bench: ${summaryLine(result)}`);
    }
    const comparisons: Comparison[] = [];
    if (settings.baseline) {
      comparisons.push({
        latencyMs: settings.latencyMs,
        pipeline: results[0],
        baseline: await baselineRun(settings, settings.sizes[0]),
      });
    }
    if (settings.ratioLatencyMs > 0 && settings.ratioSize > 0) {
      // Without the 500-part conversation: on a small sample its messages, which go one after the
      // other, would be the whole import's length at this latency.
      const slower = { ...settings, latencyMs: settings.ratioLatencyMs, longConversations: 0 };
      console.log(`bench: ${settings.ratioSize} conversations at ${slower.latencyMs} ms latency ...`);
      const pipeline = await runPipeline(
        slower,
        settings.ratioSize,
        settings.sizes.length + 1,
        client,
        { address: server.address, pid: server.process.pid },
        bundlePath,
        dataDir,
        { rollout: false },
      );
      console.log(`bench: ${summaryLine(pipeline)}`);
      comparisons.push({
        latencyMs: slower.latencyMs,
        pipeline,
        baseline: await baselineRun(slower, settings.ratioSize),
      });
    }
    const generated = render(settings, results, comparisons, startedAt, Date.now() - startedAt.getTime());
    writeReport(settings.output, generated);
    console.log(`bench: wrote ${settings.output}`);
  } finally {
    await cleanup();
  }
}

if (process.argv.includes('--worker')) {
  runWorkerChild().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

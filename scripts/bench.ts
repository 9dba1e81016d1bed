/**
 * `make bench`: the real pipeline (local Temporal dev server with a temp database, both sandboxes
 * with set latencies, the worker in a child process) migrates generated workspaces of several sizes
 * under each profile (scripts/bench/settings.ts: "today", 200 requests a second and 5 ms on both
 * sides; "realistic", Chatwoot's default 50 a second, Chatwoot at 40 ms and Intercom at 150 ms), then
 * the guide's one-request-at-a-time script imports the same workspace. Per profile and size: the
 * `summary:` line, requests against the minimum route by route, the busiest second, CPU of the worker
 * and the Temporal server per conversation, worker memory, Temporal history. Prints a summary and
 * rewrites the generated part of BENCHMARKS.md (between the bench markers; text outside is kept).
 *
 * Settings (environment), defaults in brackets:
 *   BENCH_PROFILES [today,realistic]   which profiles, in this order
 *   BENCH_SIZES [1000,5000]            workspaces to migrate, in conversations (contacts = half)
 *   BENCH_CHATWOOT_RPS, BENCH_LATENCY_MS   override the "today" profile's budget and latency
 *   BENCH_CHATWOOT_ACTIVITIES_PER_SECOND [budget]     the chatwoot-writes task queue's rate
 *   BENCH_INTERCOM_PER_10S [1666]      the Intercom sandbox's rate limit
 *   BENCH_WINDOW, BENCH_MAX_CHATWOOT_ACTIVITIES    import window and activity slots [pipeline defaults]
 *   BENCH_AGENT_TOKENS [1]             one Chatwoot token per agent, as a real migration has
 *   BENCH_BASELINE [1]                 the sequential baseline on each size up to
 *   BENCH_BASELINE_MAX_SIZE [1000]     conversations (it is sequential: ~0.5 s a conversation realistic)
 *   BENCH_ROLLOUT [1]                  the first run goes on through the rollout and cut-over
 *   BENCH_SEED [42], BENCH_OUTPUT [BENCHMARKS.md]
 *   BENCH_TRACE=prefix                 writes each run's arrivals, phases and memory samples as JSON
 *   BENCH_WORKER_CPU_PROF=dir          runs the worker under --cpu-prof
 *   BENCH_SCALE=N                      instead: the scale run (scripts/bench/scale.ts)
 */

import { baselineRun } from './bench/baselineRun.js';
import { consoleLine, type Measured, render, summaryLine, writeReport } from './bench/report.js';
import { runPipeline } from './bench/run.js';
import { runScale } from './bench/scale.js';
import { readSettings } from './bench/settings.js';
import { withStack } from './bench/stack.js';
import { runWorkerChild } from './bench/workerProcess.js';

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  if (process.env.BENCH_SCALE) return runScale(settings, Number(process.env.BENCH_SCALE));
  const startedAt = new Date();
  console.log(
    `bench: sizes ${settings.sizes.join(', ')}, profiles ${settings.profiles.map((p) => p.name).join(', ')}`,
  );
  const baselineMax = Number(process.env.BENCH_BASELINE_MAX_SIZE ?? 1000);
  const measured: Measured[] = [];
  let first = true;
  for (const profile of settings.profiles) {
    const runSettings = { ...settings, profile };
    for (const size of settings.sizes) {
      console.log(`bench: [${profile.name}] migrating ${size} conversations ...`);
      // A Temporal server of its own for each run: the worker of the run before is no longer a poller
      // of chatwoot-writes that the budget share would count, and the server's CPU is this run's.
      const run = await withStack(({ client, server, bundlePath, dataDir }) =>
        runPipeline(runSettings, size, 1, client, server, bundlePath, dataDir, {
          rollout: settings.rollout && first,
        }),
      );
      first = false;
      console.log(`bench: ${consoleLine(run)}`);
      const baseline =
        settings.baseline && size <= baselineMax ? await baselineRun(runSettings, size) : undefined;
      const item = { run, baseline };
      console.log(`bench: ${summaryLine(item)}`);
      measured.push(item);
    }
  }
  writeReport(settings.output, render(settings, measured, startedAt, Date.now() - startedAt.getTime()));
  console.log(`bench: wrote ${settings.output}`);
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

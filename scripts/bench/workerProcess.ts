/**
 * The worker, in a child process so that its memory is its own (the sandboxes hold whole workspaces).
 * The child is the bench entry itself (dist/scripts/bench.js) started with --worker; it sends its
 * memory and CPU use every SAMPLE_MS.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@temporalio/worker';
import { createWorkerSet } from '../../src/worker.js';

/** scripts/bench.ts, which runs {@link runWorkerChild} when given --worker. */
const BENCH_ENTRY = fileURLToPath(new URL('../bench.js', import.meta.url));

export interface WorkerChildConfig {
  address: string;
  bundlePath: string;
  intercomToken: string;
  chatwootToken: string;
  chatwootAgentTokens: Record<string, string>;
  chatwootRequestsPerSecond: number;
  chatwootActivitiesPerSecond: number;
  maxConcurrentChatwootActivities?: number;
}

export interface MemorySample {
  t: number;
  rss: number;
  heapUsed: number;
  external: number;
  /** CPU microseconds (user + system) used by the worker process so far. */
  cpuMicros: number;
}

type ChildMessage = { type: 'ready'; shareAfterMs: number } | ({ type: 'memory' } & MemorySample);

const SAMPLE_MS = 200;

export async function runWorkerChild(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '{}') as WorkerChildConfig;
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) },
  });
  const set = await createWorkerSet({
    address: config.address,
    namespace: 'default',
    env: {
      intercomToken: config.intercomToken,
      chatwootToken: config.chatwootToken,
      chatwootAgentTokens: config.chatwootAgentTokens,
      chatwootRequestsPerSecond: config.chatwootRequestsPerSecond,
    },
    chatwootActivitiesPerSecond: config.chatwootActivitiesPerSecond,
    maxConcurrentChatwootActivities: config.maxConcurrentChatwootActivities,
    workflowBundle: { code: readFileSync(config.bundlePath, 'utf8') },
  });
  const sample = () => {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'memory',
      t: Date.now(),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      cpuMicros: cpu.user + cpu.system,
    } satisfies ChildMessage);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  process.on('message', (message) => {
    if (message === 'stop') set.shutdown();
  });
  process.on('disconnect', () => set.shutdown());
  const running = set.run();
  // Ready once the worker may send to Chatwoot: a joining worker holds for JOIN_HOLD_MS
  // (src/budgetShare.ts) after Temporal first lists it, about 8 s once in a worker's life. A production
  // worker runs long before an operator starts a migration, so the migration's time leaves it out.
  const heldSince = Date.now();
  while (set.chatwootShare && set.chatwootShare.allowance(config.chatwootRequestsPerSecond).perWindow < 1) {
    await sleep(50);
  }
  process.send?.({ type: 'ready', shareAfterMs: Date.now() - heldSince } satisfies ChildMessage);
  await running;
  clearInterval(timer);
}

export interface WorkerChild {
  samples: MemorySample[];
  /** From the worker's start to its Chatwoot share allowing a first request (before any migration). */
  shareAfterMs: number;
  stop(): Promise<void>;
}

export async function startWorkerChild(config: WorkerChildConfig): Promise<WorkerChild> {
  const child: ChildProcess = fork(BENCH_ENTRY, ['--worker'], {
    env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify(config) },
    execArgv: [
      '--enable-source-maps',
      ...(process.env.BENCH_WORKER_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_CPU_PROF}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const samples: MemorySample[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const shareAfterMs = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve(message.shareAfterMs);
      else samples.push(message);
    });
    child.once('exit', (code) => reject(new Error(`the worker process exited early (${code})`)));
  });
  return {
    samples,
    shareAfterMs,
    stop: async () => {
      if (child.exitCode === null) child.send('stop');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

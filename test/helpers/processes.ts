/**
 * Child processes for tests that run the real worker as a process or crash things on purpose: a worker
 * process that can be SIGKILLed and started again, a Temporal dev server with a database file that can
 * be stopped and started again on the same port, the sandboxes in a process of their own, and the set-up
 * those tests share (startProcessStack, workerEnvFor). Every child is tracked so that `stopAllChildren`
 * (in an after hook) leaves nothing running, whatever happened to the test.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { MigrationInputRaw } from '../../src/config.js';
import { type DevServer, startDevServer } from '../../src/localStack.js';
import type { BusiestSecond } from '../../src/sandbox/chatwoot/busiestSecond.js';
import type { ScenarioOptions } from '../../src/sandbox/scenario.js';
import { until } from './eventually.js';

const children = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A port nobody listens on right now (the OS picks it), for a server that must keep its port across restarts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Resolves once the workflow of `handle` exists (a child the migration has yet to start, say). */
export async function waitForWorkflow(
  what: string,
  handle: { describe(): Promise<unknown> },
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  await waitFor(
    what,
    () =>
      handle.describe().then(
        () => true,
        () => false,
      ),
    options,
  );
}

/** Resolves when `check` answers true; rejects with `what` once the deadline passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  return until(what, check, { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 100 });
}

export interface WorkerProcess {
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL: no shutdown, no flushing, in-flight activities simply vanish. */
  kill(): Promise<void>;
  /** SIGTERM: the worker drains and exits (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <script>` with the given environment and waits until it prints `readyLine`; fails
 * with the process's output if it exits or stays silent past the deadline.
 */
export async function startWorkerProcess(options: {
  script: string;
  env: Record<string, string>;
  readyLine?: RegExp;
  timeoutMs?: number;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', options.script], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  const ready = options.readyLine ?? /worker running/;
  const started = new Promise<void>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      if (ready.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`worker exited (${signal ?? code}) before it was ready:\n${output}`)),
    );
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`worker not ready within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([started, timedOut]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const pid = child.pid as number;
  return {
    pid,
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: async (graceMs = 10_000) => {
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited(child);
      clearTimeout(forced);
    },
  };
}

export interface TemporalServerProcess {
  address: string;
  /** Stops the server (SIGTERM, then SIGKILL) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same database file. */
  restart(): Promise<void>;
}

/** `temporal server start-dev` (headless) on `port`, persisting to `dbFilename` so a restart keeps every workflow. */
export async function startTemporalServer(options: {
  dbFilename: string;
  port: number;
}): Promise<TemporalServerProcess> {
  let server: DevServer | undefined;
  const start = async () => {
    server = await startDevServer({ port: options.port, dbFilename: options.dbFilename, headless: true });
    track(server.process);
  };
  await start();
  return {
    address: `127.0.0.1:${options.port}`,
    stop: async () => {
      await server?.stop();
    },
    restart: async () => {
      await server?.stop();
      await start();
    },
  };
}

/** Kills whatever children are still running and waits for them; for after hooks. */
export async function stopAllChildren(): Promise<void> {
  const running = [...children];
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map(exited));
}

/** What a worker needs to reach a scenario's sandboxes: its tokens. */
export interface SandboxTokens {
  intercomToken: string;
  chatwootToken: string;
  chatwootAgentTokens: Record<string, string>;
}

/** A worker process's environment for the Temporal server at `address` and a scenario's tokens. */
export function workerEnvFor(address: string, tokens: SandboxTokens): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: address,
    INTERCOM_TOKEN: tokens.intercomToken,
    CHATWOOT_TOKEN: tokens.chatwootToken,
    CHATWOOT_AGENT_TOKENS: Object.entries(tokens.chatwootAgentTokens)
      .map(([email, token]) => `${email}=${token}`)
      .join(','),
  };
}

/** A scratch directory, a Temporal server persisting into it, and a client of that server. */
export interface ProcessStack {
  dataDir: string;
  server: TemporalServerProcess;
  connection: Connection;
  client: Client;
  /** Stops every child process, closes the client and removes the directory (for an after hook). */
  close(): Promise<void>;
}

/**
 * The set-up of the tests that run workers as processes. `prepare` runs on the new directory while
 * a port is found (writing a workflow bundle, say).
 */
export async function startProcessStack(
  prefix: string,
  prepare?: (dataDir: string) => Promise<unknown>,
): Promise<ProcessStack> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  let connection: Connection | undefined;
  const close = async () => {
    await stopAllChildren();
    await connection?.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const [port] = await Promise.all([freePort(), prepare?.(dataDir)]);
    const server = await startTemporalServer({ dbFilename: join(dataDir, 'temporal.db'), port });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    return { dataDir, server, connection, client, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A scenario's options that can cross a process boundary, and whether to record Chatwoot arrivals. */
export type SandboxScenarioOptions = Omit<ScenarioOptions, 'onChatwootRequest'> & {
  recordArrivals?: boolean;
};

/** The child's first message (sandboxProcess.ts). */
export interface SandboxReady extends SandboxTokens {
  type: 'ready';
  account: number;
  intercomUrl: string;
  chatwootUrl: string;
  /** The scenario's input with an empty blob store URL. */
  input: MigrationInputRaw;
}
export interface SandboxQuestion {
  id: number;
  type: 'arrivals' | 'stats' | 'close';
}
export interface SandboxAnswer {
  id: number;
  result: unknown;
}

export interface SandboxStatsSeen {
  busiestSecond: BusiestSecond;
  throttled: number;
  requests: number;
  /** How late the sandbox's own event loop ran (so how late it may have timestamped an arrival). */
  eventLoopDelayMs: { max: number; p99: number };
}

export interface SandboxProcess extends SandboxTokens {
  pid: number;
  account: number;
  chatwootUrl: string;
  input(blobStoreUrl: string): MigrationInputRaw;
  /** Every Chatwoot API request's arrival (epoch ms, the sandbox's clock) and endpoint, in order. */
  arrivals(): Promise<{ arrivals: number[]; endpoints: string[] }>;
  stats(): Promise<SandboxStatsSeen>;
  close(): Promise<void>;
}

const sandboxScript = fileURLToPath(new URL('./sandboxProcess.js', import.meta.url));

/**
 * A scenario's sandboxes (startScenario) in a process of their own: a test process busy with its
 * Temporal client cannot make the Chatwoot sandbox read, and so timestamp, requests late.
 */
export async function startSandboxProcess(
  options: SandboxScenarioOptions,
  timeoutMs = 60_000,
): Promise<SandboxProcess> {
  const child = fork(sandboxScript, [], {
    env: { ...process.env, SANDBOX_SCENARIO: JSON.stringify(options) },
    execArgv: ['--enable-source-maps'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  track(child);
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const pending = new Map<number, (result: unknown) => void>();
  let ready: SandboxReady | undefined;
  const started = new Promise<SandboxReady>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sandbox not ready within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.on('message', (message: SandboxReady | SandboxAnswer) => {
      if ('type' in message && message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if ('id' in message) {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`sandbox exited (${signal ?? code}) before it was ready:\n${output}`));
      for (const [id, answer] of pending) {
        pending.delete(id);
        answer(undefined);
      }
    });
  });
  try {
    ready = await started;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  let nextId = 0;
  const ask = <T>(type: SandboxQuestion['type']): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) return reject(new Error(`the sandbox process has gone:\n${output}`));
      const id = nextId++;
      pending.set(id, (result) =>
        result === undefined
          ? reject(new Error(`the sandbox process exited:\n${output}`))
          : resolve(result as T),
      );
      child.send({ id, type } satisfies SandboxQuestion);
    });
  const { input, type: _ready, ...rest } = ready;
  return {
    ...rest,
    pid: child.pid as number,
    input: (blobStoreUrl) => ({ ...input, blobStoreUrl }),
    arrivals: () => ask('arrivals'),
    stats: () => ask('stats'),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await ask<null>('close').catch(() => undefined);
      await exited(child);
    },
  };
}

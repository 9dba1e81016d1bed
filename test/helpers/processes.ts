/**
 * Child processes for tests that crash things on purpose: a worker process that can be SIGKILLed and
 * started again, and a Temporal dev server with a database file that can be stopped and started
 * again on the same port. Every child is tracked so that `stopAllChildren` (in an after hook) leaves
 * nothing running, whatever happened to the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { type DevServer, startDevServer } from '../../src/localStack.js';

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

/** Resolves when `check` answers true; rejects with `what` once the deadline passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
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

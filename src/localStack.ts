/**
 * The embedded defaults: a local Temporal dev server (Web UI on :8233), the Intercom and Chatwoot
 * sandboxes and a worker, all in or under this process. Used by `make demo` and the benchmark.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function temporalCliPath(): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  return execFileSync(`${repoRoot}scripts/ensure-temporal.sh`, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
  process: ChildProcess;
}

/**
 * The local stack encrypts its blob store like a production worker (storage/encryptionSettings.ts):
 * with the key in BLOB_ENCRYPTION_KEY if one is set, else a random key for this process and the worker
 * processes it starts, as its snapshots live in temporary directories that end with it. The key is
 * returned so the demo can show it when the stack stays up.
 */
export function useLocalBlobKey(): { keyId: string; key: string } {
  if (
    !process.env.BLOB_ENCRYPTION_KEY?.trim() &&
    process.env.BLOB_ENCRYPTION?.trim().toLowerCase() !== 'off'
  ) {
    process.env.BLOB_ENCRYPTION_KEY = randomBytes(32).toString('base64');
    process.env.BLOB_ENCRYPTION_KEY_ID = 'local-stack';
  }
  return {
    keyId: process.env.BLOB_ENCRYPTION_KEY_ID ?? '(derived)',
    key: process.env.BLOB_ENCRYPTION_KEY ?? '',
  };
}

/**
 * A file-backed dev server runs SQLite in WAL mode with `synchronous=normal`. The CLI gives a database
 * file no pragma of its own (temporalcli/devserver/server.go, buildSQLConfig: only `mode=rwc` and
 * the --sqlite-pragma values), and Temporal's SQLite plugin serialises every transaction on one
 * connection (common/persistence/sql/sqlplugin/sqlite/plugin.go, SetMaxOpenConns(1)), so under
 * SQLite's defaults (a rollback journal, synchronous=full) each history write waited for several
 * fsyncs in turn: on the bench's 300 conversations that was 81 ms of the server's CPU a conversation
 * and 45 s end to end, against 52 ms and 36 s in WAL (BENCHMARKS.md). WAL with `normal` keeps every committed transaction through a crash of the server
 * process (the restart tests kill it); only a crash of the machine itself may lose the last ones,
 * which a local stack can afford.
 */
const FILE_DB_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** Starts `temporal server start-dev` and waits until it answers. */
export async function startDevServer(
  options: { port?: number; uiPort?: number; dbFilename?: string; headless?: boolean } = {},
): Promise<DevServer> {
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  // Every local stack (demo, benchmark, history recording) runs workers that write the blob store.
  useLocalBlobKey();
  if (await portOpen(port)) {
    throw new Error(
      `port ${port} is in use: stop the other Temporal server or set TEMPORAL_ADDRESS to use it`,
    );
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    ...(options.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    '--search-attribute',
    'MigrationPhase=Keyword',
    '--log-level',
    'error',
  ];
  if (options.dbFilename) {
    mkdirSync(new URL('.', `file://${options.dbFilename}`).pathname, { recursive: true });
    args.push('--db-filename', options.dbFilename);
    for (const pragma of FILE_DB_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`temporal server exited with ${child.exitCode ?? child.signalCode}`);
    }
    if (Date.now() > deadline) throw new Error('temporal server did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        // A process killed by a signal has a signalCode and no exitCode, and emits no second 'exit'.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

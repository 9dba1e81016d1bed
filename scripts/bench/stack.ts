/** What every bench run stands on: a temp folder, the workflow bundle, a Temporal dev server and a client. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { listen } from '../../src/listen.js';
import { startDevServer } from '../../src/localStack.js';
import { workflowBundle } from '../../src/worker.js';

export interface BenchStack {
  client: Client;
  server: { address: string; pid?: number };
  bundlePath: string;
  dataDir: string;
}

/** A port nothing listens on now: listen on any free port, then let it go. */
async function freePort(): Promise<number> {
  const listening = await listen(createServer());
  await listening.close();
  return listening.port;
}

export async function withStack<T>(body: (stack: BenchStack) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'intercom-to-chatwoot-bench-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().then(() => process.exit(130)));
  }
  try {
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
    return await body({
      client,
      server: { address: server.address, pid: server.process.pid },
      bundlePath,
      dataDir,
    });
  } finally {
    await cleanup();
  }
}

/**
 * `cli.js status --follow` with its output piped (a log file, a CI job): plain, timestamped lines
 * through every phase of a real migration on the sandboxes, the import's figures (done/total, failed,
 * set aside, rate, ETA, budget), and a `retrying:` line when an activity fails (Chatwoot answering
 * 5xx for a while, through the sandbox's fault injection) and Temporal retries it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { MigrationInputRaw } from '../src/config.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import {
  freePort,
  startTemporalServer,
  startWorkerProcess,
  stopAllChildren,
  type TemporalServerProcess,
  type WorkerProcess,
  waitFor,
} from './helpers/processes.js';

const workerScript = fileURLToPath(new URL('../src/worker.js', import.meta.url));
const cliScript = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /;

describe('status --follow piped to a log', function () {
  this.timeout(300_000);
  let dataDir: string;
  let server: TemporalServerProcess;
  let connection: Connection;
  let client: Client;
  let scenario: Scenario;
  let worker: WorkerProcess | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'i2c-follow-'));
    server = await startTemporalServer({ dbFilename: join(dataDir, 'temporal.db'), port: await freePort() });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
    scenario = await startScenario({
      seed: 43,
      conversations: 12,
      partsPerConversation: 8,
      agentTokens: true,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(worker?.output().slice(-4000));
  });

  after(async () => {
    await stopAllChildren();
    await scenario?.close();
    await connection?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints plain lines for every phase, the import figures, and what is being retried', async () => {
    worker = await startWorkerProcess({
      script: workerScript,
      env: {
        TEMPORAL_ADDRESS: server.address,
        INTERCOM_TOKEN: scenario.intercomToken,
        CHATWOOT_TOKEN: scenario.chatwootToken,
        // The import takes several seconds, long enough for the follower to see it under way.
        CHATWOOT_REQUESTS_PER_SECOND: '12',
        CHATWOOT_AGENT_TOKENS: Object.entries(scenario.chatwootAgentTokens)
          .map(([email, token]) => `${email}=${token}`)
          .join(','),
      },
    });
    const input: MigrationInputRaw = {
      ...scenario.input(`file://${join(dataDir, 'blobs')}`),
      rollout: { phaseDuration: '2s', deltaSyncInterval: '1s' },
    };
    await client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: 'migration-1',
      args: [input],
    });

    // stdout is a pipe: not a terminal.
    const cli = spawn(process.execPath, [cliScript, 'status', '--account', '1', '--follow'], {
      env: { ...process.env, TEMPORAL_ADDRESS: server.address },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    cli.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));

    // Chatwoot fails every request for a while once the conversations are being imported: the
    // client's own retries give up, the activity fails, and Temporal schedules another attempt.
    await waitFor(
      'the follower to show the import under way',
      () => /phase import \| conversations [1-9]/.test(stdout),
      {
        timeoutMs: 180_000,
        intervalMs: 200,
      },
    );
    scenario.chatwoot.faults.configure({ rate5xx: 1 });
    try {
      await waitFor('a retrying line', () => /^.* retrying: \w+ in migration-1\//m.test(stdout), {
        timeoutMs: 90_000,
        intervalMs: 200,
      });
    } finally {
      scenario.chatwoot.faults.configure({ rate5xx: 0 });
    }

    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the follower did not end: ${stdout.slice(-2000)}`)), 240_000),
      ),
    ]);
    assert.equal(code, 0, `exit ${code}: ${stderr}`);
    const lines = stdout.trim().split('\n');
    // No terminal control sequences (the bar is for terminals), one timestamped line each.
    assert.ok(!stdout.includes(String.fromCharCode(27)), 'escape sequences in piped output');
    assert.equal(lines.at(-1), 'migration-1: COMPLETED');
    for (const line of lines.slice(0, -1)) assert.match(line, ISO_LINE);

    const phases = new Set(lines.map((line) => /phase (\w+)/.exec(line)?.[1]).filter(Boolean));
    for (const phase of ['import', 'verify', 'rollout']) {
      assert.ok(phases.has(phase), `no line for phase ${phase}: ${[...phases].join(', ')}`);
    }
    const importLine = lines.find((line) => / phase import \| conversations \d+\/12 /.test(line));
    assert.ok(importLine, 'no import line with done/total');
    for (const part of ['failed ', 'set aside ', 'rate ', 'ETA ', 'budget ']) {
      assert.ok(importLine.includes(part), `the import line has no "${part}": ${importLine}`);
    }
    const retrying = lines.find((line) => / retrying: /.test(line)) as string;
    assert.match(retrying, /attempt [2-9]/);
    // Later phases keep their own figures instead of freezing at the import's last count.
    assert.ok(lines.some((line) => / phase rollout \| .*rollout \d+%/.test(line)));
  });
});

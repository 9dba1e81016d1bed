/**
 * Running an account again: `cli.js start` refuses, with what runs and the command that ends it,
 * while the previous migration runs or its retention reminder waits; `--replace-previous` records the
 * old reminder's state and ends it. No worker runs here: both checks read the Temporal server only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseMigrationInput } from '../src/config.js';
import { clearPreviousRun, PreviousRunError } from '../src/previousRun.js';
import { startLocalTemporal } from './helpers/temporal.js';

const cliScript = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const rawInput = {
  account: 7,
  intercom: { baseUrl: 'http://127.0.0.1:9' },
  chatwoot: { baseUrl: 'http://127.0.0.1:9' },
  blobStoreUrl: 'file:///tmp/i2c-rerun-never-written',
};

describe('running an account again', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let dir: string;

  before(async () => {
    env = await startLocalTemporal();
    dir = mkdtempSync(join(tmpdir(), 'i2c-rerun-'));
  });
  after(async () => {
    await env?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cliStart = async (...flags: string[]) => {
    const file = join(dir, 'migration.json');
    writeFileSync(file, JSON.stringify(rawInput));
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [cliScript, 'start', '--input', file, ...flags],
        { env: { ...process.env, TEMPORAL_ADDRESS: env.address } },
      );
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it("refuses while the previous run's retention reminder waits, and replaces it when told to", async () => {
    const parsed = parseMigrationInput(rawInput);
    assert.ok(parsed.ok);
    const reminder = await env.client.workflow.start('retentionReminder', {
      taskQueue: 'migration',
      workflowId: 'migration-7/retention',
      args: [{ input: parsed.input, cutoverAt: Date.UTC(2026, 0, 5) }],
    });
    await reminder.signal('retentionDecision', { action: 'delete' });

    const refused = await cliStart();
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /migration-7\/retention, the retention reminder of a previous run/);
    assert.match(refused.stderr, /--replace-previous/);
    assert.match(
      refused.stderr,
      /temporal workflow terminate --workflow-id migration-7\/retention --reason "replaced by a new run"/,
    );
    assert.equal((await reminder.describe()).status.name, 'RUNNING');
    await assert.rejects(
      env.client.workflow.getHandle('migration-7').describe(),
      /not found/i,
      'nothing was started',
    );

    // The same through the function the CLI calls, with the flag: the state is recorded, then it ends.
    const recorded = await clearPreviousRun(env.client, 7, { replacePrevious: true });
    assert.equal(recorded?.workflowId, 'migration-7/retention');
    assert.equal(recorded?.decisionsReceived, 1);
    const ended = await reminder.describe();
    assert.equal(ended.status.name, 'TERMINATED');
    const history = await reminder.fetchHistory();
    const reason = history.events?.find((e) => e.workflowExecutionTerminatedEventAttributes)
      ?.workflowExecutionTerminatedEventAttributes?.reason;
    assert.match(reason ?? '', /replaced by a new run of account 7; its state: .*"decisionsReceived":1/);
    assert.equal(await clearPreviousRun(env.client, 7), undefined, 'nothing of a previous run is left');
  });

  it('refuses while the previous migration runs, and --replace-previous does not end it', async () => {
    const parsed = parseMigrationInput({ ...rawInput, account: 8 });
    assert.ok(parsed.ok);
    const running = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: 'migration-8',
      args: [parsed.input],
    });
    await assert.rejects(
      clearPreviousRun(env.client, 8, { replacePrevious: true }),
      (error: unknown) =>
        error instanceof PreviousRunError &&
        /migration-8 is still running/.test(error.message) &&
        /temporal workflow terminate --workflow-id migration-8 /.test(error.message),
    );
    assert.equal((await running.describe()).status.name, 'RUNNING');
    await running.terminate('test over');
  });
});

/**
 * `cli.js replay-live` against the local dev server: a retention reminder started by this build and
 * asleep on its year-long timer is listed, its history fetched and replayed, as an operator does
 * before deploying a build. The same history fails against a build that changed the reminder's first
 * command without patched(), and the command then exits non-zero. `--from-file` replays the export
 * the Temporal CLI writes (`temporal workflow show --output json`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { migrationInputSchema, taskQueues, workflowIds } from '../src/config.js';
import { replayLive } from '../src/upgrade/replayLive.js';
import { workflowBundle } from '../src/worker.js';
import { repoRoot, startLocalTemporal, temporalCliPath } from './helpers/temporal.js';

const run = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli.js');
const incompatibleBuild = join(
  repoRoot,
  'dist',
  'test',
  'fixtures',
  'old-workflows',
  'incompatible-retention.js',
);
const { EventType } = proto.temporal.api.enums.v1;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('replay-live: running workflows replayed against a build before it is deployed', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let handle: WorkflowHandle;
  let folder: string;

  async function replayCli(...args: string[]): Promise<CliResult> {
    try {
      const { stdout, stderr } = await run(process.execPath, [cli, 'replay-live', ...args], {
        env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default' },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'i2c-replay-live-'));
    env = await startLocalTemporal();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: taskQueues.main,
      workflowBundle: await workflowBundle(),
      activities: {},
    });
    await worker.runUntil(async () => {
      const input = migrationInputSchema().parse({
        account: 901,
        chatwoot: { baseUrl: 'http://127.0.0.1:9' },
      });
      handle = await env.client.workflow.start('retentionReminder', {
        taskQueue: taskQueues.main,
        workflowId: workflowIds.child(input.account, 'retention'),
        args: [{ input, cutoverAt: Date.now() }],
      });
      // Asleep on its timer: the state a year-long reminder spends nearly all its life in.
      for (;;) {
        const events = (await handle.fetchHistory()).events ?? [];
        if (events.at(-1)?.eventType === EventType.EVENT_TYPE_TIMER_STARTED) break;
        await delay(50);
      }
    });
  });

  after(async () => {
    await handle?.terminate('the test is over').catch(() => undefined);
    await env?.teardown();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('prints ok for a running retention reminder and exits 0', async () => {
    const { code, stdout, stderr } = await replayCli();
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    const lines = stdout.trim().split('\n');
    assert.deepEqual(lines, [
      `ok             retentionReminder ${handle.workflowId} (${(await handle.describe()).runId})`,
      '1 workflow(s) replayed: 1 ok, 0 failed',
    ]);
  });

  it('reports nondeterminism against an incompatible build and exits non-zero', async () => {
    const { code, stdout } = await replayCli('--workflows-path', incompatibleBuild);
    assert.equal(code, 1, stdout);
    const [line, total] = stdout.trim().split('\n');
    assert.match(
      line,
      new RegExp(
        `^nondeterminism +retentionReminder ${handle.workflowId} \\(.+\\): \\[TMPRL1100\\] Nondeterminism`,
      ),
    );
    assert.match(total, /^1 workflow\(s\) replayed: 0 ok, 1 failed -- do not deploy/);

    // The same through the function, with the build given as a bundle.
    const outcomes = await replayLive({
      client: env.client,
      query: `WorkflowId='${handle.workflowId}'`,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: incompatibleBuild,
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      }),
    });
    assert.deepEqual(
      outcomes.map((o) => [o.type, o.workflowId, o.verdict]),
      [['retentionReminder', handle.workflowId, 'nondeterminism']],
    );
    assert.ok(outcomes[0].error && !outcomes[0].error.includes('\n'), 'the first line of the error');
  });

  it('--from-file replays `temporal workflow show --output json` exports', async () => {
    const { stdout: exported } = await run(temporalCliPath(), [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--output',
      'json',
      '--address',
      env.address,
    ]);
    const file = join(folder, 'reminder-901.json');
    writeFileSync(file, exported);
    const ok = await replayCli('--from-file', file);
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /^ok +retentionReminder reminder-901 \(/m);

    const broken = await replayCli('--from-file', file, '--workflows-path', incompatibleBuild);
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stdout, /^nondeterminism +retentionReminder reminder-901 /m);
  });
});

/**
 * A worker SIGKILLed in the middle of the import, with the production timeouts (no soak
 * interceptors) and a Chatwoot budget (CHATWOOT_REQUESTS_PER_SECOND, shared by the workers present):
 * the conversations it had in flight are retried by the next worker within seconds (heartbeat
 * timeouts sized to detect a dead worker, every attempt heartbeating while it lives), the dead worker
 * stops counting in the budget's share within seconds (budgetShare.ts: the presence queue), the
 * status names what is being retried and why instead of looking hung, and the import's message count
 * is what exists in Chatwoot, including what the killed attempts had written.
 *
 * The budget is what makes the import take long enough for the kill to land mid-conversation: a
 * conversation of this workspace needs about fifteen requests, so at 10 a second the import takes
 * half a minute. (Without one, as this test once ran, the 16 conversations were all done within a
 * second or two of the import's start, Chatwoot's flood guard of 240 messages a minute never held a
 * conversation of ten parts, and the kill found nothing but the tickets' import to interrupt: the
 * wait below for a retried importConversation timed out.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { DESCRIBE_DEADLINE_MS, LIVE_FOR_MS, REFRESH_MS } from '../src/budgetShare.js';
import type { MigrationInputRaw } from '../src/config.js';
import { migrationStatusReport, type PendingActivity } from '../src/pendingWork.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import type { ImportProgress, MigrationStatus } from '../src/workflows/definitions.js';
import {
  type ProcessStack,
  startProcessStack,
  startWorkerProcess,
  type WorkerProcess,
  waitFor,
  workerEnvFor,
} from './helpers/processes.js';

const MIGRATION_ID = 'migration-1';
const WINDOW = 4;
const BUDGET = 10;
const workerScript = fileURLToPath(new URL('../src/worker.js', import.meta.url));
const cliScript = fileURLToPath(new URL('../src/cli.js', import.meta.url));

const debug = process.env.CRASH_DEBUG === '1';

describe('a worker killed mid-import', function () {
  this.timeout(300_000);
  let stack: ProcessStack;
  let client: Client;
  let scenario: Scenario;
  let workerEnv: Record<string, string>;
  let worker: WorkerProcess | undefined;

  before(async () => {
    stack = await startProcessStack('i2c-crash-');
    client = stack.client;
    scenario = await startScenario({
      seed: 41,
      conversations: 16,
      partsPerConversation: 10,
      agentTokens: true,
      chatwootMessagesPerMinute: 3000,
    });
    workerEnv = {
      ...workerEnvFor(stack.server.address, scenario),
      CHATWOOT_REQUESTS_PER_SECOND: String(BUDGET),
    };
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(worker?.output().slice(-6000));
  });

  after(async () => {
    await stack?.close();
    await scenario?.close();
  });

  const progress = async (): Promise<ImportProgress | undefined> => {
    try {
      return await client.withDeadline(Date.now() + 3000, () =>
        client.workflow.getHandle(`${MIGRATION_ID}/import`).query<ImportProgress>('progress'),
      );
    } catch {
      return undefined;
    }
  };

  it('resumes within 30 s of a new worker, says it is retrying, and counts what exists', async () => {
    worker = await startWorkerProcess({ script: workerScript, env: workerEnv });
    const base = scenario.input(`file://${join(stack.dataDir, 'blobs')}`);
    // Each conversation takes seconds (the budget), so the kill lands while the conversations of the
    // window have written some of their messages.
    const input: MigrationInputRaw = {
      ...base,
      import: { windowSize: WINDOW, messagesPerMinute: 240 },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
    };
    await client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: MIGRATION_ID,
      args: [input],
    });

    let atKill: ImportProgress | undefined;
    await waitFor(
      'the import to be under way',
      async () => {
        atKill = await progress();
        return !!atKill && atKill.completed >= WINDOW && atKill.inFlight >= 2;
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    atKill = (await progress()) ?? atKill;
    const started = (atKill as ImportProgress).started;
    if (debug) console.log('at kill', JSON.stringify(atKill));
    const killedAt = Date.now();
    await worker.kill();
    worker = await startWorkerProcess({ script: workerScript, env: workerEnv });
    const restartedAt = Date.now();
    const newWorker = worker;

    // The dead worker stops counting in the budget's share within seconds, not the minute an idle
    // long poll lasts: the new worker soon takes the whole budget (its log says when the count changes).
    let aloneAfterMs: number | undefined;
    const watchingShare = waitFor(
      'the new worker to take the whole budget',
      () => {
        if (/chatwoot budget: 1 worker\(s\) share/.test(newWorker.output()))
          aloneAfterMs ??= Date.now() - killedAt;
        return aloneAfterMs !== undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    // Until every conversation the killed worker had in flight has finished: each went through its
    // heartbeat timeout and a retry on the new worker.
    const retrying: PendingActivity[] = [];
    let resumedAfterMs: number | undefined;
    await waitFor(
      "the killed worker's conversations to finish",
      async () => {
        const { report } = await migrationStatusReport(client, MIGRATION_ID);
        retrying.push(...(report.retrying as PendingActivity[]));
        const now = await progress();
        if (debug) console.log(Date.now() - restartedAt, JSON.stringify({ now, retrying: retrying.length }));
        if (now && now.completed + now.failed >= started) resumedAfterMs ??= Date.now() - restartedAt;
        return resumedAfterMs !== undefined && retrying.length > 0;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    await watchingShare;
    console.log(
      `      resumed ${resumedAfterMs} ms after the new worker started (${started} conversations started at the kill); alone in the budget ${aloneAfterMs} ms after the kill (the new worker ready after ${restartedAt - killedAt} ms); retried: ${retrying.length} sightings`,
    );
    // The dead worker counts until LIVE_FOR_MS after its last presence poll (at most ~2 s before the
    // kill); the new worker sees that at its first refresh after both that and its own start (it
    // starts in seconds: it bundles the workflows first), plus two refreshes and a slow answer.
    const aloneAt = killedAt + (aloneAfterMs as number);
    const expectedBy = Math.max(killedAt + LIVE_FOR_MS, restartedAt);
    assert.ok(
      aloneAt - expectedBy < 2 * REFRESH_MS + DESCRIBE_DEADLINE_MS,
      `the killed worker still counted in the budget's share ${aloneAt - expectedBy} ms after it should have stopped (${aloneAfterMs} ms after the kill, the new worker ready ${restartedAt - killedAt} ms after it)`,
    );
    assert.ok(
      (resumedAfterMs as number) < 30_000,
      `the killed worker's conversations finished ${resumedAfterMs} ms after the new worker started`,
    );
    const retried = retrying.find((a) => a.activity === 'importConversation');
    assert.ok(retried, `no importConversation seen retrying: ${JSON.stringify(retrying)}`);
    assert.ok(retried.attempt >= 2);
    assert.match(retried.lastFailure ?? '', /heartbeat/i);
    assert.match(retried.workflowId, /^migration-1\/conv-/);

    // The import's totals, once it is done, against Chatwoot's own state.
    let status: MigrationStatus | undefined;
    await waitFor(
      'the import to finish',
      async () => {
        status = await client
          .withDeadline(Date.now() + 3000, () =>
            client.workflow.getHandle(MIGRATION_ID).query<MigrationStatus>('status'),
          )
          .catch(() => undefined);
        return status?.imported !== undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const conversations = scenario.chatwoot.dump().accounts[0].conversations.filter(
      // Tickets carry the id too (the ticket import's lookup key), and intercom_ticket_id besides.
      (c) =>
        c.custom_attributes.intercom_conversation_id !== undefined &&
        c.custom_attributes.intercom_ticket_id === undefined,
    );
    const messagesThere = conversations.reduce(
      // The ticket import's notes about linked tickets come after the conversations' import.
      (sum, c) =>
        sum +
        c.messages.filter((m) => m.source_id && m.content_attributes.intercom_ticket_id === undefined).length,
      0,
    );
    const imported = status?.imported as NonNullable<MigrationStatus['imported']>;
    assert.equal(imported.failed, 0);
    assert.equal(imported.conversations, conversations.length);
    assert.equal(imported.messages, messagesThere, 'imported.messages is not what exists in Chatwoot');

    // The operator's command says the same as the function the test polled (a worker is running).
    const { stdout } = await promisify(execFile)(process.execPath, [cliScript, 'status', '--account', '1'], {
      env: { ...process.env, TEMPORAL_ADDRESS: stack.server.address },
    });
    const printed = JSON.parse(stdout) as MigrationStatus & { retrying: unknown[] };
    assert.equal(printed.imported?.messages, messagesThere);
    assert.ok(Array.isArray(printed.retrying));
    await client.workflow
      .getHandle(MIGRATION_ID)
      .terminate('test over')
      .catch(() => undefined);
  });
});

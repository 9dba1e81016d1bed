/**
 * Log lines carry ids, never personal data or secrets: a migration runs on the sandboxes with the
 * worker as its own process (dist/src/worker.js, LOG_LEVEL=DEBUG, so the SDK core's lines are in it
 * too), under injected faults (retries, failed attempts) and with an automation rule whose name an
 * administrator typed; the widget router runs as its own process and answers every kind of request,
 * a broken rollout document included. Everything both processes wrote is then searched for the
 * workspace's contact names, e-mail addresses, phone numbers, agent names, message text and the
 * tokens, in plain text and inside base64 (the SDK logs task payloads that way).
 * The search is this file's own; it shares no code with what writes the logs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MigrationInputRaw } from '../src/config.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import {
  freePort,
  startWorkerProcess,
  stopAllChildren,
  type WorkerProcess,
  waitFor,
} from './helpers/processes.js';
import { startLocalTemporal } from './helpers/temporal.js';

const workerScript = fileURLToPath(new URL('../src/worker.js', import.meta.url));
const routerScript = fileURLToPath(new URL('../src/router/main.js', import.meta.url));
/** What an administrator might name a rule: a customer's name is personal data wherever it is typed. */
const RULE_NAME = 'Escalate Philippa Quennell-Marsh';

/** An e-mail address anywhere; a worker identity "pid@host" has no dotted domain and digits before @. */
const EMAIL =
  /[A-Za-z0-9._%+-]*[A-Za-z._%+-][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Runs of base64 long enough to hold a payload or a JSON fragment. */
const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;

/** Pieces of HTML message text worth searching for: the text between tags, at least 12 characters. */
function textPieces(html: string | null | undefined): string[] {
  const pieces: string[] = [];
  for (const segment of (html ?? '').split(/<[^>]+>/)) {
    for (const piece of segment.split(/&[a-z#0-9]+;|["'\n]/)) {
      const trimmed = piece.trim();
      if (trimmed.length >= 12) pieces.push(trimmed);
    }
  }
  return pieces;
}

type Needles = Map<string, string>;

function needlesOf(scenario: Scenario, secrets: string[]): Needles {
  const needles: Needles = new Map();
  const { dataset } = scenario.intercom;
  for (const contact of dataset.contacts) {
    if (contact.name) needles.set(contact.name, 'contact name');
    if (contact.email) needles.set(contact.email.toLowerCase(), 'contact e-mail');
    if (contact.phone) needles.set(contact.phone, 'contact phone');
  }
  for (const admin of dataset.admins) {
    if (admin.name) needles.set(admin.name, 'agent name');
    if (admin.email) needles.set(admin.email.toLowerCase(), 'agent e-mail');
  }
  for (const conversation of dataset.conversations) {
    for (const piece of textPieces(conversation.source.body)) needles.set(piece, 'message text');
    for (const part of conversation.conversation_parts?.conversation_parts ?? [])
      for (const piece of textPieces(part.body)) needles.set(piece, 'message text');
  }
  needles.set(RULE_NAME, 'automation rule name');
  for (const secret of secrets) if (secret) needles.set(secret, 'secret');
  return needles;
}

/** Every leak in a log: by e-mail pattern and by exact text, in each line and in its base64 runs. */
function leaksIn(log: string, source: string, needles: Needles): string[] {
  const leaks: string[] = [];
  const search = (text: string, where: string) => {
    for (const match of text.matchAll(EMAIL)) leaks.push(`${where}: e-mail address ${match[0]}`);
    const lower = text.toLowerCase();
    for (const [needle, kind] of needles) {
      const found = kind.endsWith('e-mail') ? lower.includes(needle) : text.includes(needle);
      if (found) leaks.push(`${where}: ${kind} "${needle.slice(0, 60)}"`);
    }
  };
  log.split('\n').forEach((line, index) => {
    const where = `${source} line ${index + 1}`;
    search(line, where);
    for (const run of line.match(BASE64_RUN) ?? []) {
      const decoded = Buffer.from(run, 'base64').toString('utf8');
      search(decoded, `${where} (base64)`);
    }
  });
  return leaks;
}

describe('log lines hold no personal data or secrets', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let scenario: Scenario;
  let dataDir: string;
  let worker: WorkerProcess | undefined;
  let router: WorkerProcess | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'i2c-log-privacy-'));
    env = await startLocalTemporal();
    scenario = await startScenario({
      account: 71,
      seed: 53,
      conversations: 12,
      partsPerConversation: 4,
      caseDuplicateContacts: 2,
      attachmentEvery: 4,
      inlineImageEvery: 5,
      agentTokens: true,
      chatwootMessagesPerMinute: 3000,
      chatwootSettings: { automationRules: [{ name: RULE_NAME, eventName: 'conversation_created' }] },
      intercomFaults: { rate5xx: 0.04, rate429: 0.04, seed: 5 },
      chatwootFaults: { rate5xx: 0.03, seed: 7 },
    });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    console.error(`worker:\n${worker?.output().slice(-4000)}\nrouter:\n${router?.output().slice(-2000)}`);
  });

  after(async () => {
    await stopAllChildren();
    await scenario?.close();
    await env?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('in every line the worker and the router wrote during a migration', async () => {
    worker = await startWorkerProcess({
      script: workerScript,
      env: {
        TEMPORAL_ADDRESS: env.address,
        LOG_LEVEL: 'DEBUG',
        INTERCOM_TOKEN: scenario.intercomToken,
        CHATWOOT_TOKEN: scenario.chatwootToken,
        CHATWOOT_AGENT_TOKENS: Object.entries(scenario.chatwootAgentTokens)
          .map(([email, token]) => `${email}=${token}`)
          .join(','),
      },
      timeoutMs: 90_000,
    });
    const blobStoreUrl = `file://${join(dataDir, 'blobs')}`;
    const base = scenario.input(blobStoreUrl);
    const input: MigrationInputRaw = {
      ...base,
      chatwoot: {
        ...(base.chatwoot as object),
        allowActiveAutomations: true,
      } as MigrationInputRaw['chatwoot'],
      import: { windowSize: 6, childrenPerRun: 6 },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
    };
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: `migration-${scenario.account}`,
      args: [input],
    });
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.reconciliation.missing, 0);

    const routerPort = await freePort();
    router = await startWorkerProcess({
      script: routerScript,
      env: { BLOB_STORE_URL: blobStoreUrl, ROUTER_PORT: String(routerPort), ROUTER_HOST: '127.0.0.1' },
      readyLine: /widget router listening/,
    });
    // A rollout document someone broke by hand, holding a customer's address: the router logs the error.
    const contact = scenario.intercom.dataset.contacts.find((c) => c.email);
    mkdirSync(join(dataDir, 'blobs', 'rollout'), { recursive: true });
    writeFileSync(
      join(dataDir, 'blobs', 'rollout', '9071.json'),
      JSON.stringify({ percentage: contact?.email, phase: contact?.name }),
    );
    const routerUrl = `http://127.0.0.1:${routerPort}`;
    const statuses: number[] = [];
    for (const path of [
      `/rollout/${scenario.account}.json`,
      '/rollout/9071.json',
      '/rollout/404404.json',
      '/rollout/bad%20id.json',
      '/loader.js',
      '/healthz',
      `/nothing/${encodeURIComponent(contact?.email ?? '')}`,
    ]) {
      statuses.push((await fetch(`${routerUrl}${path}`)).status);
    }
    assert.deepEqual(statuses, [200, 500, 200, 400, 200, 200, 404]);
    await waitFor(
      'the router to log the broken document',
      () => /cannot read the rollout state/.test(router?.output() ?? ''),
      {
        timeoutMs: 5000,
      },
    );
    await router.stop();
    await worker.stop();

    const workerLog = worker.output();
    const routerLog = router.output();
    // The search can pass for the right reason only if the logs hold plenty, ids included.
    const workerLines = workerLog.split('\n').length;
    assert.ok(workerLines > 200, `only ${workerLines} worker log lines`);
    assert.match(workerLog, /\[DEBUG\]/, 'DEBUG lines are in the capture');
    assert.match(workerLog, /importConversation/, 'activity lines name the activity');
    assert.match(workerLog, new RegExp(`migration-${scenario.account}/conv-`), 'and the workflow ids');
    assert.match(workerLog, /active automation rules or webhooks/, 'the rule warning was logged');
    assert.match(routerLog, /"account":"9071"/);

    const needles = needlesOf(scenario, [
      scenario.intercomToken,
      scenario.chatwootToken,
      ...Object.values(scenario.chatwootAgentTokens),
      process.env.BLOB_ENCRYPTION_KEY ?? '',
    ]);
    const kinds = new Set(needles.values());
    for (const kind of [
      'contact name',
      'contact e-mail',
      'contact phone',
      'agent name',
      'message text',
      'secret',
    ])
      assert.ok(kinds.has(kind), `no ${kind} to search for`);
    assert.ok(needles.size > 40, `only ${needles.size} needles`);
    const leaks = [...leaksIn(workerLog, 'worker', needles), ...leaksIn(routerLog, 'router', needles)];
    assert.deepEqual([...new Set(leaks)].slice(0, 40), []);
  });

  it('finds what it looks for (the search itself)', () => {
    const needles: Needles = new Map([
      ['Ann Lee', 'contact name'],
      ['ann.lee@example.com', 'contact e-mail'],
      ['sandbox-admin-token', 'secret'],
    ]);
    const payload = Buffer.from(JSON.stringify({ who: 'Ann Lee' })).toString('base64');
    const log = [
      '2026-01-01T00:00:00.000Z [INFO] Activity completed { workflowId: "migration-1/conv-7" }',
      `2026-01-01T00:00:00.000Z [WARN] failed { to: "Ann.Lee@Example.com" }`,
      `2026-01-01T00:00:00.000Z [ERROR] task { input: "${payload}" }`,
      '2026-01-01T00:00:00.000Z [INFO] worker 4242@worker-1 polling',
    ].join('\n');
    const leaks = leaksIn(log, 'sample', needles);
    assert.deepEqual(leaks, [
      'sample line 2: e-mail address Ann.Lee@Example.com',
      'sample line 2: contact e-mail "ann.lee@example.com"',
      'sample line 3 (base64): contact name "Ann Lee"',
    ]);
  });
});

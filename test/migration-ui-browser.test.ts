/**
 * The operator's Web UI in a real headless Chromium: the local dev server's Temporal UI, a migration
 * on the sandboxes, and what an operator does there. The migration's page shows the import's progress
 * in Current Details; pause and resume sent from the signal dialog stop and restart new conversations
 * (checked by query, not by the page); holdRollout with a reason and advanceRollout steer the rollout.
 * Screenshots of those pages are taken every run; they replace the README's in docs/screenshots/ only
 * with UPDATE_SCREENSHOTS=1, so that `make test` leaves the checkout as it found it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { MigrationInputRaw } from '../src/config.js';
import { type DevServer, startDevServer } from '../src/localStack.js';
import { type Scenario, startScenario } from '../src/sandbox/scenario.js';
import { createWorkerSet, type WorkerSet } from '../src/worker.js';
import { importProgressQuery, rolloutStatusQuery, statusQuery } from '../src/workflows/definitions.js';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));
const screenshotDir =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : join(tmpdir(), 'intercom-to-chatwoot-screenshots');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('the migration in the Temporal Web UI (Chromium)', function () {
  this.timeout(900_000);
  let server: DevServer;
  let scenario: Scenario;
  let workers: WorkerSet;
  let running: Promise<void>;
  let context: BrowserContext;
  let page: Page;
  let root: string;
  let userDataDir: string;
  let migration: WorkflowHandle;
  const workflowId = 'migration-1';

  before(async function () {
    this.timeout(900_000);
    const { stdout } = await promisify(execFile)('bash', [ensureScript], { timeout: 890_000 });
    const executablePath = stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(executablePath.startsWith('/'), `ensure-chromium.sh printed ${stdout}`);
    root = await mkdtemp(join(tmpdir(), 'migration-ui-'));
    userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    server = await startDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      dbFilename: join(root, 'temporal.db'),
    });
    scenario = await startScenario({
      seed: 16,
      conversations: 200,
      partsPerConversation: 4,
      chatwootMessagesPerMinute: 100_000,
    });
    workers = await createWorkerSet({
      address: server.address,
      namespace: 'default',
      env: {
        intercomToken: scenario.intercomToken,
        chatwootToken: scenario.chatwootToken,
        chatwootAgentTokens: scenario.chatwootAgentTokens,
      },
    });
    running = workers.run();
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    page = await context.newPage();
    await mkdir(screenshotDir, { recursive: true });

    const input: MigrationInputRaw = {
      ...scenario.input(`file://${join(root, 'blobs')}`),
      // Two conversations at a time: the import lasts long enough to be paused from the page.
      import: { windowSize: 2 },
      rollout: { autoStart: false, phaseDuration: '1 hour', deltaSyncInterval: '1 hour' },
      retention: { after: '365 days' },
    };
    migration = await workers.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId,
      args: [input],
    });
  });

  after(async () => {
    await migration?.terminate('browser test done').catch(() => undefined);
    await context?.close();
    workers?.shutdown();
    await running;
    await scenario?.close();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  const migrationUrl = () => `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

  const importHandle = () => workers.client.workflow.getHandle(`${workflowId}/import`);
  const rolloutHandle = () => workers.client.workflow.getHandle(`${workflowId}/rollout`);

  /** The migration's page, on the tab that shows Current Details, as an operator opens it. */
  async function currentDetails(): Promise<string> {
    await page.goto(migrationUrl());
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    // Current Details renders the workflow's Markdown (in a frame of its own in some UI versions):
    // the frame holding its first heading, and that heading's parent, which holds all of it.
    return eventually(
      'Current Details',
      async () => {
        for (const frame of page.frames()) {
          const heading = frame.getByRole('heading', { name: /Migration of Chatwoot account 1/ });
          // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, table cells apart
          if ((await heading.count()) > 0) return heading.first().locator('xpath=..').innerText();
        }
        return undefined;
      },
      30_000,
    );
  }

  async function openSignalDialog() {
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByRole('menu').getByText('Send a Signal').click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByTestId('signal-select-button').click();
    return dialog;
  }

  /** Picks the signal in the dialog's list, types its JSON input, and submits, as an operator does. */
  async function sendSignal(name: string, payload?: unknown): Promise<void> {
    await page.goto(migrationUrl());
    const dialog = await openSignalDialog();
    await dialog
      .locator('li[role=option]')
      .filter({ has: page.locator('.menu-item-wrapper span').getByText(name, { exact: true }) })
      .click();
    if (payload !== undefined) {
      await dialog.locator('[contenteditable=true][data-language=json]').click();
      await page.keyboard.insertText(JSON.stringify(payload));
    }
    await dialog.getByTestId('confirm-modal-button').click();
    await dialog.waitFor({ state: 'hidden' });
  }

  it('shows the import progress in Current Details, and lists the internal signals as internal', async () => {
    await eventually('the import to report progress', async () => {
      const status = await migration.query(statusQuery);
      return status.importing?.stage === 'conversations' && status.importing.perMinute !== undefined;
    });
    const details = await currentDetails();
    assert.match(details, /Phase:\s*import/);
    assert.match(details, /Done\s+\d+ \/ 200 conversations/);
    assert.match(details, /Failed\s+0/);
    assert.match(details, /Set aside at export\s+0/);
    assert.match(details, /Rate\s+[\d.]+ conversations\/min/);
    assert.match(details, /ETA\s+(\d+ min \d+ s|\d+ s)/);
    assert.match(details, /Budget in use\s+\d+ of \d+ conversations in flight/);
    await page.screenshot({ path: join(screenshotDir, 'migration-import-progress.png') });

    const dialog = await openSignalDialog();
    // The list fills in from the workflow's metadata query: read it once every signal is in it (a
    // clean-clone run read it half-filled once).
    for (const name of [
      'pause',
      'resume',
      'advanceRollout',
      'holdRollout',
      'rollbackRollout',
      'accessRefused',
      'childProgress',
    ]) {
      await dialog
        .locator('li[role=option]')
        .filter({ has: page.locator('.menu-item-wrapper span').getByText(name, { exact: true }) })
        .waitFor();
    }
    const options = await dialog.locator('li[role=option]').allInnerTexts();
    const described = (name: string) => options.find((o) => o.split('\n')[0].trim() === name) ?? '';
    for (const name of ['pause', 'resume', 'advanceRollout', 'holdRollout', 'rollbackRollout']) {
      assert.ok(described(name).split('\n').length > 1, `${name} has a description: ${described(name)}`);
    }
    for (const name of ['accessRefused', 'childProgress']) {
      assert.match(
        described(name),
        /Internal, sent by the (import|import and the rollout|export, the import and the rollout)[\s\S]*do not send it by hand/,
      );
    }
    await page.screenshot({ path: join(screenshotDir, 'signal-dialog.png') });
  });

  it('pause from the signal dialog starts no new conversation until resume', async () => {
    await sendSignal('pause');
    const settled = await eventually('the import to settle', async () => {
      const progress = await importHandle().query(importProgressQuery);
      return progress.paused && progress.inFlight === 0 ? progress : undefined;
    });
    assert.equal((await migration.query(statusQuery)).paused, true);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const later = await importHandle().query(importProgressQuery);
    assert.equal(later.started, settled.started, 'no conversation started while paused');
    assert.equal(later.completed, settled.completed);
    assert.ok(settled.completed < 200, `paused before the end (${settled.completed} done)`);
    assert.match(
      await currentDetails(),
      /Phase:\s*import \(paused: signal resume to go on\)[\s\S]*ETA\s+paused/,
    );
    await page.screenshot({ path: join(screenshotDir, 'migration-paused.png') });

    await sendSignal('resume');
    await eventually('a new conversation after resume', async () => {
      const progress = await importHandle().query(importProgressQuery);
      return !progress.paused && progress.started > settled.started;
    });
    assert.equal((await migration.query(statusQuery)).paused, false);
  });

  it('holdRollout with a reason and advanceRollout from the dialog steer the rollout', async () => {
    await eventually(
      'the rollout',
      async () => {
        const status = await migration.query(statusQuery);
        return status.phase === 'rollout' && status.rollout !== undefined;
      },
      600_000,
    );
    const reason = 'support team sign-off pending';
    await sendSignal('holdRollout', { reason });
    await eventually('the hold', async () => {
      const rollout = await rolloutHandle().query(rolloutStatusQuery);
      return rollout.held && rollout.holdReason === reason;
    });
    await eventually('the migration to show the hold', async () => {
      const status = await migration.query(statusQuery);
      return status.rollout?.held && status.rollout.reason === reason;
    });
    const held = await currentDetails();
    assert.match(held, new RegExp(`Held: ${reason}`));
    await page.screenshot({ path: join(screenshotDir, 'migration-rollout-held.png') });

    await sendSignal('advanceRollout');
    await eventually('the advance', async () => {
      const rollout = await rolloutHandle().query(rolloutStatusQuery);
      return (
        !rollout.held && rollout.percentage === 10 && rollout.history.at(-1)?.reason === 'advanced by signal'
      );
    });
    await eventually('the migration to show 10 %', async () => {
      const status = await migration.query(statusQuery);
      return status.rollout?.percentage === 10 && !status.rollout.held;
    });
    const advanced = await currentDetails();
    assert.match(advanced, /10%\s*of visitors on Chatwoot \(phase 1 of 4\)/);
    assert.match(advanced, /\|?\s*10\s*\|?\s*advanced by signal/);
    await page.screenshot({ path: join(screenshotDir, 'migration-rollout.png') });
  });
});

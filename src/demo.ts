/**
 * `make demo`: a whole migration on the embedded defaults. Starts the local Temporal server (Web UI
 * on :8233), the Intercom sandbox with a generated workspace, the Chatwoot sandbox and a worker;
 * starts the migration with `temporal workflow start`; shows progress; and ends with the
 * reconciliation of the Chatwoot sandbox's state against the Intercom sandbox's.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Runtime } from '@temporalio/worker';
import cliProgress from 'cli-progress';
import type { MigrationInputRaw } from './config.js';
import { sideEffectsLine } from './demoSideEffects.js';
import { validationsLine } from './demoValidations.js';
import { widgetIdentitiesLine } from './demoWidgetIdentities.js';
import { repoRoot, startDevServer, temporalCliPath, useLocalBlobKey } from './localStack.js';
import { watchMigration } from './progress.js';
import { reconciliationLine } from './reconciliationLine.js';
import { startScenario } from './sandbox/scenario.js';
import { createBlobStore } from './storage/index.js';
import { blobLayout } from './storage/layout.js';
import { createWorkerSet } from './worker.js';
import { importFigures, progressLine } from './workflows/migrationDetails.js';

const run = promisify(execFile);

async function main(): Promise<void> {
  const conversations = Number(process.env.DEMO_CONVERSATIONS ?? 240);
  // DEMO_KEEP_UP=1: the stack stays up after the migration, to look around the Web UI and sandboxes.
  const keepUp = /^(1|true|yes)$/i.test(process.env.DEMO_KEEP_UP ?? '');
  Runtime.install({
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'intercom-to-chatwoot-demo-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    console.log('starting the local Temporal server (Web UI: http://127.0.0.1:8233) ...');
    const server = await startDevServer();
    cleanups.push(() => server.stop());

    const scenario = await startScenario({
      seed: 42,
      conversations,
      partsPerConversation: 6,
      caseDuplicateContacts: 6,
      attachmentEvery: 5,
      inlineImageEvery: 9,
      longConversations: 1,
      // Tags that make invalid label titles as they are, and a rating remark too long for an attribute.
      validationEdgeCases: true,
      // Fields the API description lets be null, blanked at this rate (sandbox/intercom/nullableFields.ts).
      nullableFieldRate: 0.05,
      agentTokens: true,
      // As an operator would raise CONVERSATION_MESSAGE_PER_MINUTE_LIMIT for the migration.
      chatwootMessagesPerMinute: 3000,
    });
    cleanups.push(() => scenario.close());
    const { intercom, chatwoot } = scenario;
    const dataset = intercom.dataset;
    console.log(
      `Intercom sandbox: ${intercom.url} (${dataset.conversations.length} conversations, ${dataset.contacts.length} contacts)`,
    );
    console.log(`Chatwoot sandbox: ${chatwoot.url}`);

    const workers = await createWorkerSet({
      address: server.address,
      namespace: 'default',
      env: {
        intercomToken: scenario.intercomToken,
        chatwootToken: scenario.chatwootToken,
        chatwootAgentTokens: scenario.chatwootAgentTokens,
      },
    });
    const running = workers.run();
    cleanups.push(async () => {
      workers.shutdown();
      await running;
    });

    const blobKey = useLocalBlobKey();
    console.log(
      blobKey.key
        ? `blob store: encrypted at rest (AES-256-GCM, key "${blobKey.keyId}"; README "The snapshot at rest")`
        : 'blob store: NOT encrypted (BLOB_ENCRYPTION=off): the snapshot holds personal data in plain form',
    );
    const input: MigrationInputRaw = {
      ...scenario.input(`file://${join(dataDir, 'blobs')}`),
      rollout: { phaseDuration: '3s', deltaSyncInterval: '2s' },
      retention: { after: '365 days' },
    };
    const workflowId = `migration-${scenario.account}`;
    console.log(
      `$ temporal workflow start --type accountMigration --task-queue migration --workflow-id ${workflowId} --input '{...}'`,
    );
    await run(temporalCliPath(), [
      'workflow',
      'start',
      '--address',
      server.address,
      '--type',
      'accountMigration',
      '--task-queue',
      'migration',
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify(input),
    ]);

    const bar = new cliProgress.SingleBar(
      {
        format: '|{bar}| {line}',
        hideCursor: true,
        // Logs and CI are not terminals: print a line every few seconds there.
        noTTYOutput: true,
        notTTYSchedule: 3000,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(dataset.conversations.length, 0, { line: 'phase starting' });
    // The same figures as the migration's page in the Web UI (workflows/migrationDetails.ts).
    await watchMigration(workers.client, workflowId, (status) => {
      const figures = importFigures(status);
      // While the import follows a running export its total is 0 so far: keep the workspace's size.
      const total = figures?.total || status.exported?.conversations || dataset.conversations.length;
      bar.setTotal(total);
      bar.update(figures?.done ?? (status.imported ? total : 0), { line: progressLine(status) });
    });
    bar.stop();
    const result = await workers.client.workflow.getHandle(workflowId).result();
    console.log(`workflow verification: ${result.reconciled}`);

    console.log(reconciliationLine(scenario.reconcile()));
    console.log(
      await sideEffectsLine(
        chatwoot.dump(),
        createBlobStore(`file://${join(dataDir, 'blobs')}`),
        scenario.account,
      ),
    );
    console.log(await validationsLine(createBlobStore(`file://${join(dataDir, 'blobs')}`), scenario.account));
    console.log(await widgetIdentitiesLine(scenario));

    // The report outlives the demo's temporary blob store: copied where a newcomer can open it.
    const store = createBlobStore(`file://${join(dataDir, 'blobs')}`);
    const reportDir = join(repoRoot, '.data', 'demo-report');
    mkdirSync(reportDir, { recursive: true });
    const markdown = (await store.get(blobLayout.reportMarkdown(scenario.account)))?.toString('utf8') ?? '';
    writeFileSync(join(reportDir, 'report.md'), markdown);
    writeFileSync(
      join(reportDir, 'report.json'),
      (await store.get(blobLayout.report(scenario.account)))?.toString('utf8') ?? '',
    );
    console.log(`\nreport: ${join(reportDir, 'report.md')} (and report.json beside it); its summary:\n`);
    console.log(reportSummary(markdown));
    if (keepUp) {
      console.log(
        [
          '',
          'DEMO_KEEP_UP is set: the stack stays up. Look around:',
          `  Web UI:            ${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
          `  Intercom sandbox:  ${intercom.url}`,
          `  Chatwoot sandbox:  ${chatwoot.url}`,
          `  blob store:        ${join(dataDir, 'blobs')} (encrypted; to read it with the CLI: BLOB_ENCRYPTION_KEY=${blobKey.key}${blobKey.keyId === '(derived)' ? '' : ` BLOB_ENCRYPTION_KEY_ID=${blobKey.keyId}`})`,
          'Press Ctrl-C to stop everything.',
        ].join('\n'),
      );
      await new Promise<never>(() => {});
    } else {
      console.log(
        `\nThe stack is stopped. To look around the Web UI (${server.uiUrl}) afterwards: DEMO_KEEP_UP=1 make demo`,
      );
    }
  } finally {
    await cleanup();
  }
}

/** The report's head: its title, the totals line and the table, up to the first section. */
function reportSummary(markdown: string): string {
  const lines = markdown.split('\n');
  const end = lines.findIndex((line, i) => i > 0 && line.startsWith('## '));
  return lines
    .slice(0, end < 0 ? lines.length : end)
    .join('\n')
    .trimEnd();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

/**
 * The operator's command line, the same as `temporal workflow ...` but shorter and with progress:
 *   node dist/src/cli.js start --input migration.json [--wait]
 *   node dist/src/cli.js status|pause|resume|advance|hold|rollback|report --account 1
 *   node dist/src/cli.js rekey-contacts --input migration.json   (contacts imported as intercom:<id>)
 *   node dist/src/cli.js replay-live [--namespace default] [--query ...]   (before deploying a new build)
 * Connects to TEMPORAL_ADDRESS (localhost:7233), namespace TEMPORAL_NAMESPACE (default).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { addEraseCommand } from './cli/erase.js';
import { addPlanCommand } from './cli/plan.js';
import { payloadCodecFromEnv } from './codec/aesGcmCodec.js';
import { parseMigrationInput, taskQueues, workflowIds } from './config.js';
import { migrationStatusReport, PendingWorkFollower } from './pendingWork.js';
import { clearPreviousRun } from './previousRun.js';
import { watchMigration } from './progress.js';
import { createBlobStore } from './storage/index.js';
import { blobLayout } from './storage/layout.js';
import { ensureSearchAttributes } from './temporal.js';
import { registerReplayLive } from './upgrade/replayLive.js';
import {
  advanceRolloutSignal,
  holdRolloutSignal,
  pauseSignal,
  resumeSignal,
  retentionDecisionSignal,
  rollbackRolloutSignal,
} from './workflows/definitions.js';
import { exportFigures, importFigures, progressLine } from './workflows/migrationDetails.js';

async function connect(namespace = process.env.TEMPORAL_NAMESPACE ?? 'default'): Promise<Client> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  // With PAYLOAD_CODEC_KEY set, inputs are encrypted and results decrypted as the workers do.
  const codec = payloadCodecFromEnv(process.env);
  const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;
  return new Client({ connection, namespace, dataConverter });
}

const accountOption = (value: string) => {
  const account = Number(value);
  if (!Number.isInteger(account) || account <= 0)
    throw new Error(`--account must be a positive integer, not ${value}`);
  return account;
};

export function buildCli(): Command {
  const program = new Command('intercom-to-chatwoot').description(
    'Migrate an Intercom workspace into Chatwoot on Temporal.',
  );

  program
    .command('start')
    .description('start the migration of one Chatwoot account')
    .requiredOption('--input <file>', 'migration input JSON (see README)')
    .option('--wait', 'show progress until the migration finishes')
    .option(
      '--replace-previous',
      "end the previous run's retention reminder of this account (printing its state first) instead of refusing to start",
    )
    .action(async (options: { input: string; wait?: boolean; replacePrevious?: boolean }) => {
      const parsed = parseMigrationInput(JSON.parse(readFileSync(options.input, 'utf8')));
      if (!parsed.ok) throw new Error(`invalid migration input: ${parsed.problems}`);
      const client = await connect();
      await ensureSearchAttributes(client, client.options.namespace);
      const workflowId = workflowIds.migration(parsed.input.account);
      // A previous run's workflows would clash with this one's, its reminder only weeks from now.
      const replaced = await clearPreviousRun(client, parsed.input.account, {
        replacePrevious: options.replacePrevious,
      });
      if (replaced)
        console.log(`ended the previous retention reminder; its state: ${JSON.stringify(replaced)}`);
      await client.workflow.start('accountMigration', {
        taskQueue: taskQueues.main,
        workflowId,
        args: [parsed.input],
      });
      console.log(`started ${workflowId}`);
      if (options.wait) await follow(client, workflowId);
    });

  program
    .command('rekey-contacts')
    .description(
      'give contacts imported as intercom:<id> their external id as identifier, so the widget finds them (idempotent)',
    )
    .requiredOption('--input <file>', 'the migration input JSON the migration was started with')
    .action(async (options: { input: string }) => {
      const parsed = parseMigrationInput(JSON.parse(readFileSync(options.input, 'utf8')));
      if (!parsed.ok) throw new Error(`invalid migration input: ${parsed.problems}`);
      const client = await connect();
      const workflowId = workflowIds.child(parsed.input.account, 'rekey-contacts');
      // A run that finished may be started again (it changes nothing the second time).
      const handle = await client.workflow.start('rekeyContacts', {
        taskQueue: taskQueues.main,
        workflowId,
        args: [parsed.input],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      console.log(`started ${workflowId}; waiting for it`);
      console.log(JSON.stringify(await handle.result()));
    });

  program
    .command('status')
    .description('phase, counts and rollout of a migration')
    .requiredOption('--account <id>', 'Chatwoot account id', accountOption)
    .option('--follow', 'keep showing progress until it finishes')
    .action(async (options: { account: number; follow?: boolean }) => {
      const client = await connect();
      const workflowId = workflowIds.migration(options.account);
      if (options.follow) return follow(client, workflowId);
      // With the activities being retried or silent, so a crash does not look like a hang.
      const { report, lines } = await migrationStatusReport(client, workflowId);
      console.log(JSON.stringify(report, null, 2));
      for (const line of lines) console.error(line);
    });

  const signalCommand = (
    name: string,
    description: string,
    send: (client: Client, workflowId: string, reason?: string) => Promise<void>,
  ) =>
    program
      .command(name)
      .description(description)
      .requiredOption('--account <id>', 'Chatwoot account id', accountOption)
      .option('--reason <text>', 'why (shown in the rollout history)')
      .action(async (options: { account: number; reason?: string }) => {
        const client = await connect();
        const workflowId = workflowIds.migration(options.account);
        await send(client, workflowId, options.reason);
        console.log(`${name}: signalled ${workflowId}`);
      });

  signalCommand('pause', 'pause after the work in flight', (c, id) =>
    c.workflow.getHandle(id).signal(pauseSignal),
  );
  signalCommand('resume', 'resume a paused migration', (c, id) =>
    c.workflow.getHandle(id).signal(resumeSignal),
  );
  signalCommand('advance', 'move the rollout to its next percentage', (c, id) =>
    c.workflow.getHandle(id).signal(advanceRolloutSignal),
  );
  signalCommand('hold', 'hold the rollout at its percentage', (c, id, reason) =>
    c.workflow.getHandle(id).signal(holdRolloutSignal, { reason }),
  );
  signalCommand('rollback', 'move the rollout back one phase', (c, id, reason) =>
    c.workflow.getHandle(id).signal(rollbackRolloutSignal, { reason }),
  );

  program
    .command('decide')
    .description('answer the retention reminder: keep the Intercom data longer, or delete it')
    .requiredOption('--account <id>', 'Chatwoot account id', accountOption)
    .requiredOption('--action <action>', 'keep | delete')
    .option('--for <duration>', 'with keep: how much longer, e.g. "180 days"')
    .action(async (options: { account: number; action: string; for?: string }) => {
      if (options.action !== 'keep' && options.action !== 'delete')
        throw new Error('--action must be keep or delete');
      const client = await connect();
      const workflowId = workflowIds.child(options.account, 'retention');
      const decision =
        options.action === 'keep'
          ? { action: 'keep' as const, for: options.for }
          : { action: 'delete' as const };
      await client.workflow.getHandle(workflowId).signal(retentionDecisionSignal, decision);
      console.log(`retention decision sent to ${workflowId}`);
    });

  program
    .command('report')
    .description('print the reconciliation report (Markdown) of a migration')
    .requiredOption('--account <id>', 'Chatwoot account id', accountOption)
    .requiredOption('--blob-store <url>', 'the blobStoreUrl of the migration input')
    .option('--json', 'the JSON report instead')
    .action(async (options: { account: number; blobStore: string; json?: boolean }) => {
      const store = createBlobStore(options.blobStore);
      const key = options.json
        ? blobLayout.report(options.account)
        : blobLayout.reportMarkdown(options.account);
      const body = await store.get(key);
      if (!body) throw new Error(`no report at ${key} in ${store.url}: has the verify step run?`);
      process.stdout.write(body);
    });

  addPlanCommand(program, connect);
  addEraseCommand(program, connect);
  registerReplayLive(program, connect);
  return program;
}

/**
 * The migration's progress until it finishes, with the same figures as its page in the Web UI: a bar
 * on a terminal, and a plain line when something changed (at most every 5 s) when piped to a log.
 */
async function follow(client: Client, workflowId: string): Promise<void> {
  const tty = process.stdout.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: '|{bar}| {line}', hideCursor: true, linewrap: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let announcedBlock: string | undefined;
  let lastLine = '';
  let lastPhase = '';
  let lastPrintedAt = 0;
  // Retries and silent attempts, so that a crashed worker's work does not look like a hang.
  const pending = new PendingWorkFollower(client, workflowId);
  const tell = (lines: string[]) => {
    for (const text of lines) {
      if (tty) process.stderr.write(`\n${text}\n`);
      else console.log(`${new Date().toISOString()} ${text}`);
    }
  };
  await watchMigration(client, workflowId, (status, progress) => {
    void pending.newLines().then(tell);
    if (status.blocked && status.blocked !== announcedBlock) {
      announcedBlock = status.blocked;
      process.stderr.write(
        `\nblocked: ${status.blocked}\nFix what it names (a token: in the workers' environment, then restart them; an agent's access: in Chatwoot), then run \`resume\` for this account.\n`,
      );
    }
    // Migrations started before the import reported to its parent: the child's own counts.
    if (status.phase === 'import' && !status.importing && progress) {
      status.importing = { ...progress, stage: 'conversations', windowSize: 0, at: Date.now() };
    }
    const line = progressLine(status);
    const figures = importFigures(status);
    // Before the import has figures, the bar follows the export's (when Intercom gave a total).
    const exporting = figures ? undefined : exportFigures(status);
    const total = figures?.total ?? exporting?.total ?? status.exported?.conversations ?? 0;
    const value = figures?.done ?? exporting?.done ?? (status.imported ? total : 0);
    if (bar) {
      if (!started) bar.start(Math.max(total, 1), value, { line });
      started = true;
      bar.setTotal(Math.max(total, 1));
      bar.update(value, { line });
      return;
    }
    const phaseChanged = status.phase !== lastPhase;
    if (line !== lastLine && (phaseChanged || Date.now() - lastPrintedAt >= 5000)) {
      console.log(`${new Date().toISOString()} ${line}`);
      lastLine = line;
      lastPhase = status.phase;
      lastPrintedAt = Date.now();
    }
  });
  if (bar && started) bar.stop();
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  console.log(`${workflowId}: ${description.status.name}`);
  if (description.status.name === 'FAILED') {
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    // The workflow's own failure sits under the client's WorkflowFailedError.
    const reason = failure instanceof Error ? (failure.cause ?? failure) : failure;
    console.error(reason instanceof Error ? reason.message : String(reason));
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildCli()
    .parseAsync(process.argv)
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}

/**
 * `cli.js plan --input migration.json [--json]`: starts the migrationPlan workflow
 * ("migration-<account>/plan", visible in the Web UI), waits for it and prints its report from the
 * input's blob store: Markdown, or the JSON with --json. Writes nothing but the plan's report.
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { PlanSummary } from '../activities/plan/report.js';
import { parseMigrationInput, taskQueues, workflowIds } from '../config.js';
import { createBlobStore } from '../storage/index.js';

/** The plan's workflow id: one plan per account at a time, another one may follow. */
export const planWorkflowId = (account: number) => workflowIds.child(account, 'plan');

export async function runPlan(
  client: Client,
  inputFile: string,
  options: { json?: boolean; write?: (text: string) => void; log?: (text: string) => void } = {},
): Promise<PlanSummary> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const log = options.log ?? ((text: string) => console.error(text));
  const raw: unknown = JSON.parse(readFileSync(inputFile, 'utf8'));
  const parsed = parseMigrationInput(raw);
  if (!parsed.ok) throw new Error(`invalid migration input: ${parsed.problems}`);
  const workflowId = planWorkflowId(parsed.input.account);
  const handle = await client.workflow.start('migrationPlan', {
    taskQueue: taskQueues.main,
    workflowId,
    args: [raw],
    // A plan that is running already is waited for rather than started twice.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  log(`planning: ${workflowId} (reads the whole Intercom workspace; see its progress in the Web UI)`);
  const summary = (await handle.result()) as PlanSummary;
  const store = createBlobStore(parsed.input.blobStoreUrl);
  const body = await store.get(options.json ? summary.reportKey : summary.markdownKey);
  if (!body)
    throw new Error(`the plan finished but its report is not at ${summary.reportKey} in ${store.url}`);
  write(body.toString('utf8'));
  return summary;
}

export function addPlanCommand(program: Command, connect: () => Promise<Client>): void {
  program
    .command('plan')
    .description(
      'what a migration would move and cost (requests, time, storage), reading Intercom and Chatwoot without writing',
    )
    .requiredOption('--input <file>', 'migration input JSON (see README)')
    .option('--json', 'the JSON report instead of Markdown')
    .action(async (options: { input: string; json?: boolean }) => {
      const client = await connect();
      const summary = await runPlan(client, options.input, { json: options.json });
      if (summary.findings.blockers > 0) process.exitCode = 2;
    });
}

/**
 * Running an account again (a rehearsal, then the real run; or a second run after a fix) meets the
 * previous run's workflows by id: `migration-<account>` while it still runs, and the year-long
 * `migration-<account>/retention` reminder it left behind. The new run's own reminder would clash
 * with the old one at the very end of its rollout, weeks later. `cli.js start` checks both before
 * it starts anything and says what is running and what to do; with `--replace-previous` it ends the
 * old reminder itself, after recording what it had been told (README, "Running an account again").
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { workflowIds } from './config.js';

export class PreviousRunError extends Error {
  override name = 'PreviousRunError';
}

export interface PreviousRetention {
  workflowId: string;
  runId: string;
  startedAt?: string;
  /** What its Current Details said (the review date, whether it waits for a decision). */
  details?: string;
  /** retentionDecision signals it had received: a decision sent early is carried out only when due. */
  decisionsReceived: number;
}

async function runningDescription(client: Client, workflowId: string) {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? description : undefined;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** What the old reminder knew, from the server (its history) and, when a worker answers, its details. */
async function recordRetention(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<PreviousRetention> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory();
  const decisionsReceived = (history.events ?? []).filter(
    (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'retentionDecision',
  ).length;
  const details = await client
    .withDeadline(Date.now() + 5_000, () =>
      handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata'),
    )
    .then(
      (metadata) => metadata.currentDetails,
      () => undefined,
    );
  const description = await handle.describe();
  return {
    workflowId,
    runId,
    startedAt: description.startTime.toISOString(),
    details,
    decisionsReceived,
  };
}

/**
 * Throws a PreviousRunError naming what runs and the command that ends it, unless nothing of a
 * previous run is running; with `replacePrevious`, ends the previous retention reminder instead and
 * returns what it had recorded. A previous migration still running is never ended here: it may be
 * mid-rollout, and ending it is a decision to take by hand.
 */
export async function clearPreviousRun(
  client: Client,
  account: number,
  options: { replacePrevious?: boolean } = {},
): Promise<PreviousRetention | undefined> {
  const migrationId = workflowIds.migration(account);
  const migration = await runningDescription(client, migrationId);
  if (migration) {
    throw new PreviousRunError(
      `${migrationId} is still running (started ${migration.startTime.toISOString()}): an account runs one migration at a time. ` +
        `Wait for it (node dist/src/cli.js status --account ${account} --follow), or, if it is to be abandoned, end it with ` +
        `\`temporal workflow terminate --workflow-id ${migrationId} --reason "replaced by a new run"\` and start again. ` +
        'What it already wrote to Chatwoot stays; the new run finds it and does not write it twice.',
    );
  }
  const retentionId = workflowIds.child(account, 'retention');
  const retention = await runningDescription(client, retentionId);
  if (!retention) return undefined;
  if (!options.replacePrevious) {
    throw new PreviousRunError(
      `${retentionId}, the retention reminder of a previous run of account ${account} (started ${retention.startTime.toISOString()}), is still running, ` +
        "and this run's own reminder would clash with it when its rollout ends. If this run replaces that one " +
        '(it was a rehearsal, or it is being redone), run the same command with --replace-previous: it records the old ' +
        "reminder's state, prints it, and ends it. Or end it yourself: " +
        `\`temporal workflow terminate --workflow-id ${retentionId} --reason "replaced by a new run"\`.`,
    );
  }
  const recorded = await recordRetention(client, retentionId, retention.runId);
  await client.workflow
    .getHandle(retentionId, retention.runId)
    .terminate(`replaced by a new run of account ${account}; its state: ${JSON.stringify(recorded)}`);
  return recorded;
}

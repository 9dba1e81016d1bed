/**
 * One migration per Chatwoot account (workflow id "migration-<account>"): export, mapping, import,
 * verification, the four-week rollout with cut-over, then a retention reminder that outlives it.
 * It decides and delegates; children and activities act. Operators steer it with signals from the
 * Web UI or CLI, and see its phase in the MigrationPhase search attribute and its current details.
 */
import {
  ApplicationFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconciliationSummary } from '../activities/contract.js';
import { type MigrationInput, parseMigrationInput, workflowIds } from '../config.js';
import {
  advanceRolloutSignal,
  holdRolloutSignal,
  MIGRATION_PHASE,
  type MigrationPhase,
  type MigrationStatus,
  pauseSignal,
  resumeSignal,
  rollbackRolloutSignal,
  signalDescriptions,
  statusQuery,
} from './definitions.js';
import { exportWorkflow } from './exportWorkflow.js';
import { importWorkflow } from './importWorkflow.js';
import { mappingWorkflow } from './mappingWorkflow.js';
import { retentionReminder } from './retentionReminder.js';
import { rolloutWorkflow } from './rolloutWorkflow.js';
import { verifyWorkflow } from './verifyWorkflow.js';

export interface MigrationResult {
  account: number;
  reconciliation: ReconciliationSummary;
  reconciled: string;
  rolloutFinished: boolean;
  retentionWorkflowId: string;
}

export function reconciliationLine(summary: ReconciliationSummary): string {
  const pair = (p: { expected: number; found: number }) => `${p.found}/${p.expected}`;
  return (
    `reconciled: contacts ${pair(summary.contacts)}, conversations ${pair(summary.conversations)}, ` +
    `messages ${pair(summary.messages)}, attachments ${pair(summary.attachments)}, ` +
    `duplicates ${summary.duplicates}, missing ${summary.missing}`
  );
}

export async function accountMigration(rawInput: unknown): Promise<MigrationResult> {
  const parsed = parseMigrationInput(rawInput);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `invalid migration input: ${parsed.problems}. Fix the JSON input and start the workflow again.`,
    });
  }
  const input: MigrationInput = parsed.input;
  const account = input.account;
  const status: MigrationStatus = { phase: 'starting', paused: false };
  /** The child that pause/resume and rollout signals are forwarded to, while one runs. */
  let activeChildId: string | undefined;

  const forward = async (signalName: string, args: unknown[] = []) => {
    if (!activeChildId) return;
    try {
      await getExternalWorkflowHandle(activeChildId).signal(signalName, ...args);
    } catch (error) {
      // The child may have just finished: nothing to forward to, and nothing lost.
      log.warn('could not forward signal', { signalName, child: activeChildId, error: String(error) });
    }
  };

  setHandler(statusQuery, () => status, {
    description: 'Phase, counts and rollout state of this migration.',
  });
  setHandler(
    pauseSignal,
    async () => {
      status.paused = true;
      describe();
      await forward('pause');
    },
    { description: signalDescriptions.pause },
  );
  setHandler(
    resumeSignal,
    async () => {
      status.paused = false;
      describe();
      await forward('resume');
    },
    { description: signalDescriptions.resume },
  );
  setHandler(advanceRolloutSignal, () => forward('advanceRollout'), {
    description: signalDescriptions.advanceRollout,
  });
  setHandler(holdRolloutSignal, (arg) => forward('holdRollout', [arg]), {
    description: signalDescriptions.holdRollout,
  });
  setHandler(rollbackRolloutSignal, (arg) => forward('rollbackRollout', [arg]), {
    description: signalDescriptions.rollbackRollout,
  });

  function describe(): void {
    const lines = [
      `## Migration of Chatwoot account ${account}`,
      '',
      `**Phase:** ${status.phase}${status.paused ? ' (paused)' : ''}`,
    ];
    if (status.exported) {
      lines.push(
        `**Exported:** ${status.exported.conversations} conversations, ${status.exported.contacts} contacts, ${status.exported.truncated} truncated at 500 parts`,
      );
    }
    if (status.imported) {
      lines.push(
        `**Imported:** ${status.imported.conversations} conversations, ${status.imported.messages} messages, ${status.imported.failed} failed`,
      );
    }
    if (status.reconciled) lines.push(`**Verification:** \`${status.reconciled}\``);
    if (status.rollout) {
      lines.push(
        `**Rollout:** ${status.rollout.percentage}% on Chatwoot${status.rollout.held ? ` (held: ${status.rollout.reason ?? ''})` : ''}`,
      );
    }
    if (activeChildId) lines.push('', `Current step: \`${activeChildId}\``);
    setCurrentDetails(lines.join('\n'));
  }

  async function enterPhase(phase: MigrationPhase): Promise<void> {
    // Pausing holds the migration at the next phase boundary too, not only inside the import.
    if (status.paused) {
      describe();
      await condition(() => !status.paused);
    }
    status.phase = phase;
    upsertSearchAttributes([{ key: MIGRATION_PHASE, value: phase }]);
    describe();
  }

  const childOptions = (name: string) => {
    activeChildId = workflowIds.child(account, name);
    return { workflowId: activeChildId };
  };

  await enterPhase('export');
  const exported = await executeChild(exportWorkflow, { ...childOptions('export'), args: [{ input }] });
  status.exported = {
    conversations: exported.conversations.count,
    contacts: exported.contacts,
    truncated: exported.conversations.truncated ?? 0,
  };

  await enterPhase('mapping');
  await executeChild(mappingWorkflow, { ...childOptions('mapping'), args: [{ input }] });

  await enterPhase('import');
  const imported = await executeChild(importWorkflow, {
    ...childOptions('import'),
    args: [
      {
        input,
        manifestKey: exported.conversations.manifestKey,
        contactsManifestKey: exported.entities.find((e) => e.entity === 'contacts')?.manifestKey,
        paused: status.paused,
      },
    ],
  });
  status.imported = {
    conversations: imported.completed,
    messages: imported.messages,
    failed: imported.failed,
  };

  await enterPhase('verify');
  const reconciliation = await executeChild(verifyWorkflow, { ...childOptions('verify'), args: [{ input }] });
  const reconciled = reconciliationLine(reconciliation);
  status.reconciled = reconciled;

  await enterPhase('rollout');
  const rollout = await executeChild(rolloutWorkflow, {
    ...childOptions('rollout'),
    args: [{ input, exportStartedAt: exported.startedAt }],
  });
  status.rollout = { percentage: rollout.percentage, held: false };
  activeChildId = undefined;

  await enterPhase('retention');
  const retentionWorkflowId = workflowIds.child(account, 'retention');
  // The reminder outlives this workflow by a year: abandoning it keeps the migration's own history
  // short and lets the migration report done at cut-over.
  await startChild(retentionReminder, {
    workflowId: retentionWorkflowId,
    args: [{ input, cutoverAt: rollout.cutoverAt }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });

  await enterPhase('done');
  log.info('migration finished', { account, workflowId: workflowInfo().workflowId });
  return { account, reconciliation, reconciled, rolloutFinished: rollout.finished, retentionWorkflowId };
}

/**
 * One migration per Chatwoot account (workflow id "migration-<account>"): export, mapping, import,
 * verification, the four-week rollout with cut-over, then a retention reminder that outlives it.
 * It decides and delegates; children and activities act. Operators steer it with signals from the
 * Web UI or CLI, and see its phase in the MigrationPhase search attribute and its current details.
 *
 * A preflight check fails the migration at once when a token or the account id is wrong. Later, a
 * token refused mid-way (revoked, rotated) holds the migration with the reason in its status; the
 * operator fixes the workers' environment, restarts them and signals resume, and the refused step
 * runs again: every step is idempotent, so nothing is lost or written twice.
 */
import {
  ApplicationFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconciliationSummary } from '../activities/contract.js';
import type { PreflightActivities, PreflightChatwootActivities } from '../activities/preflight.js';
import { type MigrationInput, parseMigrationInput, workflowIds } from '../config.js';
import { reconciliationLine } from '../reconciliationLine.js';
import { retryAfterAccessFixed } from './accessRefusal.js';
import { chatwootWriteOptions, proxyOn, shortOptions } from './activityOptions.js';
import {
  accessRefusedSignal,
  advanceRolloutSignal,
  childProgressSignal,
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
import { type ExportWorkflowResult, exportWorkflow, IMPORT_FOLLOWS_EXPORT } from './exportWorkflow.js';
import { PREFLIGHT_FAILED } from './failureTypes.js';
import { type ImportTotals, importWorkflow } from './importWorkflow.js';
import { mappingWorkflow } from './mappingWorkflow.js';
import { migrationDetails } from './migrationDetails.js';
import { exportMappingAndImport } from './overlappedImport.js';
import { retentionReminder } from './retentionReminder.js';
import { rolloutWorkflow } from './rolloutWorkflow.js';
import { IMPORT_TICKETS, ticketImport } from './ticketImport.js';
import { verifyWorkflow } from './verifyWorkflow.js';

const preflight = proxyOn<PreflightActivities>(shortOptions);
// Short like the migration queue's check, on the Chatwoot queue's own options otherwise.
const preflightChatwoot = proxyOn<PreflightChatwootActivities>({
  ...chatwootWriteOptions,
  startToCloseTimeout: shortOptions.startToCloseTimeout,
});

/** Marks histories recorded since the migration checks its tokens and account before the export. */
const PREFLIGHT_PATCH = 'preflight-access-check';
/**
 * The preflight's Chatwoot checks on the Chatwoot queue (checkChatwootAccess), Intercom's on this
 * one, side by side: a worker that does not poll chatwoot-writes has no share of the Chatwoot budget,
 * so checkAccess's requests from it went beside the budget the Chatwoot workers share.
 */
const PREFLIGHT_WITHIN_BUDGET = 'preflight-within-budget';

export interface MigrationResult {
  account: number;
  reconciliation: ReconciliationSummary;
  reconciled: string;
  rolloutFinished: boolean;
  retentionWorkflowId: string;
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
  // The run id keys the workers' caches: a re-run of the account never sees this run's cached data.
  const input: MigrationInput = { ...parsed.input, run: parsed.input.run ?? workflowInfo().runId };
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
      status.blocked = undefined;
      describe();
      await forward('resume');
    },
    { description: signalDescriptions.resume },
  );
  setHandler(accessRefusedSignal, ({ reason }) => holdOnRefusal(reason), {
    description: signalDescriptions.accessRefused,
  });
  setHandler(
    childProgressSignal,
    (progress) => {
      if ('import' in progress) {
        const exported = status.exported?.conversations ?? 0;
        const limit = input.import.limit;
        status.importing = { ...progress.import, total: limit > 0 ? Math.min(limit, exported) : exported };
      } else if ('rollout' in progress) {
        const r = progress.rollout;
        status.rollout = { ...r, reason: r.holdReason };
      } else if ('export' in progress && !status.exported) {
        // A late report after the export's result would show a finished export as running.
        status.exporting = progress.export;
      }
      describe();
    },
    { description: signalDescriptions.childProgress },
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
    setCurrentDetails(migrationDetails(account, status, activeChildId, input.import.limit));
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

  function holdOnRefusal(reason: string): void {
    status.paused = true;
    status.blocked = reason;
    log.warn('migration blocked by an access refusal', { account, reason });
    describe();
  }

  /** Runs a phase's child again after an access refusal, once the operator has resumed. */
  const untilAccepted = <T>(runPhase: () => Promise<T>): Promise<T> =>
    retryAfterAccessFixed(runPhase, async (reason) => {
      holdOnRefusal(reason);
      await condition(() => !status.paused);
      return true;
    });

  const childOptions = (name: string) => {
    activeChildId = workflowIds.child(account, name);
    return { workflowId: activeChildId };
  };

  if (patched(PREFLIGHT_PATCH)) {
    describe();
    try {
      if (patched(PREFLIGHT_WITHIN_BUDGET)) {
        const [intercom, chatwoot] = await Promise.allSettled([
          preflight.checkIntercomAccess({ input }),
          preflightChatwoot.checkChatwootAccess({ input }),
        ]);
        // Intercom's verdict first, as checkAccess gave it.
        if (intercom.status === 'rejected') throw intercom.reason;
        if (chatwoot.status === 'rejected') throw chatwoot.reason;
      } else {
        await preflight.checkAccess({ input });
      }
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw ApplicationFailure.create({
        type: PREFLIGHT_FAILED,
        nonRetryable: true,
        message: cause instanceof Error ? cause.message : String(cause),
      });
    }
  }

  const onExported = (result: ExportWorkflowResult) => {
    status.exporting = undefined;
    status.exported = {
      conversations: result.conversations.count,
      contacts: result.contacts,
      truncated: result.conversations.truncated ?? 0,
      rejected: result.conversations.rejected ?? 0,
    };
    describe();
  };
  let exported: ExportWorkflowResult;
  let imported: ImportTotals;
  if (patched(IMPORT_FOLLOWS_EXPORT)) {
    ({ exported, imported } = await exportMappingAndImport({
      input,
      paused: () => status.paused,
      enterPhase,
      untilAccepted,
      childOptions,
      onExported,
    }));
  } else {
    await enterPhase('export');
    exported = await untilAccepted(() =>
      executeChild(exportWorkflow, { ...childOptions('export'), args: [{ input }] }),
    );
    onExported(exported);

    await enterPhase('mapping');
    await untilAccepted(() =>
      executeChild(mappingWorkflow, { ...childOptions('mapping'), args: [{ input }] }),
    );

    await enterPhase('import');
    const contactsManifestKey = exported.entities.find((e) => e.entity === 'contacts')?.manifestKey;
    const manifestKey = exported.conversations.manifestKey;
    imported = await untilAccepted(() =>
      executeChild(importWorkflow, {
        ...childOptions('import'),
        args: [{ input, manifestKey, contactsManifestKey, paused: status.paused, holdOnAccessRefusal: true }],
      }),
    );
  }
  status.importing = undefined;
  status.imported = {
    conversations: imported.completed,
    messages: imported.messages,
    failed: imported.failed,
  };
  // Tickets after the conversations they link to; migrations started before IMPORT_TICKETS have none.
  const exportedTickets = exported.tickets;
  if (patched(IMPORT_TICKETS) && exportedTickets) {
    await untilAccepted(() =>
      executeChild(ticketImport, {
        ...childOptions('tickets'),
        args: [{ input, manifestKey: exportedTickets.manifestKey }],
      }),
    );
  }

  await enterPhase('verify');
  const reconciliation = await untilAccepted(() =>
    executeChild(verifyWorkflow, { ...childOptions('verify'), args: [{ input }] }),
  );
  const reconciled = reconciliationLine(reconciliation);
  status.reconciled = reconciled;

  await enterPhase('rollout');
  const rollout = await executeChild(rolloutWorkflow, {
    ...childOptions('rollout'),
    args: [{ input, exportStartedAt: exported.startedAt }],
  });
  status.rollout = {
    ...status.rollout,
    percentage: rollout.percentage,
    held: false,
    finished: rollout.finished,
  };
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

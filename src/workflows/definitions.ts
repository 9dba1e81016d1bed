/**
 * Signals, queries and the search attribute shared by the migration workflows. Descriptions are
 * what the Temporal Web UI shows in its signal dialog.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const MIGRATION_PHASE = defineSearchAttributeKey('MigrationPhase', SearchAttributeType.KEYWORD);

export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const advanceRolloutSignal = defineSignal<[]>('advanceRollout');
export const holdRolloutSignal = defineSignal<[{ reason?: string }?]>('holdRollout');
export const rollbackRolloutSignal = defineSignal<[{ reason?: string }?]>('rollbackRollout');
export const retentionDecisionSignal = defineSignal<[RetentionDecision]>('retentionDecision');
/** Internal: the export child hands each written conversation chunk to the rehosting child. */
export const attachmentsFoundSignal = defineSignal<[{ chunkKey: string }]>('attachmentsFound');
export const exportFinishedSignal = defineSignal<[]>('exportFinished');
/** Internal: the import child tells the migration that Chatwoot refused the token and it holds. */
export const accessRefusedSignal = defineSignal<[{ reason: string }]>('accessRefused');

export const signalDescriptions = {
  pause: 'Pause the migration after the work in flight (conversations already started finish).',
  resume:
    "Resume a paused migration; after an access refusal, once the token is fixed in the workers' environment and the workers restarted.",
  advanceRollout: 'Move the widget rollout to its next percentage now (10 -> 30 -> 60 -> 100).',
  holdRollout: 'Hold the rollout at its current percentage until advanceRollout; payload {"reason": "..."}.',
  rollbackRollout: 'Move the rollout back one phase; payload {"reason": "..."}.',
  retentionDecision:
    'Decide about the Intercom data after the retention period: {"action": "delete"} or {"action": "keep", "for": "180 days"}.',
} as const;

export type RetentionDecision = { action: 'delete' } | { action: 'keep'; for?: string | number };

export interface MigrationStatus {
  phase: MigrationPhase;
  paused: boolean;
  /** Why the migration holds by itself (a refused token), until an operator fixes it and resumes. */
  blocked?: string;
  exported?: { conversations: number; contacts: number; truncated: number; rejected?: number };
  imported?: { conversations: number; messages: number; failed: number };
  rollout?: { percentage: number; held: boolean; reason?: string };
  reconciled?: string;
}

export type MigrationPhase =
  | 'starting'
  | 'export'
  | 'mapping'
  | 'import'
  | 'verify'
  | 'rollout'
  | 'cutover'
  | 'retention'
  | 'done'
  | 'failed';

export const statusQuery = defineQuery<MigrationStatus>('status');

export interface ImportProgress {
  started: number;
  completed: number;
  failed: number;
  messages: number;
  inFlight: number;
  paused: boolean;
  runs: number;
}
export const importProgressQuery = defineQuery<ImportProgress>('progress');

export interface RolloutPhaseChange {
  at: string;
  percentage: number;
  reason: string;
}
export interface RolloutStatus {
  phaseIndex: number;
  percentage: number;
  held: boolean;
  holdReason?: string;
  paused: boolean;
  history: RolloutPhaseChange[];
  finished: boolean;
}
export const rolloutStatusQuery = defineQuery<RolloutStatus>('rolloutStatus');

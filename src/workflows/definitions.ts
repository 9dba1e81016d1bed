/**
 * Signals, queries and the search attribute shared by the migration workflows. Descriptions are
 * what the Temporal Web UI shows in its signal dialog.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EntityExportResult, ExportedSoFar } from '../activities/contract.js';
import type { ChatwootRequestRate } from './requestRate.js';

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
/**
 * Internal: the export child tells the migration which entities it has finished (ids, counts and
 * manifest keys only), so the mapping and the import start before the conversations are all exported.
 */
export const entitiesExportedSignal = defineSignal<[{ entities: EntityExportResult[] }]>('entitiesExported');
/** Internal: the import child tells the migration that Chatwoot refused the token and it holds. */
export const accessRefusedSignal = defineSignal<[{ reason: string }]>('accessRefused');
/** Internal: the export, import and rollout children report their progress for the migration's page. */
export const childProgressSignal = defineSignal<[ChildProgress]>('childProgress');

/** The import's progress, sent to the migration every few seconds (see migrationDetails.ts). */
export interface ImportProgressSummary {
  stage: 'contacts' | 'conversations';
  /** Conversations to import (the export's count, or the input's limit): set by the migration. */
  total?: number;
  completed: number;
  failed: number;
  messages: number;
  inFlight: number;
  /** The import's window: conversations it may have in flight at once (its share of the budget). */
  windowSize: number;
  /** Conversations finished (completed or failed) per minute over the last samples; absent at first. */
  perMinute?: number;
  /** Chatwoot requests per second the workers send, against the budget (absent without a budget). */
  chatwoot?: ChatwootRequestRate;
  paused: boolean;
  /** Workflow time of the sample (ms). */
  at: number;
}

/** The conversations' export so far, sent by the rehosting child as it lists the export's manifest. */
export interface ExportProgressSummary extends ExportedSoFar {
  /** Conversations handled (written, left out, set aside) per minute over the last samples. */
  perMinute?: number;
  /** Workflow time of the sample (ms). */
  at: number;
}

export interface RolloutProgressSummary {
  percentage: number;
  /** "2 of 4", or "not started", "cut-over". */
  phase: string;
  held: boolean;
  holdReason?: string;
  paused: boolean;
  /** The latest changes (at most five); `changes` counts them all. */
  history: RolloutPhaseChange[];
  changes: number;
  finished: boolean;
}

export type ChildProgress =
  | { import: ImportProgressSummary }
  | { rollout: RolloutProgressSummary }
  | { export: ExportProgressSummary };

export const signalDescriptions = {
  pause: 'Pause the migration after the work in flight (conversations already started finish).',
  resume:
    "Resume a paused migration; after an access refusal, once the token is fixed in the workers' environment and the workers restarted.",
  advanceRollout: 'Move the widget rollout to its next percentage now (10 -> 30 -> 60 -> 100).',
  holdRollout: 'Hold the rollout at its current percentage until advanceRollout; payload {"reason": "..."}.',
  rollbackRollout: 'Move the rollout back one phase; payload {"reason": "..."}.',
  accessRefused:
    'Internal, sent by the import when Chatwoot refuses the token: do not send it by hand. To go on after a refusal, fix the token and send resume.',
  childProgress:
    'Internal, sent by the export, the import and the rollout with their progress for this page: do not send it by hand (it changes nothing but the details shown).',
  retentionDecision:
    'Decide about the data after the retention period: {"action": "keep", "for": "180 days"}, or {"action": "delete"} (the Intercom contacts), or {"action": "delete", "what": ["intercom-contacts", "intercom-conversations", "snapshot"]} (any of them) or {"action": "delete", "what": "all"}; with conversations, "conversationMetrics": "delete" also removes Intercom\'s reporting data.',
} as const;

export type RetentionDecision =
  | {
      action: 'delete';
      /** Absent: the Intercom contacts only (the decision's first meaning). */
      what?: 'all' | ('intercom-contacts' | 'intercom-conversations' | 'snapshot')[];
      /** With the conversations: 'delete' passes retain_metrics=false (default 'keep'). */
      conversationMetrics?: 'keep' | 'delete';
    }
  | { action: 'keep'; for?: string | number };

export interface MigrationStatus {
  phase: MigrationPhase;
  paused: boolean;
  /** Why the migration holds by itself (a refused token), until an operator fixes it and resumes. */
  blocked?: string;
  exported?: { conversations: number; contacts: number; truncated: number; rejected?: number };
  imported?: { conversations: number; messages: number; failed: number };
  /** The import's latest progress while it runs (migrations started since IMPORT_PROGRESS_PATCH). */
  importing?: ImportProgressSummary;
  /** The conversations' export while it runs (migrations started since EXPORT_REPORTS_PROGRESS). */
  exporting?: ExportProgressSummary;
  rollout?: { percentage: number; held: boolean; reason?: string } & Partial<RolloutProgressSummary>;
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
  /** Messages of the completed conversations that exist in Chatwoot, whichever attempt wrote them. */
  messages: number;
  /** Of those, the ones this run's finishing attempts posted. */
  messagesPosted?: number;
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

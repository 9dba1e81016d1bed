/**
 * What the migration's page (Current Details in the Web UI) and `cli.js status --follow` say, built
 * from the migration's status alone so both tell the same story. Pure: the workflow bundle imports it,
 * and so does the CLI. Counts and reasons only, never a contact's or a message's content.
 */
import type { ImportProgressSummary, MigrationStatus } from './definitions.js';
import { handledSoFar } from './exportProgress.js';
import type { ChatwootRequestRate } from './requestRate.js';

export interface ImportFigures {
  total: number;
  done: number;
  completed: number;
  failed: number;
  setAside: number;
  messages: number;
  perMinute?: number;
  /** Seconds left at the current rate; absent while paused or before a rate is known. */
  etaSeconds?: number;
  inFlight: number;
  windowSize: number;
  /** The Chatwoot request rate the workers send against the budget (absent without a budget). */
  chatwoot?: ChatwootRequestRate;
  /** The export still runs: `total` is what it has written so far. */
  followingExport: boolean;
  stage: ImportProgressSummary['stage'];
  paused: boolean;
}

export interface ExportFigures {
  exported: number;
  leftOut: number;
  rejected: number;
  /** Against `total`: conversations got through (written, left out, set aside), or written under a limit. */
  done: number;
  /** Intercom's count (or the rehearsal's limit); absent when Intercom gave none. */
  total?: number;
  limited: boolean;
  perMinute?: number;
  etaSeconds?: number;
  complete: boolean;
}

/** The conversations' export while it runs, from the rehosting child's reports (EXPORT_REPORTS_PROGRESS). */
export function exportFigures(status: MigrationStatus): ExportFigures | undefined {
  const e = status.exporting;
  if (!e || status.exported) return undefined;
  const limited = e.limit > 0;
  // A rehearsal stops after `limit` written conversations: progress counts those only.
  const done = limited ? e.conversations : handledSoFar(e);
  const total = limited ? Math.min(e.limit, e.listed ?? e.limit) : e.listed;
  const rate = e.perMinute;
  const etaSeconds =
    total !== undefined && rate !== undefined && rate > 0 && !status.paused
      ? Math.round((Math.max(0, total - done) / rate) * 60)
      : undefined;
  return {
    exported: e.conversations,
    leftOut: e.leftOut,
    rejected: e.rejected,
    done,
    total,
    limited,
    perMinute: rate,
    etaSeconds,
    complete: e.complete,
  };
}

/** Conversations to import: the export's count, or the rehearsal's limit when it is smaller. */
export function importFigures(status: MigrationStatus, limit = 0): ImportFigures | undefined {
  const progress = status.importing;
  if (!progress) return undefined;
  // Following the export, the total grows with it: what is exported so far, until the export ends.
  const following = !status.exported;
  if (following && !status.exporting) return undefined;
  const exported = status.exported?.conversations ?? status.exporting?.conversations ?? 0;
  const total = following ? exported : (progress.total ?? (limit > 0 ? Math.min(limit, exported) : exported));
  const done = progress.completed + progress.failed;
  const paused = progress.paused || status.paused;
  const rate = progress.perMinute;
  // While it follows the export the import's end is the export's: its ETA says so, not a guess.
  const etaSeconds =
    !paused && !following && rate !== undefined && rate > 0
      ? Math.round((Math.max(0, total - done) / rate) * 60)
      : undefined;
  return {
    total,
    followingExport: following,
    done,
    completed: progress.completed,
    failed: progress.failed,
    setAside: status.exported?.rejected ?? status.exporting?.rejected ?? 0,
    messages: progress.messages,
    perMinute: rate,
    etaSeconds,
    inFlight: progress.inFlight,
    windowSize: progress.windowSize,
    ...(progress.chatwoot ? { chatwoot: progress.chatwoot } : {}),
    stage: progress.stage,
    paused,
  };
}

/** "1 h 05 min", "4 min 10 s", "35 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

const rateText = (f: ImportFigures) =>
  f.perMinute === undefined
    ? 'measuring'
    : `${f.perMinute.toFixed(f.perMinute < 10 ? 1 : 0)} conversations/min`;
const etaText = (f: ImportFigures) =>
  f.paused
    ? 'paused'
    : f.followingExport
      ? 'after the export (the import follows it)'
      : f.etaSeconds === undefined
        ? 'measuring'
        : formatDuration(f.etaSeconds);
const followingText = (f: ImportFigures) => (f.followingExport ? ' exported so far' : '');
const inFlightText = (f: ImportFigures) =>
  f.windowSize > 0
    ? `${f.inFlight} of ${f.windowSize} conversations in flight`
    : `${f.inFlight} conversations in flight`;
const oneDecimal = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
/** "14.2 of 16 Chatwoot requests/s (89%), 2 workers": measured at the workers' pacing. */
const requestRateText = (rate: ChatwootRequestRate) => {
  const share =
    rate.budgetPerSecond > 0 ? Math.round((rate.requestsPerSecond / rate.budgetPerSecond) * 100) : 0;
  return `${oneDecimal(rate.requestsPerSecond)} of ${oneDecimal(rate.budgetPerSecond)} Chatwoot requests/s (${share}%), ${rate.workers} worker${rate.workers === 1 ? '' : 's'}`;
};
/** The request rate against the budget when the workers report one; the window otherwise. */
const budgetText = (f: ImportFigures) =>
  f.chatwoot ? `${requestRateText(f.chatwoot)}; ${inFlightText(f)}` : inFlightText(f);

const exportRateText = (f: ExportFigures) =>
  f.perMinute === undefined
    ? 'measuring'
    : `${f.perMinute.toFixed(f.perMinute < 10 ? 1 : 0)} conversations/min`;
const exportEtaText = (f: ExportFigures, paused: boolean) =>
  paused
    ? 'paused'
    : f.complete
      ? 'done'
      : f.etaSeconds === undefined
        ? f.total === undefined
          ? 'unknown (Intercom gave no total)'
          : 'measuring'
        : formatDuration(f.etaSeconds);
const exportProgressText = (f: ExportFigures) =>
  f.total === undefined
    ? `${f.done} conversations`
    : `${f.done}/${f.total} conversations${f.limited ? ' (rehearsal limit)' : ''}`;

/** One line for logs and the CLI: the same figures as the page. */
export function progressLine(status: MigrationStatus, limit = 0): string {
  const phase = status.blocked ? 'blocked' : `${status.phase}${status.paused ? ' (paused)' : ''}`;
  const parts = [`phase ${phase}`];
  const x = exportFigures(status);
  if (x) {
    parts.push(
      `export ${exportProgressText(x)}`,
      `exported ${x.exported}`,
      ...(x.leftOut > 0 ? [`left out ${x.leftOut}`] : []),
      ...(x.rejected > 0 ? [`set aside ${x.rejected}`] : []),
      `export rate ${exportRateText(x)}`,
      `export ETA ${exportEtaText(x, status.paused)}`,
    );
  }
  const f = status.phase === 'import' ? importFigures(status, limit) : undefined;
  if (f) {
    if (f.stage === 'contacts') parts.push('importing contacts');
    parts.push(
      `conversations ${f.done}/${f.total}${followingText(f)}`,
      `failed ${f.failed}`,
      `set aside ${f.setAside}`,
      `messages ${f.messages}`,
      `rate ${rateText(f)}`,
      `ETA ${etaText(f)}`,
      `budget ${budgetText(f)}`,
    );
  } else if (status.imported) {
    parts.push(
      `imported ${status.imported.conversations} conversations, ${status.imported.messages} messages, ${status.imported.failed} failed`,
    );
  } else if (status.exported) {
    parts.push(
      `exported ${status.exported.conversations} conversations, ${status.exported.contacts} contacts`,
    );
  }
  if (status.reconciled && status.phase !== 'import') parts.push(`verification ${status.reconciled}`);
  if (status.rollout) {
    parts.push(
      `rollout ${status.rollout.percentage}%${status.rollout.held ? ` held (${status.rollout.reason ?? status.rollout.holdReason ?? ''})` : ''}`,
    );
  }
  if (status.blocked) parts.push(`blocked: ${status.blocked}`);
  return parts.join(' | ');
}

/** Reasons are typed by operators: a pipe or a line break would break the table. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

const WHAT_TO_DO_WHEN_BLOCKED =
  "Fix what it names (a token: in the workers' environment, then restart the workers; an agent's access: in Chatwoot), then signal **resume**.";

/** Current Details of the migration: headings, lists and a table, as the Web UI renders Markdown. */
export function migrationDetails(
  account: number,
  status: MigrationStatus,
  activeChildId: string | undefined,
  limit = 0,
): string {
  const out: string[] = [`## Migration of Chatwoot account ${account}`, ''];
  out.push(`**Phase:** ${status.phase}${status.paused ? ' (paused: signal **resume** to go on)' : ''}`, '');
  if (status.blocked) {
    out.push('### Blocked', '', `**Blocked:** ${status.blocked}`, '', WHAT_TO_DO_WHEN_BLOCKED, '');
  }
  if (status.exported) {
    const e = status.exported;
    out.push(
      '### Export',
      '',
      `- ${e.conversations} conversations, ${e.contacts} contacts`,
      `- ${e.truncated} truncated at 500 parts`,
      `- ${e.rejected ?? 0} set aside (malformed or oversized; listed in the report)`,
      '',
    );
  }
  const x = exportFigures(status);
  if (x) {
    out.push(
      '### Export: conversations',
      '',
      '| | |',
      '| --- | --- |',
      `| Progress | ${exportProgressText(x)}${x.total ? ` (${Math.floor((Math.min(x.done, x.total) / x.total) * 100)}%)` : ''} |`,
      `| Exported | ${x.exported} |`,
      `| Left out by the filters | ${x.leftOut} |`,
      `| Set aside (malformed or oversized) | ${x.rejected} |`,
      `| Rate | ${exportRateText(x)} |`,
      `| ETA | ${exportEtaText(x, status.paused)} |`,
      '',
    );
  }
  const f = status.phase === 'import' ? importFigures(status, limit) : undefined;
  if (f) {
    out.push(
      `### Import${f.stage === 'contacts' ? ': contacts first' : ''}`,
      '',
      '| | |',
      '| --- | --- |',
      `| Done | ${f.done} / ${f.total} conversations${followingText(f)} |`,
      `| Failed | ${f.failed} |`,
      `| Set aside at export | ${f.setAside} |`,
      `| Messages posted | ${f.messages} |`,
      `| Rate | ${rateText(f)} |`,
      `| ETA | ${etaText(f)} |`,
      `| Budget in use | ${budgetText(f)} |`,
      '',
    );
  } else if (status.imported) {
    const i = status.imported;
    out.push(
      '### Import',
      '',
      `- ${i.conversations} conversations, ${i.messages} messages`,
      `- ${i.failed} failed`,
      '',
    );
  }
  if (status.reconciled) out.push('### Verification', '', `\`${status.reconciled}\``, '');
  if (status.rollout) {
    const r = status.rollout;
    const reason = r.reason ?? r.holdReason;
    out.push(
      '### Rollout',
      '',
      `- **${r.percentage}%** of visitors on Chatwoot${r.phase ? ` (phase ${r.phase})` : ''}`,
    );
    if (r.held) out.push(`- **Held:** ${reason ?? ''} (signal **advanceRollout** to go on)`);
    if (r.paused) out.push('- **Paused:** no delta sync and no phase change until **resume**');
    if (r.finished) out.push('- Cut-over done');
    out.push('');
    if (r.history && r.history.length > 0) {
      const earlier = (r.changes ?? r.history.length) - r.history.length;
      out.push('| when (UTC) | % | why |', '| --- | --- | --- |');
      for (const change of r.history) {
        out.push(
          `| ${change.at.slice(0, 19).replace('T', ' ')} | ${change.percentage} | ${cell(change.reason)} |`,
        );
      }
      if (earlier > 0) out.push('', `${earlier} earlier changes: query rolloutStatus on the rollout child.`);
      out.push('');
    }
  }
  if (activeChildId) out.push(`Current step: \`${activeChildId}\``);
  return out.join('\n').trimEnd();
}

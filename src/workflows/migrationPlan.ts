/**
 * The plan of a migration ("migration-<account>/plan"): before anything is written, what would move
 * and what it would cost. The preflight's checks (activities/preflight.ts, the same activity the
 * migration runs first), then a read of the whole Intercom workspace the way the export reads it
 * (intercom-reads), then the report (Chatwoot's agents, inboxes and labels, the estimate), which is
 * the only thing it writes: reports/plan.json and plan.md in the blob store.
 *
 * Started by `cli.js plan --input migration.json` or by hand:
 *   temporal workflow start --type migrationPlan --task-queue migration \
 *     --workflow-id migration-<account>/plan --input-file migration.json
 * A failed check does not fail the plan: it is a finding of the report, as the operator needs the rest.
 */
import { ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import type { PlanSurveyActivities } from '../activities/plan/intercomSurvey.js';
import type { PlanReportActivities, PlanSummary, PreflightOutcome } from '../activities/plan/report.js';
import type { PreflightActivities } from '../activities/preflight.js';
import { parseMigrationInput } from '../config.js';
import { intercomExportOptions, proxyOn, shortOptions } from './activityOptions.js';

/** A wrong token fails the same way every time: three tries are enough to tell it from a blip. */
const preflight = proxyOn<PreflightActivities>({
  ...shortOptions,
  retry: { ...shortOptions.retry, maximumAttempts: 3 },
});
const survey = proxyOn<PlanSurveyActivities>({
  ...intercomExportOptions,
  retry: { ...intercomExportOptions.retry, maximumAttempts: 5 },
});
const report = proxyOn<PlanReportActivities>(shortOptions);

/** The failure's own message (the activity's, under Temporal's ActivityFailure). */
function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function migrationPlan(rawInput: unknown): Promise<PlanSummary> {
  const parsed = parseMigrationInput(rawInput);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `invalid migration input: ${parsed.problems}. Fix the JSON input and start the plan again.`,
    });
  }
  const input = parsed.input;
  const details = (step: string) =>
    setCurrentDetails(
      `## Migration plan for account ${input.account}\n\n- step: ${step}\n- writes: nothing but the plan's report\n`,
    );

  details('preflight (access checks)');
  let checked: PreflightOutcome;
  try {
    checked = { ok: true, result: await preflight.checkAccess({ input }) };
  } catch (error) {
    checked = { ok: false, message: messageOf(error) };
  }

  details('reading Intercom (every conversation the filters keep, as the export will)');
  let surveyed: Awaited<ReturnType<typeof survey.surveyIntercom>> | undefined;
  let surveyFailure: string | undefined;
  try {
    surveyed = await survey.surveyIntercom({ input });
  } catch (error) {
    surveyFailure = messageOf(error);
  }

  details('reading Chatwoot and writing the report');
  const summary = await report.writePlanReport({
    input,
    preflight: checked,
    survey: surveyed,
    surveyFailure,
  });
  setCurrentDetails(
    [
      `## Migration plan for account ${input.account}`,
      '',
      '| | |',
      '|---|---|',
      `| conversations | ${summary.conversations} |`,
      `| contacts | ${summary.contacts} |`,
      `| Chatwoot requests | ${summary.chatwootRequests} |`,
      `| Intercom requests | ${summary.intercomRequests} |`,
      `| wall time | about ${Math.round(summary.wallSeconds / 60)} min (${summary.wallSeconds} s) |`,
      `| blob store | ${summary.blobBytes} bytes |`,
      `| blockers / warnings | ${summary.findings.blockers} / ${summary.findings.warnings} |`,
      '',
      `Report: \`${summary.markdownKey}\` in the blob store (\`cli.js plan\` prints it).`,
      '',
    ].join('\n'),
  );
  return summary;
}

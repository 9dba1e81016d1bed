/**
 * The plan's last step (migration queue, like the preflight it follows): reads what Chatwoot has
 * (agents, inboxes, labels) and Intercom's tag and admin names, matches them, makes the estimate
 * (src/plan/estimate.ts) and writes the plan's report, the only thing a plan writes. Names and
 * e-mails go to the report in the blob store, never to the workflow: it gets counts and keys back.
 */
import { type MigrationInput, taskQueues } from '../../config.js';
import { labelTitle, normalizeEmail, planLabels } from '../../mapping/index.js';
import { estimatePlan } from '../../plan/estimate.js';
import { filtersLine, type PlanFinding, type PlanReport, renderPlanMarkdown } from '../../plan/report.js';
import { putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import type { AccessCheckResult } from '../preflight.js';
import type { OnQueue } from '../queues.js';
import { emptyPlanCounts, type IntercomSurvey } from './intercomSurvey.js';

/** What the preflight said: its result, or the message it failed with (ids only, no personal data). */
export type PreflightOutcome = { ok: true; result: AccessCheckResult } | { ok: false; message: string };

export interface PlanReportArgs {
  input: MigrationInput;
  preflight: PreflightOutcome;
  /** Absent when the survey failed; `surveyFailure` says why. */
  survey?: IntercomSurvey;
  surveyFailure?: string;
}

/** The workflow's result: counts and keys only. */
export interface PlanSummary {
  account: number;
  reportKey: string;
  markdownKey: string;
  conversations: number;
  contacts: number;
  attachmentBytes: number;
  chatwootRequests: number;
  intercomRequests: number;
  wallSeconds: number;
  blobBytes: number;
  findings: { blockers: number; warnings: number };
}

export const planReportQueue = taskQueues.main;

export function createPlanReportActivities(deps: ActivityDeps) {
  async function writePlanReport(args: PlanReportArgs): Promise<PlanSummary> {
    const { input, preflight, survey } = args;
    const findings: PlanFinding[] = [];
    if (preflight.ok) {
      const automations = preflight.result.automations;
      const active = (automations?.activeAutomationRules ?? 0) + (automations?.webhooks ?? 0);
      findings.push({
        source: 'preflight',
        severity: 'info',
        message: `access checked: Intercom admin ${preflight.result.intercomAdminId}${preflight.result.intercomRegion ? ` (region ${preflight.result.intercomRegion})` : ''}, Chatwoot user ${preflight.result.chatwootUserId} administrator of account ${input.account}, ${preflight.result.agentTokensChecked} agent tokens`,
      });
      if (active > 0)
        findings.push({
          source: 'preflight',
          severity: 'warning',
          message: `${automations?.activeAutomationRules ?? 0} active automation rules and ${automations?.webhooks ?? 0} webhooks will run on every imported conversation and message (allowed by chatwoot.allowActiveAutomations)`,
        });
    } else {
      findings.push({ source: 'preflight', severity: 'blocker', message: preflight.message });
    }
    if (args.surveyFailure)
      findings.push({
        source: 'plan',
        severity: 'blocker',
        message: `reading Intercom failed: ${args.surveyFailure}`,
      });

    const intercom = deps.intercom(input);
    const chatwoot = deps.chatwoot(input);
    let intercomReads = 0;
    let chatwootReads = 0;
    // Each of the plan's Chatwoot reads is one request, sent alone: its time is an answer time.
    const chatwootAnswers: number[] = [];
    const read = async <T>(
      side: 'intercom' | 'chatwoot',
      what: string,
      load: () => Promise<T>,
      fallback: T,
    ) => {
      if (side === 'intercom') intercomReads++;
      else chatwootReads++;
      try {
        const sentAt = performance.now();
        const answer = await load();
        if (side === 'chatwoot') chatwootAnswers.push(performance.now() - sentAt);
        return answer;
      } catch (error) {
        findings.push({
          source: 'plan',
          severity: 'blocker',
          message: `${what}: ${error instanceof Error ? error.message : String(error)}`,
        });
        return fallback;
      }
    };
    const tags = await read('intercom', 'Intercom tags', () => intercom.tags(), []);
    const admins = await read('intercom', 'Intercom admins', () => intercom.admins(), []);
    const agents = await read('chatwoot', 'Chatwoot agents', () => chatwoot.listAgents(), []);
    const inboxes = await read('chatwoot', 'Chatwoot inboxes', () => chatwoot.listInboxes(), []);
    const labels = await read('chatwoot', 'Chatwoot labels', () => chatwoot.listLabels(), []);

    const labelPlan = planLabels(tags.map((tag) => tag.name));
    const tagsRenamed = [...new Set(tags.map((tag) => tag.name))]
      .filter((name) => labelTitle(name) !== name)
      .sort()
      .map((tag) => ({ tag, label: labelTitle(tag) }));
    const existingLabels = new Set(labels.map((label) => label.title));
    const wanted = new Set(['from_intercom', ...labelPlan.labels.map((label) => label.title)]);
    const labelsExisting = [...wanted].filter((title) => existingLabels.has(title)).length;

    const agentsByEmail = new Map(agents.map((agent) => [normalizeEmail(agent.email ?? ''), agent]));
    const withoutAgent: PlanReport['admins']['withoutAgent'] = [];
    const withoutToken: PlanReport['admins']['withoutToken'] = [];
    const matchedAdmins: string[] = [];
    for (const admin of admins) {
      const email = normalizeEmail(admin.email ?? '');
      const entry = { adminId: admin.id, name: admin.name ?? undefined, email: admin.email ?? undefined };
      if (!email || !agentsByEmail.has(email)) withoutAgent.push(entry);
      else {
        matchedAdmins.push(admin.id);
        if (!deps.hasAgentToken(email)) withoutToken.push(entry);
      }
    }
    if (withoutAgent.length)
      findings.push({
        source: 'plan',
        severity: 'warning',
        message: `${withoutAgent.length} Intercom admins have no Chatwoot agent with their e-mail (listed below)`,
      });
    if (withoutToken.length)
      findings.push({
        source: 'plan',
        severity: 'info',
        message: `${withoutToken.length} matched agents have no token in CHATWOOT_AGENT_TOKENS (listed below)`,
      });
    const archiveInboxExists = inboxes.some((inbox) => inbox.name === input.chatwoot.inboxName);

    const counts = survey?.counts ?? emptyPlanCounts();
    // Labels that exist already are not created again.
    counts.setup.labels = Math.max(0, wanted.size - labelsExisting);
    const estimate = estimatePlan(counts, {
      chatwootRequestsPerSecond: deps.env.chatwootRequestsPerSecond,
      intercomPer10s: survey?.rateLimitPer10s,
      intercomRequestsPerSecond: deps.env.intercomRequestsPerSecond,
      matchedAdmins,
      agentTokens: Object.keys(deps.env.chatwootAgentTokens).length,
      windowSize: input.import.windowSize,
      chatwootAnswerMs: median(chatwootAnswers),
    });
    if (survey && survey.overPartsCap.count > 0)
      findings.push({
        source: 'plan',
        severity: 'info',
        message: `${survey.overPartsCap.count} conversations have more than 500 parts: Intercom serves their first 500, the import notes the rest as missing`,
      });

    const report: PlanReport = {
      account: input.account,
      generatedAt: new Date().toISOString(),
      filters: filtersLine(input.filters),
      counts: {
        contacts: counts.contacts.listed - counts.contacts.mergedByEmail,
        contactsMergedByEmail: counts.contacts.mergedByEmail,
        contactNotes: counts.contacts.notes,
        companies: survey?.companies ?? 0,
        conversations: counts.conversations.count,
        conversationParts: survey?.parts.conversations ?? 0,
        messages: counts.conversations.messages,
        tickets: counts.tickets.count,
        ticketParts: survey?.parts.tickets ?? 0,
        attachments: survey?.attachments.count ?? 0,
        attachmentBytes: survey?.attachments.bytes ?? 0,
        attachmentSizes: {
          fromFilesize: survey?.attachments.sizedByFilesize ?? 0,
          fromLink: survey?.attachments.sizedByLink ?? 0,
          unknown: survey?.attachments.unknownSize ?? 0,
        },
        tags: tags.length,
        teams: survey?.teams ?? 0,
        admins: admins.length,
        unreadableConversations: survey?.unreadable ?? 0,
      },
      leftOut: survey?.leftOut ?? {
        conversations: { 'updated-before': 0, state: 0, 'excluded-tag': 0 },
        contacts: { unreferenced: 0 },
      },
      overPartsCap: survey?.overPartsCap ?? { count: 0, listed: [] },
      tagsRenamed,
      tagsMerged: labelPlan.merges.map((merge) => ({ label: merge.title, tags: merge.tags })),
      admins: { withoutAgent, withoutToken },
      chatwoot: {
        agents: agents.length,
        inboxes: inboxes.length,
        labels: labels.length,
        archiveInboxExists,
        labelsExisting,
      },
      findings,
      estimate,
      basis: counts,
      planCost: {
        intercomRequests: (survey?.surveyRequests ?? 0) + intercomReads + (preflight.ok ? 1 : 0),
        chatwootRequests: chatwootReads + (preflight.ok ? 4 + preflight.result.agentTokensChecked : 0),
      },
    };
    const store = deps.store(input);
    const reportKey = blobLayout.planReport(input.account);
    const markdownKey = blobLayout.planReportMarkdown(input.account);
    await putJson(store, reportKey, report);
    await store.put(markdownKey, renderPlanMarkdown(report), { contentType: 'text/markdown' });
    return {
      account: input.account,
      reportKey,
      markdownKey,
      conversations: report.counts.conversations,
      contacts: report.counts.contacts,
      attachmentBytes: report.counts.attachmentBytes,
      chatwootRequests: estimate.chatwoot.requests,
      intercomRequests: estimate.intercom.requests,
      wallSeconds: Math.round(estimate.wallSeconds),
      blobBytes: estimate.blobBytes,
      findings: {
        blockers: findings.filter((f) => f.severity === 'blocker').length,
        warnings: findings.filter((f) => f.severity === 'warning').length,
      },
    };
  }

  return { writePlanReport };
}

export type PlanReportActivities = OnQueue<
  typeof planReportQueue,
  ReturnType<typeof createPlanReportActivities>
>;

/** The middle value (the lower of the two middle ones), or undefined for none. */
function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
}

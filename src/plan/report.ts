/**
 * The plan's report: JSON (reports/plan.json) and the Markdown beside it (reports/plan.md), written
 * like the migration's report (activities/verification/chatwootWrites.ts renderReportMarkdown). Pure.
 */
import { describeFilters, type LeftOutCounts, type MigrationFilters } from '../mapping/filters.js';
import { formatDuration, type PlanCounts, type PlanEstimate } from './estimate.js';

export interface PlanFinding {
  /** Where it comes from: the preflight's checks, or the plan's own reads. */
  source: 'preflight' | 'plan';
  severity: 'blocker' | 'warning' | 'info';
  message: string;
}

export interface PlanReport {
  account: number;
  generatedAt: string;
  filters: string;
  counts: {
    contacts: number;
    contactsMergedByEmail: number;
    contactNotes: number;
    companies: number;
    conversations: number;
    conversationParts: number;
    messages: number;
    tickets: number;
    ticketParts: number;
    attachments: number;
    attachmentBytes: number;
    /** How attachment sizes were found. */
    attachmentSizes: { fromFilesize: number; fromLink: number; unknown: number };
    tags: number;
    teams: number;
    admins: number;
    unreadableConversations: number;
  };
  leftOut: LeftOutCounts;
  overPartsCap: { count: number; listed: { conversationId: string; parts: number }[] };
  /** Tags whose label title differs from the name (Chatwoot's label rule), and tags that become one. */
  tagsRenamed: { tag: string; label: string }[];
  tagsMerged: { label: string; tags: string[] }[];
  admins: {
    withoutAgent: { adminId: string; name?: string; email?: string }[];
    /** Matched to a Chatwoot agent, but no token in CHATWOOT_AGENT_TOKENS: replies go as the administrator. */
    withoutToken: { adminId: string; name?: string; email?: string }[];
  };
  chatwoot: {
    agents: number;
    inboxes: number;
    labels: number;
    /** The archive inbox already exists (the import reuses it). */
    archiveInboxExists: boolean;
    labelsExisting: number;
  };
  findings: PlanFinding[];
  estimate: PlanEstimate;
  /** The counts the estimate was made from. */
  basis: PlanCounts;
  /** What reading the workspace cost the plan itself. */
  planCost: { intercomRequests: number; chatwootRequests: number };
}

const n = (value: number) => value.toLocaleString('en-US');

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function filtersLine(filters: MigrationFilters | undefined): string {
  return describeFilters(filters);
}

export function renderPlanMarkdown(report: PlanReport): string {
  const c = report.counts;
  const e = report.estimate;
  const list = <T>(title: string, items: T[], line: (item: T) => string, total = items.length) =>
    total
      ? [
          `## ${title} (${n(total)})`,
          '',
          ...items.slice(0, 200).map((item) => `- ${line(item)}`),
          ...(total > Math.min(items.length, 200)
            ? [`- … ${n(total - Math.min(items.length, 200))} more`]
            : []),
          '',
        ]
      : [];
  const who = (a: { adminId: string; name?: string; email?: string }) =>
    [a.name, a.email ? `<${a.email}>` : undefined, `(Intercom admin ${a.adminId})`].filter(Boolean).join(' ');
  const leftOut = report.leftOut;
  const leftOutTotal =
    leftOut.conversations['updated-before'] +
    leftOut.conversations.state +
    leftOut.conversations['excluded-tag'];
  const step = e.chatwoot.byStep;
  return [
    `# Migration plan for Chatwoot account ${report.account}`,
    '',
    `Generated ${report.generatedAt}. Nothing was written to Chatwoot or Intercom. Filters: ${report.filters}.`,
    '',
    '## Estimate',
    '',
    '| | requests | time | at |',
    '|---|---|---|---|',
    `| Chatwoot | ${n(e.chatwoot.requests)} | ${formatDuration(e.chatwoot.seconds)} | ${e.chatwoot.budgetPerSecond}/s (${e.chatwoot.budgetSource}), answers in ${e.chatwoot.answerMs} ms (${e.chatwoot.answerMeasured ? 'measured' : 'assumed'}) |`,
    `| Intercom | ${n(e.intercom.requests)} | ${formatDuration(e.intercom.seconds)} | ${Math.round(e.intercom.perSecond * 10) / 10}/s (${e.intercom.rateSource}) |`,
    '',
    `**Wall time until the verification ends: about ${formatDuration(e.wallSeconds)}** (bound by the ${e.boundBy}). ` +
      `Blob store: about **${formatBytes(e.blobBytes)}** (attachments ${formatBytes(c.attachmentBytes)}).`,
    '',
    `Chatwoot requests by step: preflight ${n(step.preflight)}, setup ${n(step.setup)}, contacts ${n(step.contacts)}, ` +
      `conversations ${n(step.conversations)}, tickets ${n(step.tickets)}, verification ${n(step.verify)}. ` +
      'The rollout afterwards adds its delta syncs (changed conversations only) and, at cut-over, one Intercom request a conversation (the migrated tag).',
    '',
    '## What would move',
    '',
    '| entity | count |',
    '|---|---|',
    `| contacts | ${n(c.contacts)}${c.contactsMergedByEmail ? ` (${n(c.contactsMergedByEmail)} merged by e-mail)` : ''} |`,
    `| contact notes | ${n(c.contactNotes)} |`,
    `| companies | ${n(c.companies)} |`,
    `| conversations | ${n(c.conversations)} |`,
    `| conversation parts | ${n(c.conversationParts)} |`,
    `| Chatwoot messages (activity lines and notes included) | ${n(c.messages)} |`,
    `| tickets | ${n(c.tickets)} (${n(c.ticketParts)} parts) |`,
    `| attachments | ${n(c.attachments)} (${formatBytes(c.attachmentBytes)}) |`,
    `| tags / teams / admins | ${n(c.tags)} / ${n(c.teams)} / ${n(c.admins)} |`,
    '',
    `Attachment sizes: ${n(c.attachmentSizes.fromFilesize)} from Intercom's \`filesize\`, ` +
      `${n(c.attachmentSizes.fromLink)} from the link's Content-Length (download cut after the headers), ` +
      `${n(c.attachmentSizes.unknown)} unknown (not counted in the bytes).`,
    ...(c.unreadableConversations
      ? [
          '',
          `${n(c.unreadableConversations)} conversations could not be read (gone since listed, or set aside by the export).`,
        ]
      : []),
    '',
    ...(leftOutTotal + leftOut.contacts.unreferenced > 0
      ? [
          '## Left out by the filters',
          '',
          `- conversations updated before the date: ${n(leftOut.conversations['updated-before'])}`,
          `- conversations in another state: ${n(leftOut.conversations.state)}`,
          `- conversations with an excluded tag: ${n(leftOut.conversations['excluded-tag'])}`,
          `- contacts no kept conversation or ticket references: ${n(leftOut.contacts.unreferenced)}`,
          '',
        ]
      : []),
    ...list('Findings', report.findings, (f) => `**${f.severity}** (${f.source}): ${f.message}`),
    ...list(
      'Conversations over 500 parts (Intercom returns the first 500; the import adds a note)',
      report.overPartsCap.listed,
      (l) => `${l.conversationId}: ${n(l.parts)} parts`,
      report.overPartsCap.count,
    ),
    ...list('Tags renamed for Chatwoot labels', report.tagsRenamed, (t) => `"${t.tag}" → \`${t.label}\``),
    ...list(
      'Tags that become one label',
      report.tagsMerged,
      (m) => `\`${m.label}\` ← ${m.tags.map((t) => `"${t}"`).join(', ')}`,
    ),
    ...list(
      'Intercom admins with no Chatwoot agent (their conversations stay unassigned)',
      report.admins.withoutAgent,
      who,
    ),
    ...list(
      'Agents without a token in CHATWOOT_AGENT_TOKENS (their replies are posted as the administrator)',
      report.admins.withoutToken,
      who,
    ),
    '## Chatwoot today',
    '',
    `${n(report.chatwoot.agents)} agents, ${n(report.chatwoot.inboxes)} inboxes, ${n(report.chatwoot.labels)} labels. ` +
      `Archive inbox: ${report.chatwoot.archiveInboxExists ? 'exists, the import reuses it' : 'will be created'}; ` +
      `${n(report.chatwoot.labelsExisting)} of the labels the tags need exist already.`,
    '',
    `The plan itself read ${n(report.planCost.intercomRequests)} Intercom and ${n(report.planCost.chatwootRequests)} Chatwoot requests.`,
    '',
  ].join('\n');
}

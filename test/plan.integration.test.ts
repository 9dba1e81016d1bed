/**
 * The plan against a real run: plans the sandbox workspace (through the migrationPlan workflow, as an
 * operator would), checks that it wrote nothing but its report, then runs the real migration with a
 * Chatwoot budget low enough to bind, and compares what the sandboxes counted (Chatwoot requests,
 * Intercom API requests), the wall time until the verification ended and the blob store's bytes with
 * the plan's estimate: each within 15%.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { PlanSummary } from '../src/activities/plan/report.js';
import { type MigrationInputRaw, workflowIds } from '../src/config.js';
import type { PlanReport } from '../src/plan/report.js';
import { createBlobStore } from '../src/storage/index.js';
import { migrationRigSuite } from './helpers/migrationHarness.js';

/** Chatwoot requests a second for all workers: low enough that the budget decides the wall time. */
const BUDGET = 30;

function filesUnder(dir: string): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push({ path: relative(dir, full), bytes: statSync(full).size });
    }
  };
  try {
    walk(dir);
  } catch {
    // Nothing written yet.
  }
  return out;
}

const within = (what: string, actual: number, planned: number, tolerance = 0.15) => {
  const off = Math.abs(actual - planned) / Math.max(1, actual);
  console.log(
    `      ${what}: planned ${Math.round(planned)}, actual ${Math.round(actual)} (${(off * 100).toFixed(1)}% off)`,
  );
  assert.ok(
    off <= tolerance,
    `${what}: planned ${planned}, actual ${actual} (${(off * 100).toFixed(1)}% off)`,
  );
};

const apiRoutes = (byRoute: Record<string, number>) =>
  Object.entries(byRoute).filter(([route]) => !route.startsWith('GET /attachments/'));
const total = (entries: [string, number][]) => entries.reduce((sum, [, n]) => sum + n, 0);

describe('the migration plan', function () {
  this.timeout(900_000);
  const rig = migrationRigSuite({
    scenario: {
      seed: 16,
      conversations: 90,
      partsPerConversation: 8,
      attachmentEvery: 4,
      longConversations: 1,
      agentTokens: true,
      chatwootMessagesPerMinute: 3000,
    },
    environment: { chatwootRequestsPerSecond: BUDGET },
  });

  it('writes nothing but its report, and the real run lands within 15% of its estimate', async () => {
    const { env, scenario, dataDir } = rig;
    const blobDir = join(dataDir, 'blobs');
    const input: MigrationInputRaw = {
      ...scenario.input(`file://${blobDir}`),
      // The rollout waits for a signal and syncs no delta meanwhile: the run ends at the verification.
      rollout: { autoStart: false, deltaSyncInterval: '1 hour' },
    };
    const chatwootBefore = { ...scenario.chatwoot.stats.byRoute };
    const planHandle = await env.client.workflow.start('migrationPlan', {
      taskQueue: 'migration',
      workflowId: workflowIds.child(scenario.account, 'plan'),
      args: [input],
    });
    const summary = (await planHandle.result()) as PlanSummary;

    // Read only: no Chatwoot request but GETs, no Intercom write, one report in the blob store.
    const chatwootPlan = Object.entries(scenario.chatwoot.stats.byRoute).filter(
      ([route, n]) => n !== (chatwootBefore[route] ?? 0),
    );
    assert.ok(chatwootPlan.length > 0);
    for (const [route] of chatwootPlan) assert.match(route, /^GET /, `the plan sent ${route}`);
    const intercomPlan = { ...scenario.intercom.stats.byRoute };
    for (const route of Object.keys(intercomPlan))
      assert.match(route, /^(GET |POST \/(conversations|tickets)\/search$)/, `the plan sent ${route}`);
    // The local store keeps each object's metadata beside it (`<key>~.meta.json`).
    assert.deepEqual(
      [...new Set(filesUnder(blobDir).map((f) => f.path.replace(/~\.meta\.json$/, '')))].sort(),
      [join('acct-1', 'reports', 'plan.json'), join('acct-1', 'reports', 'plan.md')],
    );
    // Through the store: it is encrypted at rest.
    const stored = await createBlobStore(`file://${blobDir}`).get(summary.reportKey);
    assert.ok(stored);
    const report = JSON.parse(stored.toString('utf8')) as PlanReport;
    assert.equal(report.counts.conversations, summary.conversations);
    assert.ok(report.counts.attachments > 0 && report.counts.attachmentBytes > 0);
    assert.equal(report.estimate.chatwoot.budgetPerSecond, BUDGET);
    assert.equal(report.estimate.boundBy, 'chatwoot budget');
    // The sandbox's conversations over 500 parts, counted from its own data.
    const overCap = scenario.intercom.dataset.conversations.filter(
      (c) => (c.conversation_parts?.conversation_parts?.length ?? 0) > 500,
    ).length;
    assert.equal(report.overPartsCap.count, overCap);
    // One Intercom admin has no Chatwoot agent (the scenario leaves the last one out).
    assert.equal(report.admins.withoutAgent.length, 1);

    // Its history holds counts and ids: no e-mail, name or tag of the workspace.
    const history = JSON.stringify(await planHandle.fetchHistory());
    const dataset = scenario.intercom.dataset;
    const personal = [
      ...dataset.admins.flatMap((a) => [a.email, a.name]),
      ...dataset.contacts.flatMap((c) => [c.email, c.name]),
      ...dataset.tags.map((t) => t.name),
    ].filter((text): text is string => typeof text === 'string' && text.length > 4);
    assert.ok(personal.length > 10);
    for (const text of personal) assert.ok(!history.includes(text), `the plan's history holds ${text}`);

    // The real run.
    const chatwootStart = { ...scenario.chatwoot.stats.byRoute };
    const intercomStart = { ...scenario.intercom.stats.byRoute };
    const startedAt = Date.now();
    const migration = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: workflowIds.migration(scenario.account),
      args: [input],
    });
    const verifyId = workflowIds.child(scenario.account, 'verify');
    for (;;) {
      const done = await env.client.workflow
        .getHandle(verifyId)
        .describe()
        .then((d) => d.status.name === 'COMPLETED')
        .catch(() => false);
      if (done) break;
      const state = await migration.describe();
      assert.equal(state.status.name, 'RUNNING', 'the migration ended before its verification');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const wallSeconds = (Date.now() - startedAt) / 1000;
    const sent = (now: Record<string, number>, before: Record<string, number>): [string, number][] =>
      Object.entries(now).map(([route, n]) => [route, n - (before[route] ?? 0)]);
    const chatwootSent = total(sent(scenario.chatwoot.stats.byRoute, chatwootStart));
    const intercomSent = total(
      apiRoutes(Object.fromEntries(sent(scenario.intercom.stats.byRoute, intercomStart))),
    );
    const blobBytes = filesUnder(blobDir)
      .filter((f) => !f.path.includes('plan.'))
      .reduce((sum, f) => sum + f.bytes, 0);
    await migration.terminate('the test measured what it needed');

    console.log(`      plan: ${JSON.stringify(report.estimate.chatwoot.byStep)}`);
    console.log(
      `      run: ${JSON.stringify(Object.fromEntries(sent(scenario.chatwoot.stats.byRoute, chatwootStart).filter(([, n]) => n > 0)))}`,
    );
    within('Chatwoot requests', chatwootSent, report.estimate.chatwoot.requests);
    within('Intercom requests', intercomSent, report.estimate.intercom.requests);
    within('wall time (s)', wallSeconds, report.estimate.wallSeconds);
    within('blob bytes', blobBytes, report.estimate.blobBytes);
  });
});

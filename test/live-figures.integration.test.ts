/**
 * The migration's live figures on the sandboxes (issue 16): while the export runs, the migration's
 * status carries its progress against Intercom's count; while the import runs under a Chatwoot
 * budget, "budget in use" is the request rate the worker sends, which the test compares with what the
 * Chatwoot sandbox itself counted arriving over the same seconds.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { workflowIds } from '../src/config.js';
import { type MigrationStatus, statusQuery } from '../src/workflows/definitions.js';
import { migrationDetails } from '../src/workflows/migrationDetails.js';
import { migrationRigSuite } from './helpers/migrationHarness.js';

const BUDGET = 20;

describe('live figures of a running migration', function () {
  this.timeout(300_000);
  const rig = migrationRigSuite({
    scenario: { seed: 1616, conversations: 70, partsPerConversation: 6 },
    environment: { chatwootRequestsPerSecond: BUDGET },
  });

  it('shows the export against Intercom’s count, and the Chatwoot request rate against the budget', async () => {
    const { env, scenario, dataDir } = rig;
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: workflowIds.migration(scenario.account),
      args: [
        {
          ...scenario.input(`file://${join(dataDir, 'blobs')}`),
          rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
        },
      ],
    });
    const exporting: NonNullable<MigrationStatus['exporting']>[] = [];
    const rates: { reported: number; arrived: number; details: string }[] = [];
    const arrivals: { at: number; requests: number }[] = [];
    let done = false;
    const finished = handle.result().finally(() => {
      done = true;
    });
    while (!done) {
      const now = Date.now();
      arrivals.push({ at: now, requests: scenario.chatwoot.stats.requests });
      const status = await handle.query(statusQuery).catch(() => undefined);
      if (status?.exporting) exporting.push(status.exporting);
      const reported = status?.importing?.chatwoot;
      if (status && reported) {
        // What reached the sandbox over the last 10 s, counted by the sandbox.
        const from = arrivals.find((a) => a.at >= now - 10_000) as { at: number; requests: number };
        const arrived =
          now - from.at >= 5000
            ? ((arrivals.at(-1)?.requests ?? 0) - from.requests) / ((now - from.at) / 1000)
            : NaN;
        assert.equal(reported.budgetPerSecond, BUDGET);
        assert.equal(reported.workers, 1);
        rates.push({
          reported: reported.requestsPerSecond,
          arrived,
          details: migrationDetails(scenario.account, status, undefined),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await finished;

    const listed = scenario.intercom.dataset.conversations.length;
    assert.ok(exporting.length > 0, 'the export reported its progress');
    assert.ok(
      exporting.every((e) => e.listed === listed),
      `listed ${listed}`,
    );
    assert.ok(
      exporting.every((e, i) => i === 0 || e.conversations >= (exporting[i - 1]?.conversations ?? 0)),
    );

    assert.ok(rates.length > 0, 'the import reported a request rate');
    // Never above the budget; and, once measured over seconds of steady import, within a quarter of
    // what the sandbox counted arriving.
    for (const r of rates) assert.ok(r.reported <= BUDGET, JSON.stringify(r));
    const steady = rates.filter((r) => Number.isFinite(r.arrived) && r.arrived > BUDGET / 2);
    assert.ok(steady.length > 0, JSON.stringify(rates.map(({ details, ...r }) => r)));
    const close = steady.filter((r) => Math.abs(r.reported - r.arrived) <= r.arrived / 4);
    assert.ok(close.length >= steady.length / 2, JSON.stringify(steady.map(({ details, ...r }) => r)));
    assert.match(
      rates.at(-1)?.details ?? '',
      /\| Budget in use \| [\d.]+ of 20 Chatwoot requests\/s \(\d+%\), 1 worker; /,
    );
    console.log(
      `    ${rates.length} rate samples; steady ones (reported/arrived): ${steady
        .slice(0, 8)
        .map((r) => `${r.reported}/${r.arrived.toFixed(1)}`)
        .join(' ')}; export reports: ${exporting.length}`,
    );
  });
});

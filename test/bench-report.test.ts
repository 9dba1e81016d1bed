/**
 * The bench's own arithmetic: which part of a migration a Chatwoot route belongs to, the busiest
 * second from arrival times, and the `summary:` line in exactly the form issue 15 asks for.
 */
import assert from 'node:assert/strict';
import { figures, summaryLine } from '../scripts/bench/report.js';
import { busiestSecond, classifyRoute } from '../scripts/bench/requests.js';
import type { SizeResult } from '../scripts/bench/run.js';
import { PROFILES, readSettings } from '../scripts/bench/settings.js';

describe('bench report', () => {
  it('tells setup, import and verification requests apart by route', () => {
    assert.equal(classifyRoute('POST /api/v1/accounts/:account_id/conversations'), 'import');
    assert.equal(classifyRoute('POST /api/v1/accounts/:account_id/conversations/filter'), 'import');
    assert.equal(classifyRoute('POST /api/v1/accounts/:account_id/bulk_actions'), 'import');
    assert.equal(classifyRoute('POST /api/v1/accounts/:account_id/contacts/:contact_id/notes'), 'import');
    assert.equal(classifyRoute('GET /api/v1/accounts/:account_id/conversations/:id/messages'), 'verify');
    assert.equal(classifyRoute('GET /api/v1/accounts/:account_id/contacts'), 'verify');
    assert.equal(classifyRoute('GET /api/v1/accounts/:account_id/contacts/search'), 'import');
    assert.equal(classifyRoute('POST /api/v1/accounts/:account_id/labels'), 'setup');
    assert.equal(classifyRoute('POST /api/v1/accounts/:account_id/inboxes'), 'setup');
    assert.equal(classifyRoute('unmatched'), 'setup');
  });

  it('finds the busiest 1,000 ms from unordered arrivals, within the run only', () => {
    // 3 in [1000, 1999], then 1 at 2000 starts a new window with 1500 and 1999: also 3; 4 never fit.
    const arrivals = [2000, 1000, 1500, 1999, 5000, 10];
    assert.equal(busiestSecond(arrivals, 1000, 5000), 3);
    // A window is half-open: 1000 and 2000 are a full second apart.
    assert.equal(busiestSecond([1000, 2000], 0, 3000), 1);
    assert.equal(busiestSecond([1000, 1999], 0, 3000), 2);
    assert.equal(busiestSecond(arrivals, 6000, 7000), 0);
  });

  it("writes the summary line in exactly the issue's form", () => {
    const run = {
      profile: PROFILES.realistic,
      conversations: 300,
      e2eMs: 61_234,
      memory: { rssStartMb: 300, rssPeakMb: 612.6, rssEndMb: 500, heapPeakMb: 200 },
      chatwoot: {
        import: 2700,
        setup: 50,
        verify: 320,
        busiestSecond: 49,
        minimum: { import: 2550, verify: 312 },
      },
    } as unknown as SizeResult;
    const line = summaryLine({ run, baseline: { elapsedMs: 170_000 } as never });
    assert.equal(
      line,
      'summary: profile=realistic conversations=300 requests_per_conversation=9.00 minimum_per_conversation=8.50 ' +
        'busiest_second=49 budget=50 e2e_s=61.2 budget_bound_s=58.2 baseline_s=170.0 worker_rss_peak_mb=613',
    );
    assert.match(
      line,
      /^summary: profile=\S+ conversations=\d+ requests_per_conversation=[\d.]+ minimum_per_conversation=[\d.]+ busiest_second=\d+ budget=\d+ e2e_s=[\d.]+ budget_bound_s=[\d.]+ baseline_s=(?:[\d.]+|NA) worker_rss_peak_mb=\d+$/,
    );
    // m = (setup sent + minimum import + minimum verification) / budget = (50 + 2550 + 312) / 50.
    assert.equal(figures({ run }).m, 58.24);
    assert.match(summaryLine({ run }), / baseline_s=NA /);
  });

  it('runs both profiles by default, today first, and lets BENCH_PROFILES choose', () => {
    assert.deepEqual(
      readSettings({}).profiles.map((p) => [
        p.name,
        p.chatwootRequestsPerSecond,
        p.chatwootLatencyMs,
        p.intercomLatencyMs,
      ]),
      [
        ['today', 200, 5, 5],
        ['realistic', 50, 40, 150],
      ],
    );
    assert.deepEqual(
      readSettings({ BENCH_PROFILES: 'realistic' }).profiles.map((p) => p.name),
      ['realistic'],
    );
    assert.throws(() => readSettings({ BENCH_PROFILES: 'fast' }), /unknown profile fast/);
  });
});

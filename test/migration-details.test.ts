/**
 * The migration's page and the CLI's progress line, from a status: the figures an operator reads
 * (done / total, rate, ETA, budget in use, the blocked reason, the rollout's history) and a Markdown
 * layout the Web UI renders as headings, lists and tables rather than one run-together paragraph.
 */
import assert from 'node:assert/strict';
import type { MigrationStatus } from '../src/workflows/definitions.js';
import { formatDuration, migrationDetails, progressLine } from '../src/workflows/migrationDetails.js';

const importing = (over: Partial<NonNullable<MigrationStatus['importing']>> = {}): MigrationStatus => ({
  phase: 'import',
  paused: false,
  exported: { conversations: 240, contacts: 114, truncated: 1, rejected: 2 },
  importing: {
    stage: 'conversations',
    total: 240,
    completed: 38,
    failed: 2,
    messages: 400,
    inFlight: 7,
    windowSize: 20,
    perMinute: 20,
    paused: false,
    at: 0,
    ...over,
  },
});

describe('migration details and progress line', () => {
  it('lays out the import as a table with rate, ETA and budget in use', () => {
    const md = migrationDetails(1, importing(), 'migration-1/import');
    const lines = md.split('\n');
    assert.equal(lines[0], '## Migration of Chatwoot account 1');
    assert.ok(lines.includes('### Import'));
    assert.ok(lines.includes('| Done | 40 / 240 conversations |'));
    assert.ok(lines.includes('| Failed | 2 |'));
    assert.ok(lines.includes('| Set aside at export | 2 |'));
    // 200 left at 20 a minute.
    assert.ok(lines.includes('| ETA | 10 min 00 s |'));
    assert.ok(lines.includes('| Rate | 20 conversations/min |'));
    assert.ok(lines.includes('| Budget in use | 7 of 20 conversations in flight |'));
    // Every block is its own paragraph: a heading, a list or a table starts after a blank line.
    const startsBlock = (line: string, previous: string) =>
      line.startsWith('#') ||
      (line.startsWith('|') && !previous.startsWith('|')) ||
      (line.startsWith('- ') && !previous.startsWith('- '));
    for (let i = 1; i < lines.length; i++) {
      if (startsBlock(lines[i], lines[i - 1]))
        assert.equal(lines[i - 1], '', `no blank line before: ${lines[i]}`);
    }
  });

  it('says paused instead of an ETA, and measuring before a rate is known', () => {
    assert.match(migrationDetails(1, { ...importing(), paused: true }, undefined), /\| ETA \| paused \|/);
    assert.match(
      migrationDetails(1, importing({ perMinute: undefined }), undefined),
      /\| ETA \| measuring \|/,
    );
    assert.match(progressLine({ ...importing(), paused: true }), /phase import \(paused\) .* ETA paused/);
  });

  it('names the block and what to do', () => {
    const md = migrationDetails(
      1,
      { ...importing(), paused: true, blocked: 'Chatwoot refused the token' },
      undefined,
    );
    assert.match(
      md,
      /### Blocked\n\n\*\*Blocked:\*\* Chatwoot refused the token\n\nFix what it names .* signal \*\*resume\*\*/,
    );
    assert.match(
      progressLine({ ...importing(), blocked: 'Chatwoot refused the token' }),
      /^phase blocked .*blocked: Chatwoot refused the token$/,
    );
  });

  it('shows the rollout with its history, an operator reason with a pipe kept in its cell', () => {
    const status: MigrationStatus = {
      phase: 'rollout',
      paused: false,
      imported: { conversations: 240, messages: 2113, failed: 0 },
      reconciled: 'reconciled: conversations 240/240',
      rollout: {
        percentage: 30,
        phase: '2 of 4',
        held: true,
        reason: 'agents | on leave',
        history: [
          { at: '2026-11-27T10:00:00.000Z', percentage: 10, reason: 'advanced by signal' },
          { at: '2026-11-27T11:00:00.000Z', percentage: 30, reason: 'phase duration elapsed' },
        ],
        changes: 7,
      },
    };
    const md = migrationDetails(1, status, 'migration-1/rollout');
    assert.match(md, /- \*\*30%\*\* of visitors on Chatwoot \(phase 2 of 4\)/);
    assert.match(md, /- \*\*Held:\*\* agents \| on leave/);
    assert.ok(md.includes('| 2026-11-27 11:00:00 | 30 | phase duration elapsed |'));
    assert.match(md, /5 earlier changes/);
    assert.doesNotMatch(md, /### Import\n\n\|/);
    assert.match(
      progressLine(status),
      /phase rollout \| imported 240 conversations.*\| rollout 30% held \(agents \| on leave\)/,
    );
    const withPipe = migrationDetails(
      1,
      {
        ...status,
        rollout: {
          ...status.rollout,
          percentage: 30,
          held: false,
          history: [{ at: '2026-11-27T11:00:00Z', percentage: 30, reason: 'a|b' }],
        },
      },
      undefined,
    );
    assert.ok(withPipe.includes('| 30 | a\\|b |'));
  });

  it('shows the Chatwoot request rate the workers send against the budget', () => {
    const status = importing({ chatwoot: { requestsPerSecond: 14.2, budgetPerSecond: 16, workers: 2 } });
    const md = migrationDetails(1, status, undefined);
    // 14.2 of 16 is 88.75%.
    assert.ok(
      md
        .split('\n')
        .includes(
          '| Budget in use | 14.2 of 16 Chatwoot requests/s (89%), 2 workers; 7 of 20 conversations in flight |',
        ),
      md,
    );
    assert.match(
      progressLine(status),
      /\| budget 14\.2 of 16 Chatwoot requests\/s \(89%\), 2 workers; 7 of 20/,
    );
    const one = importing({ chatwoot: { requestsPerSecond: 15, budgetPerSecond: 16, workers: 1 } });
    assert.match(progressLine(one), /budget 15 of 16 Chatwoot requests\/s \(94%\), 1 worker;/);
  });

  const exportingStatus = (
    over: Partial<NonNullable<MigrationStatus['exporting']>> = {},
  ): MigrationStatus => ({
    phase: 'export',
    paused: false,
    exporting: {
      conversations: 300,
      leftOut: 20,
      rejected: 1,
      listed: 600,
      limit: 0,
      complete: false,
      perMinute: 160,
      at: 0,
      ...over,
    },
  });

  it('shows the export live: got through / listed, rate, ETA', () => {
    const md = migrationDetails(1, exportingStatus(), 'migration-1/export');
    const lines = md.split('\n');
    assert.ok(lines.includes('### Export: conversations'), md);
    // 300 written, 20 left out, 1 set aside: 321 of the 600 Intercom lists.
    assert.ok(lines.includes('| Progress | 321/600 conversations (53%) |'), md);
    assert.ok(lines.includes('| Exported | 300 |'));
    assert.ok(lines.includes('| Left out by the filters | 20 |'));
    assert.ok(lines.includes('| Rate | 160 conversations/min |'));
    // 279 left at 160 a minute: 104.6 s.
    assert.ok(lines.includes('| ETA | 1 min 45 s |'), md);
    assert.match(
      progressLine(exportingStatus()),
      /^phase export \| export 321\/600 conversations \| exported 300 \| left out 20 \| set aside 1 \| export rate 160 conversations\/min \| export ETA 1 min 45 s$/,
    );
    // A rehearsal's limit is the total; without Intercom's count there is no ETA to give.
    assert.match(
      progressLine(exportingStatus({ limit: 50, conversations: 20 })),
      /export 20\/50 conversations \(rehearsal limit\)/,
    );
    assert.match(
      migrationDetails(1, exportingStatus({ listed: undefined }), undefined),
      /\| Progress \| 321 conversations \|[\s\S]*\| ETA \| unknown \(Intercom gave no total\) \|/,
    );
    // Once the export's result is in, its live figures give way to its totals.
    const after: MigrationStatus = {
      ...exportingStatus(),
      exported: { conversations: 580, contacts: 10, truncated: 0, rejected: 1 },
    };
    assert.doesNotMatch(migrationDetails(1, after, undefined), /Export: conversations/);
  });

  it('shows an import that follows the export against what is exported so far', () => {
    const status: MigrationStatus = {
      ...exportingStatus(),
      phase: 'import',
      importing: {
        stage: 'conversations',
        total: 0,
        completed: 100,
        failed: 2,
        messages: 900,
        inFlight: 5,
        windowSize: 10,
        perMinute: 90,
        paused: false,
        at: 0,
      },
    };
    const lines = migrationDetails(1, status, 'migration-1/import').split('\n');
    assert.ok(lines.includes('| Done | 102 / 300 conversations exported so far |'), lines.join('\n'));
    assert.ok(lines.includes('| ETA | after the export (the import follows it) |'));
    assert.ok(lines.includes('| Set aside at export | 1 |'));
    assert.ok(lines.includes('| Progress | 321/600 conversations (53%) |'));
    assert.match(progressLine(status), /export 321\/600 .* conversations 102\/300 exported so far/);
  });

  it('formats durations', () => {
    assert.equal(formatDuration(35), '35 s');
    assert.equal(formatDuration(250), '4 min 10 s');
    assert.equal(formatDuration(3900), '1 h 05 min');
  });
});

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

  it('formats durations', () => {
    assert.equal(formatDuration(35), '35 s');
    assert.equal(formatDuration(250), '4 min 10 s');
    assert.equal(formatDuration(3900), '1 h 05 min');
  });
});

/**
 * `cli.js plan`: the operator's command, as a process against a local Temporal server with workers
 * and the sandboxes. Markdown by default, the JSON with --json (the same report, counts agreeing with
 * the sandbox's own workspace), and a bad input refused with the field named, before anything starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PlanReport } from '../src/plan/report.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const cliScript = fileURLToPath(new URL('../src/cli.js', import.meta.url));

describe('cli.js plan', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let inputFile: string;

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 161,
        conversations: 25,
        partsPerConversation: 4,
        attachmentEvery: 3,
        agentTokens: true,
      },
    });
    inputFile = join(rig.dataDir, 'migration.json');
    writeFileSync(inputFile, JSON.stringify(rig.input()));
  });
  after(() => rig?.close());

  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, [cliScript, ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: rig.env.address },
    });

  it('prints the plan as Markdown, and as JSON with --json', async () => {
    const { stdout, stderr } = await cli(['plan', '--input', inputFile]);
    assert.match(stderr, /planning: migration-1\/plan/);
    assert.match(stdout, /^# Migration plan for Chatwoot account 1$/m);
    assert.match(stdout, /^## Estimate$/m);
    assert.match(
      stdout,
      /^\| Chatwoot \| [\d,]+ \| .+ \| 50\/s \(Chatwoot default \(Rack::Attack 3,000\/min\)\), answers in \d+ ms \(measured\) \|$/m,
    );
    assert.match(stdout, /\*\*Wall time until the verification ends: about .+\*\*/);
    assert.match(stdout, /^## Intercom admins with no Chatwoot agent .*\(1\)$/m);

    const json = await cli(['plan', '--input', inputFile, '--json']);
    const report = JSON.parse(json.stdout) as PlanReport;
    const dataset = rig.scenario.intercom.dataset;
    const deleted = new Set(dataset.deletedConversations.map((d) => d.id));
    assert.equal(report.counts.conversations, dataset.conversations.filter((c) => !deleted.has(c.id)).length);
    assert.equal(report.counts.tags, dataset.tags.length);
    assert.equal(report.counts.admins, dataset.admins.length);
    assert.equal(report.counts.tickets, dataset.tickets?.length ?? 0);
    assert.ok(report.estimate.chatwoot.requests > report.counts.conversations);
    assert.ok(report.counts.attachments > 0);
    // Every attachment the generator makes has a filesize: none had to be asked of its link.
    assert.equal(report.counts.attachmentSizes.fromFilesize, report.counts.attachments);
    assert.ok(report.findings.some((f) => f.source === 'preflight' && f.severity === 'info'));
    assert.equal(report.findings.filter((f) => f.severity === 'blocker').length, 0);
    // The Markdown says the same figure.
    assert.ok(stdout.includes(`| conversations | ${report.counts.conversations.toLocaleString('en-US')} |`));
  });

  it('refuses a bad filter with the field named, starting nothing', async () => {
    const bad = join(rig.dataDir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ ...rig.input(), filters: { conversations: { updatedSince: 'last tuesday' } } }),
    );
    await assert.rejects(cli(['plan', '--input', bad]), (error: { stderr?: string; code?: number }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /filters\.conversations\.updatedSince: not a date/);
      return true;
    });
  });
});

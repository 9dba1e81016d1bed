/**
 * Replays recorded histories (test/histories/, made by scripts/record-histories.ts) against the
 * current workflow code: a change that would break running migrations fails here first.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../src/worker.js';
import { repoRoot } from './helpers/temporal.js';

const historiesDir = join(repoRoot, 'test', 'histories');
const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

/**
 * "<type>.json" is the newest recording; "<type>.<what changed>.json" keeps a history recorded before
 * a workflow change, which running workflows of that age still need to replay.
 */
function workflowTypeOf(file: string): string {
  return file.slice(0, file.indexOf('.'));
}

describe('replaying recorded histories', function () {
  this.timeout(120_000);

  it('has a history for the parent and for every child workflow type', () => {
    const types = files.map(workflowTypeOf).sort();
    for (const type of [
      'accountMigration',
      'attachmentRehost',
      'conversationImport',
      'erasePerson',
      'exportWorkflow',
      'importWorkflow',
      'mappingWorkflow',
      'migrationPlan',
      'retentionReminder',
      'rolloutWorkflow',
      'ticketImport',
      'verifyWorkflow',
    ]) {
      assert.ok(types.includes(type), `missing test/histories/${type}.json`);
    }
  });

  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const history = JSON.parse(readFileSync(join(historiesDir, file), 'utf8')) as { events: unknown[] };
      assert.ok(history.events.length > 5, 'the history has events');
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        history,
        workflowTypeOf(file),
      );
    });
  }
});

/**
 * Every activity runs on exactly one task queue, and the pairing is enforced twice: the worker
 * registers a module on its queue only, and the compiler refuses a workflow proxy whose options name
 * another queue. Recorded histories pin the names and queues that migrations in flight rely on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { ActivityDeps } from '../src/activities/deps.js';
import { activitiesForQueue } from '../src/activities/index.js';
import { taskQueues } from '../src/config.js';
import { repoRoot } from './helpers/temporal.js';

const deps = new ActivityDeps({ chatwootAgentTokens: {} });
const registered = new Map(
  Object.values(taskQueues).map((queue) => [queue, new Set(Object.keys(activitiesForQueue(queue, deps)))]),
);

interface HistoryEvent {
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; taskQueue: { name: string } };
}

describe('activities and their task queues', () => {
  it('registers each activity on one queue only', () => {
    const seen = new Map<string, string>();
    for (const [queue, names] of registered) {
      for (const name of names) {
        assert.equal(seen.get(name), undefined, `${name} is registered on ${seen.get(name)} and ${queue}`);
        seen.set(name, queue);
      }
    }
    assert.ok(seen.size >= 20, `only ${seen.size} activities registered`);
  });

  it('still serves every activity a recorded history scheduled, on the queue it was scheduled on', () => {
    const dir = join(repoRoot, 'test', 'histories');
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: HistoryEvent[] };
      for (const event of history.events) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (!scheduled) continue;
        const queue = scheduled.taskQueue.name as (typeof taskQueues)[keyof typeof taskQueues];
        assert.ok(
          registered.get(queue)?.has(scheduled.activityType.name),
          `${file}: ${scheduled.activityType.name} on ${queue} has no handler any more`,
        );
        checked++;
      }
    }
    assert.ok(checked > 50, `only ${checked} scheduled activities found in the histories`);
  });

  describe('the compiler', function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'queue-typing-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Type-checks a workflow snippet against the project's sources, as `tsc` would. */
    function diagnosticsOf(code: string): string[] {
      const file = join(dir, `snippet-${Math.random().toString(36).slice(2)}.ts`);
      writeFileSync(file, code);
      const config = ts.readConfigFile(join(repoRoot, 'tsconfig.json'), ts.sys.readFile);
      const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
      const program = ts.createProgram([file], { ...options, noEmit: true });
      return ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName === file)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    }
    const src = (path: string) => JSON.stringify(join(repoRoot, 'src', path));
    const header = `
      import type { ImportActivities } from ${src('activities/import/chatwootWrites.js')};
      import type { ExportActivities } from ${src('activities/export/intercomReads.js')};
      import { chatwootWriteOptions, intercomExportOptions, proxyOn } from ${src('workflows/activityOptions.js')};
    `;

    it('accepts a module proxied with its own queue', () => {
      const errors = diagnosticsOf(`${header}
        export const imports = proxyOn<ImportActivities>(chatwootWriteOptions);
        export const exports = proxyOn<ExportActivities>(intercomExportOptions);
      `);
      assert.deepEqual(errors, []);
    });

    it('refuses a Chatwoot write proxied through the Intercom queue', () => {
      const errors = diagnosticsOf(`${header}
        export const wrong = proxyOn<ImportActivities>(intercomExportOptions);
      `);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0] as string, /"intercom-reads"' is not assignable to type '"chatwoot-writes"'/);
    });

    it('refuses calling an activity the proxied module does not have', () => {
      const errors = diagnosticsOf(`${header}
        export const call = () => proxyOn<ExportActivities>(intercomExportOptions).importConversation;
      `);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0] as string, /Property 'importConversation' does not exist/);
    });
  });
});

/**
 * The conversations' export lists small pages first (growingPageSize, intercomReads.ts): one chunk a
 * page, and the import follows the export chunk by chunk, so a first chunk of 150 conversations kept
 * Chatwoot idle until all of them were fetched and rehosted (issue 15). Checked against the Intercom
 * sandbox, whose cursor names the last record listed: pages of changing sizes still list every
 * conversation once, also when a crashed attempt resumes mid-way.
 */
import assert from 'node:assert/strict';
import { createExportActivities, FIRST_CONVERSATION_PAGE } from '../src/activities/export/intercomReads.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import {
  assertExactlyOnce,
  crashAtHeartbeat,
  intercomHarnessPerTest,
  newDeps,
  readVerifiedManifest,
  routeCount,
  runAttempt,
} from './helpers/intercomHarness.js';

describe('the conversations export: small first pages', function () {
  this.timeout(60_000);
  const startHarness = intercomHarnessPerTest();

  it('writes chunks of 10, 20, doubling up to pageSize, each conversation exactly once', async () => {
    const harness = await startHarness({
      workspace: { seed: 61, conversations: 95, contacts: 10, longConversations: 0 },
      input: { export: { pageSize: 30 } },
    });
    const { dataset, input, sandbox } = harness;
    const result = await runAttempt(() => createExportActivities(newDeps()).exportConversations({ input }));
    const { manifest, records } = await readVerifiedManifest<Conversation>(
      newDeps().store(input),
      result.manifestKey,
    );
    assert.equal(FIRST_CONVERSATION_PAGE, 10);
    // 10, 20, then capped at pageSize (30): 10 + 20 + 30 + 30 = 90, and the last 5.
    assert.deepEqual(
      manifest.chunks.map((chunk) => chunk.count),
      [10, 20, 30, 30, 5],
    );
    assert.equal(routeCount(sandbox, 'GET /conversations'), 5);
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id),
      'conversations',
    );
  });

  it('resumes from a heartbeat between pages of different sizes without losing or doubling one', async () => {
    const harness = await startHarness({
      workspace: { seed: 62, conversations: 75, contacts: 10, longConversations: 0 },
      input: { export: { pageSize: 150 } },
    });
    const { dataset, input } = harness;
    // The second chunk's heartbeat never reaches the server: the retry resumes after the first.
    const delivered = await crashAtHeartbeat(
      () => createExportActivities(newDeps()).exportConversations({ input }),
      2,
    );
    const result = await runAttempt(() => createExportActivities(newDeps()).exportConversations({ input }), {
      attempt: 2,
      heartbeatDetails: delivered,
    });
    const { manifest, records } = await readVerifiedManifest<Conversation>(
      newDeps().store(input),
      result.manifestKey,
    );
    assert.equal(manifest.complete, true);
    // The first attempt's chunk of 10, then the resumed listing starting small again: 10, 20, 35.
    assert.deepEqual(
      manifest.chunks.map((chunk) => chunk.count),
      [10, 10, 20, 35],
    );
    assertExactlyOnce(
      records.map((c) => c.id),
      dataset.conversations.map((c) => c.id),
      'conversations',
    );
  });
});

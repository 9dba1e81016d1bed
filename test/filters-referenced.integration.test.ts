/**
 * `filters.contacts: "referenced"` end to end on the sandboxes (issue 16): only the contacts a kept
 * conversation or a ticket names reach Chatwoot, the report counts the others as unreferenced, and
 * the sandbox reconciliation over what was kept is exact. The rule is written again here from the
 * README ("exports only the contacts that a kept conversation or a ticket names"), not imported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import { workflowIds } from '../src/config.js';
import { reconcileSandboxes } from '../src/sandbox/reconcile.js';
import { blobLayout } from '../src/storage/layout.js';
import { migrationRigSuite } from './helpers/migrationHarness.js';

describe('a migration with contacts: "referenced"', function () {
  this.timeout(300_000);
  const rig = migrationRigSuite({
    scenario: { seed: 161, conversations: 60, partsPerConversation: 3 },
  });

  it('imports only referenced contacts, counts the rest, and reconciles exactly', async () => {
    const { env, scenario, dataDir } = rig;
    const dataset = scenario.intercom.dataset;
    const deleted = new Set(dataset.deletedConversations.map((d) => d.id));
    const live = dataset.conversations.filter((c) => !deleted.has(c.id));
    // Closed conversations only: the open and snoozed ones' contacts are referenced only if another
    // kept conversation or a ticket names them.
    const isKept = (c: Conversation) => c.state === 'closed';
    const kept = live.filter(isKept);
    const referenced = new Set<string>();
    for (const c of kept) {
      for (const ref of c.contacts?.contacts ?? []) referenced.add(ref.id);
      const author = c.source?.author;
      if (author?.id && ['user', 'lead', 'contact'].includes(String(author.type)))
        referenced.add(String(author.id));
    }
    for (const ticket of dataset.tickets ?? []) {
      for (const ref of ticket.contacts?.contacts ?? []) referenced.add(String(ref.id));
    }
    const listedContacts = dataset.contacts;
    const keptContacts = listedContacts.filter((c) => referenced.has(c.id));
    const unreferenced = listedContacts.length - keptContacts.length;
    assert.ok(unreferenced > 0 && keptContacts.length > 0, `${unreferenced} of ${listedContacts.length}`);

    const blobDir = join(dataDir, 'blobs');
    const input = {
      ...scenario.input(`file://${blobDir}?encryption=none`),
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
      filters: { conversations: { states: ['closed'] }, contacts: 'referenced' },
    };
    const handle = await env.client.workflow.start('accountMigration', {
      taskQueue: 'migration',
      workflowId: workflowIds.migration(scenario.account),
      args: [input],
    });
    await handle.result();

    const report = JSON.parse(readFileSync(join(blobDir, blobLayout.report(scenario.account)), 'utf8')) as {
      leftOut: { conversations: Record<string, number>; contacts: { unreferenced: number } };
      summary: {
        missing: number;
        duplicates: number;
        conversations: { expected: number; found: number };
      };
    };
    assert.equal(report.leftOut.contacts.unreferenced, unreferenced);
    assert.equal(report.leftOut.conversations.state, live.length - kept.length);
    assert.equal(report.summary.missing, 0);
    assert.equal(report.summary.duplicates, 0);
    assert.equal(report.summary.conversations.expected, kept.length);
    assert.equal(report.summary.conversations.found, kept.length);
    const markdown = readFileSync(
      join(blobDir, blobLayout.report(scenario.account).replace(/\.json$/, '.md')),
      'utf8',
    );
    assert.match(markdown, /## Left out by the filters/);
    assert.ok(markdown.includes(`| contacts no kept conversation or ticket names | ${unreferenced} |`));

    // No unreferenced contact is in Chatwoot; the reconciliation over the kept ones is exact.
    const dump = scenario.chatwoot.dump();
    const account = dump.accounts.find((a) => a.id === scenario.account);
    // An imported contact is identified by its external id, or intercom:<id> without one (README).
    const identifierOf = (c: { id: string; external_id?: string | null }) =>
      c.external_id?.trim() ? c.external_id.trim() : `intercom:${c.id}`;
    const keptIdentifiers = new Set(keptContacts.map(identifierOf));
    const unreferencedIdentifiers = new Set(
      listedContacts
        .filter((c) => !referenced.has(c.id))
        .map(identifierOf)
        .filter((identifier) => !keptIdentifiers.has(identifier)),
    );
    const leaked = (account?.contacts ?? []).filter(
      (c) => c.identifier !== null && c.identifier !== undefined && unreferencedIdentifiers.has(c.identifier),
    );
    assert.deepEqual(
      leaked.map((c) => c.id),
      [],
    );
    // The notes of an unreferenced contact are not exported with it.
    const notes = (dataset.notes ?? []).filter((note) => referenced.has(String(note.contact?.id)));
    assert.ok(notes.length < (dataset.notes ?? []).length, 'some notes belong to unreferenced contacts');
    const keptWorkspace = { ...dataset, contacts: keptContacts, notes, conversations: kept };
    const summary = reconcileSandboxes(keptWorkspace, dump, {
      account: scenario.account,
      activityParts: 'activity',
      timestampLine: true,
      partsCap: 500,
      deletedConversationIds: [...deleted],
    });
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.contacts.found, summary.contacts.expected);
    assert.equal(summary.conversations.found, kept.length);
  });
});

/**
 * What a migration must not set off in Chatwoot, end to end on the real local Temporal server:
 * active automation rules stop it before anything is written unless the input says to proceed; with
 * agents in the archive inbox and online, an existing inbox and teams set to auto-assign, the import
 * leaves no notification for any agent; and a help center in two locales with an empty article
 * completes, the empty article reported.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { MigrationInputRaw } from '../src/config.js';
import type { Scenario, ScenarioOptions } from '../src/sandbox/scenario.js';
import { getJson } from '../src/storage/blobStore.js';
import { createBlobStore } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { PREFLIGHT_FAILED } from '../src/workflows/failureTypes.js';
import {
  chatwootWrites,
  scenarioWithWorkers,
  startMigration,
  temporalSuite,
} from './helpers/migrationHarness.js';

describe('side effects of a migration in Chatwoot', function () {
  this.timeout(300_000);
  const suite = temporalSuite('i2c-side-effects-');

  /** One worker set at a time serves the task queues: the previous test's stops first. */
  async function rig(options: Partial<ScenarioOptions> & { account: number }): Promise<Scenario> {
    return scenarioWithWorkers(
      suite,
      { seed: options.account, conversations: 24, partsPerConversation: 4, ...options },
      { alone: true },
    );
  }

  const blobUrl = (scenario: Scenario) => `file://${join(suite.dataDir, `blobs-${scenario.account}`)}`;

  function migrationInput(scenario: Scenario, chatwoot: Record<string, unknown> = {}): MigrationInputRaw {
    const base = scenario.input(blobUrl(scenario));
    return {
      ...base,
      chatwoot: { ...base.chatwoot, ...chatwoot } as MigrationInputRaw['chatwoot'],
      import: { ...base.import, windowSize: 4 },
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
    };
  }

  const migrate = (input: MigrationInputRaw) => startMigration(suite.env.client, input);

  const writesTo = chatwootWrites;

  function assertMigrated(scenario: Scenario, result: MigrationResult): void {
    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(result.reconciliation.missing, 0);
  }

  it('refuses to start while an automation rule is active, then proceeds with allowActiveAutomations', async () => {
    const scenario = await rig({
      account: 61,
      chatwootSettings: {
        automationRules: [
          { name: 'Auto-reply to every new conversation', eventName: 'conversation_created' },
          { name: 'Paused rule', eventName: 'message_created', active: false },
        ],
      },
    });
    const refused = await migrate(migrationInput(scenario));
    const failure = await refused.result().then(
      () => assert.fail('the migration should have been refused'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof WorkflowFailedError, String(failure));
    const cause = failure.cause as Error & { type?: string };
    assert.equal(cause.type, PREFLIGHT_FAILED);
    assert.match(
      cause.message,
      /Chatwoot account 61 has 1 active automation rule\(s\) \(id \d+ on conversation_created\)/,
    );
    assert.match(cause.message, /Settings → Automation/);
    assert.match(cause.message, /"allowActiveAutomations": true/);
    assert.match(cause.message, /Nothing was written/);
    assert.ok(!cause.message.includes('Auto-reply'), 'rule names stay in the worker log');
    assert.equal(writesTo(scenario), 0);

    const handle = await migrate(migrationInput(scenario, { allowActiveAutomations: true }));
    assertMigrated(scenario, (await handle.result()) as MigrationResult);
  });

  describe('a migration into an account whose agents are online and in the archive inbox', () => {
    let scenario: Scenario;
    let inboxId: number;

    before(async () => {
      const agentIds = [2, 3, 4];
      // Chatwoot's listeners run in background jobs that read the conversation when they run: late
      // enough here that the import's next request (the final status) comes first.
      scenario = await rig({
        account: 62,
        chatwootSettings: { onlineUserIds: [1, ...agentIds] },
        chatwootJobDelayMs: 150,
      });
      const { state } = scenario.chatwoot;
      const account = state.account(62);
      const admin = {
        user: state.users.get(1) as NonNullable<ReturnType<typeof state.users.get>>,
        role: 'administrator' as const,
      };
      // Someone made the archive inbox before, noisy, and the teams with auto-assignment on.
      const inbox = state.createInbox(
        account,
        {
          name: 'Intercom archive',
          channel: { type: 'api' },
          enable_auto_assignment: true,
          greeting_enabled: true,
          csat_survey_enabled: true,
        },
        admin,
      );
      inboxId = inbox.id;
      state.addInboxMembers(account, inbox, { user_ids: agentIds }, admin);
      for (const team of scenario.intercom.dataset.teams) {
        const created = state.createTeam(account, { name: team.name, allow_auto_assign: true }, admin);
        state.addTeamMembers(account, created, { user_ids: agentIds }, admin);
      }
      const handle = await migrate(migrationInput(scenario));
      assertMigrated(scenario, (await handle.result()) as MigrationResult);
      await scenario.chatwoot.state.jobsSettled();
    });

    it('creates no notification for any agent, and leaves the inbox and teams quiet', () => {
      const dump = scenario.chatwoot.dump().accounts[0];
      assert.ok(dump);
      const conversations = dump.conversations.filter((c) => c.inbox_id === inboxId);
      assert.ok(conversations.length > 0, 'conversations went into the existing archive inbox');
      assert.ok(
        conversations.some((c) => c.assignee_id !== null),
        'some conversations have an assignee',
      );
      assert.ok(
        conversations.some((c) => c.status === 'open'),
        'some conversations ended open',
      );
      assert.ok(
        conversations.some((c) => c.messages.some((m) => m.message_type === 'incoming')),
        'customers wrote',
      );
      assert.deepEqual(dump.notifications, []);
      const inbox = dump.inboxes.find((candidate) => candidate.id === inboxId);
      assert.deepEqual(
        [inbox?.enable_auto_assignment, inbox?.greeting_enabled, inbox?.csat_survey_enabled],
        [false, false, false],
      );
      const teams = scenario.chatwoot.state.account(62).teams;
      assert.ok(teams.length > 0);
      assert.ok(
        teams.every((team) => !team.allowAutoAssign),
        'auto-assignment off on the teams used',
      );
    });

    it('puts the help center in both locales and reports the empty article instead of failing', async () => {
      const dump = scenario.chatwoot.dump().accounts[0];
      const portal = dump?.portals.find((candidate) => candidate.slug === 'intercom-help-center');
      assert.ok(portal);
      const { dataset } = scenario.intercom;
      const french = dataset.collections.find((collection) => collection.default_locale === 'fr');
      const empty = dataset.articles.find((article) => (article.body ?? '') === '');
      assert.ok(french && empty, 'the generated workspace has a French collection and an empty article');
      assert.ok(
        portal.categories.some((category) => category.locale === 'fr' && category.name === french.name),
      );
      assert.ok(portal.categories.some((category) => category.locale === 'en'));
      const config = scenario.chatwoot.state.account(62).portals[0]?.config;
      assert.deepEqual(config?.allowed_locales, ['en', 'fr']);
      assert.ok(!portal.articles.some((article) => article.title === empty.title));
      const report = await getJson<{ locales: string[]; emptyArticles: { intercomId: string }[] }>(
        createBlobStore(blobUrl(scenario)),
        blobLayout.mappingPart(62, 'helpCenter'),
      );
      assert.deepEqual(
        report?.emptyArticles.map((article) => article.intercomId),
        [empty.id],
      );
      // The operator reads it in the migration's report too.
      const store = createBlobStore(blobUrl(scenario));
      const verification = await getJson<{ emptyArticles: { intercomId: string }[] }>(
        store,
        blobLayout.report(62),
      );
      assert.deepEqual(
        verification?.emptyArticles.map((article) => article.intercomId),
        [empty.id],
      );
      const markdown = (await store.get(blobLayout.reportMarkdown(62)))?.toString('utf8') ?? '';
      assert.match(markdown, /Help-center articles without content/);
      assert.ok(markdown.includes(empty.id));
    });
  });
});

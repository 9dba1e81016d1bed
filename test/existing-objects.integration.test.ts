/**
 * Objects already in the Chatwoot account, end to end on the real local Temporal server: webhooks
 * that would receive every imported conversation and message (an account webhook, and the archive
 * inbox's own webhook URL) stop the migration in preflight, before anything is written, naming ids
 * and not URLs; a help-center portal made before keeps its locales and its default, and gets the
 * workspace's missing ones in one PATCH (Chatwoot renders its locales as objects, not codes). The
 * same migration carries the demo's workspace cases and checks the summary lines `make demo` prints.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { MigrationInputRaw } from '../src/config.js';
import { sideEffectsLine } from '../src/demoSideEffects.js';
import { validationsLine } from '../src/demoValidations.js';
import type { ActingUser } from '../src/sandbox/chatwoot/auth.js';
import type { Scenario, ScenarioOptions } from '../src/sandbox/scenario.js';
import { createBlobStore } from '../src/storage/index.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { PREFLIGHT_FAILED } from '../src/workflows/failureTypes.js';
import {
  chatwootWrites,
  scenarioWithWorkers,
  startMigration,
  temporalSuite,
} from './helpers/migrationHarness.js';

describe('objects already in the Chatwoot account', function () {
  this.timeout(300_000);
  const suite = temporalSuite('i2c-existing-objects-');

  async function rig(options: Partial<ScenarioOptions> & { account: number }): Promise<Scenario> {
    return scenarioWithWorkers(
      suite,
      { seed: options.account, conversations: 12, partsPerConversation: 3, ...options },
      { alone: true },
    );
  }

  function administrator(scenario: Scenario): ActingUser {
    const user = scenario.chatwoot.state.users.get(1);
    assert.ok(user);
    return { user, role: 'administrator' };
  }

  const blobUrl = (scenario: Scenario) => `file://${join(suite.dataDir, `blobs-${scenario.account}`)}`;

  function migrationInput(scenario: Scenario): MigrationInputRaw {
    const base = scenario.input(blobUrl(scenario));
    return { ...base, rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' } };
  }

  const migrate = (input: MigrationInputRaw) => startMigration(suite.env.client, input);

  const writesTo = chatwootWrites;

  it('refuses in preflight while an account webhook or the archive inbox’s webhook URL would fire', async () => {
    const scenario = await rig({
      account: 71,
      chatwootSettings: {
        webhooks: [
          { url: 'https://hooks.example.com/secret-path', subscriptions: ['message_created'] },
          // Not an event the import raises: not counted.
          { url: 'https://typing.example.com/t', subscriptions: ['conversation_typing_on'] },
        ],
      },
    });
    const { state } = scenario.chatwoot;
    const account = state.account(71);
    const inbox = state.createInbox(
      account,
      {
        name: 'Intercom archive',
        channel: { type: 'api', webhook_url: 'https://inbox-hook.example.com/k' },
        enable_auto_assignment: false,
      },
      administrator(scenario),
    );
    const before = writesTo(scenario);
    const handle = await migrate(migrationInput(scenario));
    const failure = await handle.result().then(
      () => assert.fail('the migration should have been refused'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof WorkflowFailedError, String(failure));
    const cause = failure.cause as Error & { type?: string };
    assert.equal(cause.type, PREFLIGHT_FAILED);
    const webhookId = account.webhooks.find((webhook) => webhook.url.includes('hooks.example.com'))?.id;
    assert.match(cause.message, new RegExp(`1 webhook\\(s\\) subscribed .*\\(id ${webhookId}\\)`));
    assert.match(cause.message, new RegExp(`"Intercom archive" \\(inbox ${inbox.id}\\) with a webhook URL`));
    assert.match(cause.message, /"allowActiveAutomations": true/);
    assert.ok(!/example\.com/.test(cause.message), 'webhook URLs stay in the worker log');
    assert.equal(writesTo(scenario), before, 'nothing written');
  });

  it('adds the workspace’s locales to a portal made before, keeping its own and its default, in one PATCH', async () => {
    // The demo's workspace cases too (make demo): awkward tags and a 3,000-character rating remark.
    const scenario = await rig({ account: 72, validationEdgeCases: true });
    const { state } = scenario.chatwoot;
    const account = state.account(72);
    state.createPortal(
      account,
      {
        name: 'Hilfe',
        slug: 'intercom-help-center',
        config: { allowed_locales: ['de'], default_locale: 'de' },
      },
      administrator(scenario),
    );
    const handle = await migrate(migrationInput(scenario));
    const result = (await handle.result()) as MigrationResult;
    assert.equal(result.reconciliation.missing, 0);
    const portal = account.portals.find((candidate) => candidate.slug === 'intercom-help-center');
    assert.deepEqual(portal?.config.allowed_locales, ['de', 'en', 'fr']);
    assert.equal(portal?.config.default_locale, 'de');
    assert.ok(portal?.categories.some((category) => category.locale === 'fr'));
    assert.equal(scenario.chatwoot.stats.byRoute['PATCH /api/v1/accounts/:account_id/portals/:portal_id'], 1);

    // The demo's summary lines, as `make demo` prints them after its migration.
    const store = createBlobStore(blobUrl(scenario));
    assert.equal(
      await sideEffectsLine(scenario.chatwoot.dump(), store, 72),
      'agent notifications: 0; help center locales: en, fr; empty articles reported: 1',
    );
    const validations = await validationsLine(store, 72);
    assert.match(validations, /\(merged: needs-reply <- Needs reply \+ needs-reply\)/);
    // The 3,000-character remark and the 2,500-character custom attribute.
    assert.match(validations, /kept whole in private notes: 2;/);
  });
});

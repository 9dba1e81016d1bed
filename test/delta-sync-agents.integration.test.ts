/**
 * The parallel run's delta syncs keep what agents do in Chatwoot, end to end on the real local
 * Temporal server against both sandboxes: a migration whose rollout waits for advanceRollout (delta
 * syncs every second meanwhile); agents then work in Chatwoot through its API while teammates change
 * the same conversations in Intercom through Intercom's API, and the next delta syncs keep the
 * agents' labels, status and assignee while Intercom's own changes since the last sync apply. A
 * conversation whose first import stopped between its creation and its end (pending, unassigned, no
 * sync record) still gets its final status, assignee and team.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { MigrationMapping } from '../src/activities/setup/chatwootWrites.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import type { Conversation } from '../src/clients/intercom/schemas.js';
import type { LabelPlan } from '../src/mapping/labels.js';
import type { Scenario } from '../src/sandbox/scenario.js';
import { getJson } from '../src/storage/blobStore.js';
import { createBlobStore } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';
import type { MigrationResult } from '../src/workflows/accountMigration.js';
import { advanceRolloutSignal } from '../src/workflows/definitions.js';
import { until } from './helpers/eventually.js';
import {
  aWholeDeltaSync as aWholeDeltaSyncOf,
  deltaExports,
  intercomRequest,
} from './helpers/liveMigration.js';
import { type MigrationRig, startMigrationRig } from './helpers/migrationHarness.js';

const ACCOUNT = 1;
const ADMIN_TOKEN = 'sandbox-admin-token';

describe('delta syncs during the parallel run keep agents’ work in Chatwoot', function () {
  this.timeout(300_000);
  let rig: MigrationRig;
  let scenario: Scenario;
  let handle: WorkflowHandle;
  let mapping: MigrationMapping;
  let admin: ChatwootClient;
  const store = () => createBlobStore(rig.blobStoreUrl);

  // x: the agent labels, resolves and reassigns it; Intercom removes a tag and moves its team.
  // y: the agent resolves and reassigns it; then Intercom snoozes and reassigns it (Intercom wins).
  // z: its first import stopped between creation and end.
  let x: Conversation;
  let y: Conversation;
  let z: Conversation;

  const aWholeDeltaSync = () => aWholeDeltaSyncOf(store(), ACCOUNT, handle);

  const intercom = async (method: string, path: string, body: unknown) => {
    const response = await intercomRequest(scenario, method, path, body);
    assert.equal(response.status, 200, `${method} ${path}: ${await response.text()}`);
  };

  const chatwootAs = async (token: string, path: string, body: unknown) => {
    const response = await fetch(`${scenario.chatwoot.url}/api/v1/accounts/${ACCOUNT}${path}`, {
      method: 'POST',
      headers: { api_access_token: token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, `${path}: ${await response.text()}`);
  };

  const inChatwoot = async (conversation: Conversation) => {
    const found = await admin.filterConversationsByCustomAttribute(
      'intercom_conversation_id',
      conversation.id,
    );
    assert.equal(found.length, 1, `conversation ${conversation.id} in Chatwoot`);
    return found[0];
  };

  /** Admins who have a Chatwoot agent, by Intercom id. */
  const mappedAdmins = () =>
    scenario.intercom.dataset.admins.filter((a) => mapping.agents[a.id] !== undefined);

  before(async () => {
    rig = await startMigrationRig({
      scenario: {
        seed: 31,
        conversations: 10,
        partsPerConversation: 3,
        agentTokens: true,
        chatwootMessagesPerMinute: 3000,
      },
    });
    scenario = rig.scenario;
    const dataset = scenario.intercom.dataset;
    // Three open conversations with two tags each, assigned to the first admin, in no team.
    const chosen = dataset.conversations.slice(0, 3);
    const tags = dataset.tags.slice(0, 2);
    assert.equal(tags.length, 2, 'the workspace has tags');
    for (const conversation of chosen) {
      Object.assign(conversation, {
        state: 'open',
        open: true,
        snoozed_until: null,
        admin_assignee_id: dataset.admins[0]?.id ?? null,
        team_assignee_id: null,
        tags: {
          type: 'tag.list',
          tags: tags.map((tag) => ({
            type: 'tag',
            id: tag.id,
            name: tag.name,
            applied_at: conversation.created_at,
          })),
        },
      });
    }
    [x, y, z] = chosen as [Conversation, Conversation, Conversation];
    admin = new ChatwootClient({ baseUrl: scenario.chatwoot.url, accountId: ACCOUNT, token: ADMIN_TOKEN });
    const input = rig.input({
      rollout: { phaseDuration: '1s', deltaSyncInterval: '1s', autoStart: false },
    });
    handle = await rig.start(input);
    // The rollout waits for advanceRollout while delta syncs run: the import is over.
    await until('the first delta sync', async () => (await deltaExports(store(), ACCOUNT)) >= 1);
    mapping = (await getJson<MigrationMapping>(store(), blobLayout.mapping(ACCOUNT))) as MigrationMapping;
    assert.ok(mappedAdmins().length >= 3, 'three admins with Chatwoot agents');
  });

  after(() => rig?.close());

  it('keeps the agent’s label, status and assignee, and applies what Intercom changed since the last sync', async () => {
    const intercomAdmin = scenario.intercom.dataset.admins[0]?.id as string;
    assert.ok(mapping.agents[intercomAdmin] !== undefined, 'x, y and z are assigned to an agent');
    const [second, third] = mappedAdmins().filter((a) => a.id !== intercomAdmin);
    assert.ok(second && third, 'two more admins with agents');
    const team = scenario.intercom.dataset.teams.find((t) => mapping.teams[t.id] !== undefined);
    assert.ok(team, 'a team with a Chatwoot team');
    const [removedTag, keptTag] = x.tags?.tags ?? [];
    assert.ok(removedTag && keptTag);
    // The mapping phase's plan says which label each tag became.
    const plan = await getJson<LabelPlan>(store(), blobLayout.mappingPart(ACCOUNT, 'labels'));
    const labelOf = (tagName: string) => plan?.labels.find((label) => label.tags.includes(tagName))?.title;
    const removedLabel = labelOf(removedTag.name);
    const keptLabel = labelOf(keptTag.name);
    assert.ok(removedLabel && keptLabel && removedLabel !== keptLabel, 'two tags, two labels');
    assert.ok((await inChatwoot(x)).labels?.includes(removedLabel), 'the import labelled x with its tags');

    // An agent of the archive inbox works in Chatwoot: a label, a resolve, a reassignment.
    const inboxMembers = (await admin.listInboxMembers(mapping.inboxId)).map((member) => member.id);
    const agentId = inboxMembers.find((id) => {
      const email = mapping.agentEmails?.[id];
      return email !== undefined && scenario.chatwootAgentTokens[email] !== undefined;
    });
    assert.ok(agentId !== undefined, 'an agent with a token in the archive inbox');
    const agentToken = scenario.chatwootAgentTokens[mapping.agentEmails?.[agentId] as string] as string;
    await admin.createLabel('escalated');
    const cx = await inChatwoot(x);
    const cy = await inChatwoot(y);
    await chatwootAs(agentToken, `/conversations/${cx.id}/labels`, {
      labels: [...(cx.labels ?? []), 'escalated'],
    });
    for (const target of [cx, cy]) {
      await chatwootAs(agentToken, `/conversations/${target.id}/toggle_status`, { status: 'resolved' });
      await chatwootAs(ADMIN_TOKEN, `/conversations/${target.id}/assignments`, {
        assignee_id: mapping.agents[second.id],
      });
    }
    // A teammate's note in Intercom brings both into the next delta, their state as it was.
    for (const conversation of [x, y]) {
      await intercom('POST', `/conversations/${conversation.id}/reply`, {
        message_type: 'note',
        type: 'admin',
        admin_id: intercomAdmin,
        body: '<p>Customer called, see the CRM.</p>',
      });
    }
    await aWholeDeltaSync();
    for (const conversation of [x, y]) {
      const now = await inChatwoot(conversation);
      assert.equal(now.status, 'resolved', 'the agent’s status stays');
      assert.equal(now.meta?.assignee?.id, mapping.agents[second.id], 'the agent’s assignee stays');
    }
    assert.ok((await inChatwoot(x)).labels?.includes('escalated'), 'the agent’s label stays');

    // Intercom changes other things on x, and the same things on y, after the agent did.
    await intercom('DELETE', `/conversations/${x.id}/tags/${removedTag.id}`, { admin_id: intercomAdmin });
    await intercom('POST', `/conversations/${x.id}/parts`, {
      message_type: 'assignment',
      type: 'team',
      admin_id: intercomAdmin,
      assignee_id: team.id,
    });
    const snoozedUntil = Math.floor(Date.now() / 1000) + 7 * 86_400;
    await intercom('POST', `/conversations/${y.id}/parts`, {
      message_type: 'snoozed',
      admin_id: intercomAdmin,
      snoozed_until: snoozedUntil,
    });
    await intercom('POST', `/conversations/${y.id}/parts`, {
      message_type: 'assignment',
      type: 'admin',
      admin_id: intercomAdmin,
      assignee_id: third.id,
    });
    await aWholeDeltaSync();

    const nowX = await inChatwoot(x);
    assert.ok(nowX.labels?.includes('escalated'), 'the label an agent added survives');
    assert.ok(nowX.labels?.includes(keptLabel), 'a tag still in Intercom keeps its label');
    assert.ok(nowX.labels?.includes('from_intercom'));
    assert.ok(!nowX.labels?.includes(removedLabel), 'a tag removed in Intercom is removed');
    assert.equal(nowX.meta?.team?.id, mapping.teams[team.id], 'Intercom’s new team applies');
    assert.equal(nowX.status, 'resolved', 'the agent’s status stays');
    assert.equal(
      nowX.meta?.assignee?.id,
      mapping.agents[second.id],
      'the agent’s assignee stays, team or not',
    );

    const nowY = await inChatwoot(y);
    assert.equal(nowY.status, 'snoozed', 'Intercom’s later snooze wins');
    assert.equal(Date.parse(String(nowY.snoozed_until)) / 1000, snoozedUntil);
    assert.equal(nowY.meta?.assignee?.id, mapping.agents[third.id], 'Intercom’s later assignment wins');
  });

  it('gives a conversation whose first import stopped before its end its final status, assignee and team', async () => {
    const team = scenario.intercom.dataset.teams.find((t) => mapping.teams[t.id] !== undefined);
    assert.ok(team);
    const intercomAdmin = scenario.intercom.dataset.admins[0]?.id as string;
    // Intercom: closed, in a team (the changes also bring z into the next delta).
    await intercom('POST', `/conversations/${z.id}/parts`, {
      message_type: 'assignment',
      type: 'team',
      admin_id: intercomAdmin,
      assignee_id: team.id,
    });
    await intercom('POST', `/conversations/${z.id}/parts`, {
      message_type: 'close',
      type: 'admin',
      admin_id: intercomAdmin,
    });
    // Chatwoot as an attempt leaves it that created it and posted messages, then stopped: pending,
    // unassigned, without its labels, and no sync record.
    const cz = await inChatwoot(z);
    await admin.setLabels(cz.id, []);
    await admin.assign(cz.id, { team_id: null, assignee_id: null });
    await admin.toggleStatus(cz.id, 'pending');
    await store().delete(blobLayout.syncedConversation(ACCOUNT, z.id));
    await aWholeDeltaSync();

    const nowZ = await inChatwoot(z);
    assert.equal(nowZ.status, 'resolved');
    assert.equal(nowZ.meta?.assignee?.id, mapping.agents[z.admin_assignee_id as string]);
    assert.equal(nowZ.meta?.team?.id, mapping.teams[team.id]);
    assert.ok(nowZ.labels?.includes('from_intercom'));
    assert.equal(nowZ.labels?.length, 3, 'its two tags and from_intercom');
    assert.ok(await getJson(store(), blobLayout.syncedConversation(ACCOUNT, z.id)), 'recorded again');
  });

  it('finishes the rollout with everything migrated exactly once and the agents’ changes still there', async () => {
    await handle.signal(advanceRolloutSignal);
    const result = (await handle.result()) as MigrationResult;
    assert.ok(result.rolloutFinished);
    const summary = scenario.reconcile();
    assert.deepEqual(summary.problems, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    const nowX = await inChatwoot(x);
    assert.ok(nowX.labels?.includes('escalated'));
    assert.equal(nowX.status, 'resolved');
  });
});

/**
 * The rollout's CSAT gate input: the real compareCsat activity, run in a mock activity context,
 * reading Intercom's conversation ratings from an export (and a delta) in a local blob store and
 * Chatwoot's CSAT metrics from the Chatwoot sandbox, per live inbox (the archive inbox excluded).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import got from 'got';
import type { CsatComparison } from '../src/activities/contract.js';
import { ActivityDeps } from '../src/activities/deps.js';
import { writeChunk, writeManifest } from '../src/activities/manifests.js';
import { createRolloutCheckActivities } from '../src/activities/rollout/checks.js';
import { ChatwootClient } from '../src/clients/chatwoot/client.js';
import { type MigrationInput, migrationInputSchema } from '../src/config.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import type { BlobStore } from '../src/storage/blobStore.js';
import { createBlobStore } from '../src/storage/index.js';
import { blobLayout } from '../src/storage/layout.js';

const ACCOUNT = 1;
const TOKEN = 'csat-admin-token';
const ARCHIVE = 'Intercom archive';
const WEEK = 7 * 24 * 3600;
/** Each case has a week of its own, so their ratings never meet. */
const week = (n: number) => ({ since: 1_780_000_000 + n * WEEK, until: 1_780_000_000 + (n + 1) * WEEK - 1 });

interface IntercomRating {
  id: string;
  rating: number;
  /** When the rating was given (Intercom's updated_at). */
  at: number;
  /** When it was requested (Intercom's created_at); just before `at` unless set. */
  requestedAt?: number;
  /** Leaves updated_at out, as the description allows. */
  noUpdatedAt?: boolean;
}

describe('compareCsat against the Chatwoot sandbox and an export in the blob store', function () {
  this.timeout(30_000);
  let sandbox: ChatwootSandbox;
  let chatwoot: ChatwootClient;
  let dir: string;
  let store: BlobStore;
  /** Display ids of one conversation per inbox, by inbox name. */
  const conversationIn: Record<string, number> = {};
  const exportRatings: IntercomRating[] = [];
  const deltaRatings: IntercomRating[] = [];
  let compareCsat: ReturnType<typeof createRolloutCheckActivities>['compareCsat'];

  const inputWith = (csatMargin: number): MigrationInput =>
    migrationInputSchema().parse({
      account: ACCOUNT,
      chatwoot: { baseUrl: sandbox.url, inboxName: ARCHIVE },
      blobStoreUrl: `file://${dir}`,
      rollout: { csatMargin },
    });

  /** Chatwoot CSAT responses on conversations of the named inbox, each at the given time. */
  async function seedChatwoot(inbox: string, ratings: number[], at: number): Promise<void> {
    await got.post(`${sandbox.url}/__sandbox/csat`, {
      json: {
        account_id: ACCOUNT,
        responses: ratings.map((rating, i) => ({
          conversation_id: conversationIn[inbox],
          rating,
          created_at: at + i,
        })),
      },
    });
  }

  let nextIntercomId = 1000;
  function rateInIntercom(
    into: IntercomRating[],
    ratings: number[],
    at: number,
    extra: Pick<IntercomRating, 'requestedAt' | 'noUpdatedAt'> = {},
  ): string[] {
    return ratings.map((rating, i) => {
      const id = String(nextIntercomId++);
      into.push({ id, rating, at: at + i, ...extra });
      return id;
    });
  }

  /** Conversations as the export writes them: JSONL chunks plus a manifest (only what CSAT reads). */
  async function writeConversations(entityDir: string, ratings: IntercomRating[]): Promise<void> {
    const records = [
      ...ratings.map((r) => ({
        type: 'conversation',
        id: r.id,
        updated_at: r.at,
        conversation_rating: {
          rating: r.rating,
          remark: null,
          created_at: r.requestedAt ?? r.at - 60,
          ...(r.noUpdatedAt ? {} : { updated_at: r.at }),
        },
      })),
      { type: 'conversation', id: 'unrated', updated_at: week(0).since, conversation_rating: null },
    ];
    const half = Math.ceil(records.length / 2);
    const chunks = [
      await writeChunk(store, blobLayout.chunk(entityDir, 1), records.slice(0, half)),
      await writeChunk(store, blobLayout.chunk(entityDir, 2), records.slice(half)),
    ];
    await writeManifest(store, entityDir, {
      entity: 'conversations',
      count: records.length,
      chunks,
      complete: true,
      exportedAt: new Date().toISOString(),
    });
  }

  before(async () => {
    sandbox = await startChatwootSandbox({
      accounts: [
        {
          id: ACCOUNT,
          name: 'CSAT',
          users: [
            { id: 1, name: 'Admin', email: 'admin@csat.test', role: 'administrator', accessToken: TOKEN },
          ],
          inboxes: [
            { name: 'Website', channelType: 'web_widget' },
            { name: 'Support mail', channelType: 'email' },
            { name: ARCHIVE, channelType: 'api' },
          ],
        },
      ],
    });
    chatwoot = new ChatwootClient({ baseUrl: sandbox.url, accountId: ACCOUNT, token: TOKEN });
    for (const inbox of await chatwoot.listInboxes()) {
      const contact = await chatwoot.createContact({
        name: `Visitor of ${inbox.name}`,
        identifier: `csat-${inbox.id}`,
        inbox_id: inbox.id,
      });
      const conversation = await chatwoot.createConversation({ inbox_id: inbox.id, contact_id: contact.id });
      conversationIn[inbox.name] = conversation.id;
    }
    dir = mkdtempSync(join(tmpdir(), 'i2c-csat-'));
    store = createBlobStore(`file://${dir}`);
    compareCsat = createRolloutCheckActivities(
      new ActivityDeps({ chatwootToken: TOKEN, chatwootAgentTokens: {} }),
    ).compareCsat;

    // Week 0: Intercom 9 of 10 good (90); Chatwoot's live inboxes 5 of 10 (50); the archive inbox,
    // all fives, would lift Chatwoot to 75 if it were counted. One Intercom conversation rated 2 in
    // the export was re-rated 5 in a delta: it counts once, as 5.
    const [rerated] = rateInIntercom(exportRatings, [2], week(0).since + 100);
    rateInIntercom(exportRatings, [5, 5, 4, 4, 5, 4, 5, 3], week(0).since + 200);
    deltaRatings.push({ id: rerated, rating: 5, at: week(0).since + 5000 });
    rateInIntercom(deltaRatings, [4], week(0).since + 6000);
    await seedChatwoot('Website', [5, 4, 4, 2, 1, 1], week(0).since + 300);
    await seedChatwoot('Support mail', [5, 4, 3, 2], week(0).since + 400);
    await seedChatwoot(ARCHIVE, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5], week(0).since + 500);
    // Ratings just outside the week on both sides must not count.
    rateInIntercom(exportRatings, [1, 1, 1], week(0).since - 10);
    await seedChatwoot('Website', [5, 5, 5], week(1).since + 10);

    // Week 2: Intercom 10 of 11 good, Chatwoot 9 of 11: 9.1 points apart. The last rating on each
    // side falls on the window's last second, which belongs to the window.
    rateInIntercom(exportRatings, [5, 5, 5, 5, 5, 5, 5, 5, 5, 1], week(2).since + 100);
    await seedChatwoot('Website', [5, 5, 5, 5, 1], week(2).since + 200);
    await seedChatwoot('Support mail', [4, 4, 4, 4, 1], week(2).since + 200);
    rateInIntercom(exportRatings, [5], week(2).until);
    await seedChatwoot('Website', [5], week(2).until);

    // Week 3: Chatwoot has only 4 ratings, all bad; Intercom 10, all good.
    rateInIntercom(exportRatings, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5], week(3).since + 100);
    await seedChatwoot('Website', [1, 1, 1, 1], week(3).since + 200);

    // Week 4: Intercom has only 4 ratings, all good; Chatwoot 10, all bad.
    rateInIntercom(exportRatings, [5, 5, 5, 5], week(4).since + 100);
    await seedChatwoot('Support mail', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], week(4).since + 200);

    // Week 6: six ratings given in week 6 that were requested in week 5 (Intercom's created_at is the
    // request), and four without updated_at whose request time, in week 6, is all there is.
    rateInIntercom(exportRatings, [5, 5, 5, 5, 5, 1], week(6).since + 100, {
      requestedAt: week(5).since + 100,
    });
    rateInIntercom(exportRatings, [4, 4, 4, 4], week(6).since + 300, { noUpdatedAt: true });
    await seedChatwoot('Website', [5, 5, 5, 5, 5], week(6).since + 200);

    await writeConversations(blobLayout.entityDir(ACCOUNT, 'conversations'), exportRatings);
    await writeConversations(blobLayout.deltaPart(ACCOUNT, 'delta-00001', 'conversations'), deltaRatings);
  });

  after(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const compare = (csatMargin: number, window: { since: number; until: number }): Promise<CsatComparison> =>
    new MockActivityEnvironment().run(compareCsat, { input: inputWith(csatMargin) }, window);

  it('scores the share of 4s and 5s per side, counting only live inboxes and the window', async () => {
    const result = await compare(10, week(0));
    assert.deepEqual(result, {
      intercomScore: 90,
      chatwootScore: 50,
      intercomRatings: 10,
      chatwootRatings: 10,
      behind: true,
    });
  });

  it('holds only when Chatwoot trails by more than the margin', async () => {
    const atMargin = await compare(10, week(2));
    assert.equal(atMargin.intercomRatings, 11);
    assert.equal(atMargin.chatwootRatings, 11);
    assert.equal(atMargin.intercomScore?.toFixed(2), ((100 * 10) / 11).toFixed(2));
    assert.equal(atMargin.chatwootScore?.toFixed(2), ((100 * 9) / 11).toFixed(2));
    assert.equal(atMargin.behind, false, '9.09 points behind with a margin of 10');
    assert.equal((await compare(9, week(2))).behind, true, 'a margin of 9 is exceeded');
    assert.equal((await compare(0, week(2))).behind, true);
    // Week 0 is 40 points apart: exactly the margin is not more than it.
    assert.equal((await compare(40, week(0))).behind, false);
    assert.equal((await compare(39.5, week(0))).behind, true);
  });

  it('never holds on fewer than five ratings on either side', async () => {
    const fewInChatwoot = await compare(10, week(3));
    assert.equal(fewInChatwoot.chatwootRatings, 4);
    assert.equal(fewInChatwoot.chatwootScore, 0);
    assert.equal(fewInChatwoot.intercomScore, 100);
    assert.equal(fewInChatwoot.behind, false);

    const fewInIntercom = await compare(10, week(4));
    assert.equal(fewInIntercom.intercomRatings, 4);
    assert.equal(fewInIntercom.chatwootRatings, 10);
    assert.equal(fewInIntercom.behind, false);
  });

  it('counts a rating in the window it was given (updated_at), not when it was requested', async () => {
    const given = await compare(10, week(6));
    assert.equal(given.intercomRatings, 10, 'six given in week 6 plus four known only by their request time');
    assert.equal(given.intercomScore, 90);
    const requested = await compare(10, week(5));
    assert.equal(requested.intercomRatings, 0, 'requested in week 5, given in week 6');
  });

  it('answers null scores, not behind, for a window without ratings', async () => {
    assert.deepEqual(await compare(10, week(9)), {
      intercomScore: null,
      chatwootScore: null,
      intercomRatings: 0,
      chatwootRatings: 0,
      behind: false,
    });
  });
});

/**
 * The loader in a real headless Chromium: the browser must put each visitor in the same bucket as
 * Node's bucketOf, split visitors at the percentage the router serves, and keep them on Chatwoot as
 * the percentage grows. Chromium comes from scripts/ensure-chromium.sh (apt), run here if needed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import {
  bucketOf,
  type RouterLogger,
  startWidgetRouter,
  usesChatwoot,
  type WidgetRouter,
} from '../src/router/index.js';
import { putJson } from '../src/storage/blobStore.js';
import { LocalBlobStore } from '../src/storage/localStore.js';
import { sampleUserIds } from './router.test.js';

type Decision = 'chatwoot' | 'intercom';

interface LoaderGlobal {
  decision?: Decision;
  percentage?: number;
  bucket?: number;
  ready?: Promise<Decision>;
  bucketOf(userId: string): number;
  decide(userId: string, percentage: number): Decision;
}

declare global {
  interface Window {
    intercomToChatwoot?: LoaderGlobal;
    intercomSettings?: { app_id?: string; user_id?: string };
    chatwootRunWith?: { websiteToken: string; baseUrl: string };
    intercomWidgetLoaded?: string;
  }
}

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));
const ACCOUNT = 'acme';
const WEBSITE_TOKEN = 'website-token-123';
const INTERCOM_APP_ID = 'abc123';

/** Pages for the loader, on an origin other than the router's so that CORS is exercised too. */
function startPageServer(routerUrl: () => string): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://pages.invalid');
    if (url.pathname === '/chatwoot/packs/js/sdk.js') {
      // Stands in for Chatwoot's SDK: records how the loader started it.
      response.writeHead(200, { 'Content-Type': 'text/javascript' });
      response.end('window.chatwootSDK = { run: function (options) { window.chatwootRunWith = options; } };');
      return;
    }
    if (url.pathname === '/page') {
      const origin = `http://${request.headers.host}`;
      const settings: Record<string, unknown> = {
        account: url.searchParams.get('account') ?? ACCOUNT,
        routerUrl: url.searchParams.get('router') ?? routerUrl(),
        chatwoot: { baseUrl: `${origin}/chatwoot`, websiteToken: WEBSITE_TOKEN },
        intercom: { appId: INTERCOM_APP_ID },
        dryRun: url.searchParams.get('dryRun') === '1',
        timeoutMs: 2000,
      };
      const userId = url.searchParams.get('user');
      if (userId !== null) settings.userId = userId;
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>window.intercomToChatwoot = ${JSON.stringify(settings)};</script>
<script async src="${routerUrl()}/loader.js"></script></head><body><h1>Shop</h1></body></html>`);
      return;
    }
    response.writeHead(404);
    response.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('widget loader in headless Chromium', function () {
  this.timeout(60_000);
  let root: string;
  let userDataDir: string;
  let store: LocalBlobStore;
  let router: WidgetRouter;
  let pages: Server;
  let pagesUrl: string;
  let context: BrowserContext;
  let intercomWidgetRequests: string[] = [];
  const logger: RouterLogger = { error: () => undefined };

  before(async function () {
    // The first run on a machine installs Chromium with apt-get.
    this.timeout(900_000);
    const { stdout } = await promisify(execFile)('bash', [ensureScript], { timeout: 890_000 });
    const executablePath = stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(executablePath.startsWith('/'), `ensure-chromium.sh printed ${stdout}`);

    root = await mkdtemp(join(tmpdir(), 'router-browser-'));
    userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    store = new LocalBlobStore(join(root, 'blobs'));
    router = await startWidgetRouter({ store, port: 0, host: '127.0.0.1', cacheMs: 0, logger });
    pages = await startPageServer(() => router.url);
    pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // The real Intercom widget is not fetched from the internet: the request itself is what we check.
    await context.route('https://widget.intercom.io/**', (route) => {
      intercomWidgetRequests.push(route.request().url());
      return route.fulfill({
        contentType: 'text/javascript',
        body: 'window.intercomWidgetLoaded = window.intercomSettings && window.intercomSettings.app_id;',
      });
    });
  });

  after(async () => {
    await context?.close();
    await router?.close();
    await new Promise((resolve) => pages?.close(resolve));
    if (root) await rm(root, { recursive: true, force: true });
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    intercomWidgetRequests = [];
  });

  async function setPercentage(percentage: number): Promise<void> {
    await putJson(store, `rollout/${ACCOUNT}.json`, {
      account: ACCOUNT,
      percentage,
      phase: `at-${percentage}`,
      updatedAt: new Date().toISOString(),
    });
  }

  async function openPage(query: Record<string, string>): Promise<{ page: Page; decision: Decision }> {
    const page = await context.newPage();
    await page.goto(`${pagesUrl}/page?${new URLSearchParams(query).toString()}`);
    await page.waitForFunction(() => document.documentElement.hasAttribute('data-chat-widget'));
    const decision = (await page.evaluate(() =>
      document.documentElement.getAttribute('data-chat-widget'),
    )) as Decision;
    return { page, decision };
  }

  it('computes the same bucket as Node for 3,000 ids of every shape', async () => {
    await setPercentage(0);
    const { page } = await openPage({ user: 'probe', dryRun: '1' });
    const ids = [
      ...sampleUserIds(1000, 'hex24'),
      ...sampleUserIds(1000, 'uuid'),
      ...sampleUserIds(500, 'email'),
      ...sampleUserIds(497, 'sequential'),
      'ünïcode-用户',
      'emoji-🙂',
      '',
    ];
    const browserBuckets = await page.evaluate(
      (userIds) => userIds.map((id) => window.intercomToChatwoot?.bucketOf(id)),
      ids,
    );
    assert.deepEqual(browserBuckets, ids.map(bucketOf));
    await page.close();
  });

  it('splits 2,000 visitors at each served percentage (±2 points) and keeps them as it grows', async () => {
    const ids = sampleUserIds(2000, 'uuid');
    let previouslyOnChatwoot: string[] = [];
    for (const percentage of [10, 30, 60, 100]) {
      await setPercentage(percentage);
      const { page } = await openPage({ user: 'probe', dryRun: '1' });
      const served = await page.evaluate(() => window.intercomToChatwoot?.percentage);
      assert.equal(served, percentage, 'the loader must use the percentage the router serves');
      const decisions = await page.evaluate((userIds) => {
        const loader = window.intercomToChatwoot;
        const percentageNow = loader?.percentage ?? Number.NaN;
        return userIds.map((id) => loader?.decide(id, percentageNow));
      }, ids);
      await page.close();
      const onChatwoot = ids.filter((_, index) => decisions[index] === 'chatwoot');
      const share = (100 * onChatwoot.length) / ids.length;
      assert.ok(
        Math.abs(share - percentage) <= 2,
        `at ${percentage}% the browser sent ${share}% to Chatwoot`,
      );
      assert.deepEqual(
        onChatwoot,
        ids.filter((id) => usesChatwoot(id, percentage)),
      );
      const onChatwootSet = new Set(onChatwoot);
      const movedBack = previouslyOnChatwoot.filter((id) => !onChatwootSet.has(id));
      assert.deepEqual(movedBack, [], `visitors sent back to Intercom at ${percentage}%`);
      previouslyOnChatwoot = onChatwoot;
    }
  });

  it('loads the chosen widget on real page loads, and keeps Chatwoot visitors there as the rollout grows', async () => {
    const candidates = sampleUserIds(400, 'hex24');
    const pick = (low: number, high: number, count: number): string[] =>
      candidates.filter((id) => bucketOf(id) >= low && bucketOf(id) < high).slice(0, count);
    // Under 30% (Chatwoot from the start), between 30% and 60% (moves at 60%), above 60% (stays).
    const visitors = [...pick(0, 3000, 2), ...pick(3000, 6000, 2), ...pick(6000, 10_000, 2)];
    assert.equal(visitors.length, 6);

    const seen = new Map<string, Decision[]>();
    for (const percentage of [30, 60]) {
      await setPercentage(percentage);
      for (const userId of visitors) {
        intercomWidgetRequests = [];
        const { page, decision } = await openPage({ user: userId });
        const expected: Decision = usesChatwoot(userId, percentage) ? 'chatwoot' : 'intercom';
        assert.equal(decision, expected, `${userId} (bucket ${bucketOf(userId)}) at ${percentage}%`);
        if (decision === 'chatwoot') {
          await page.waitForFunction(() => window.chatwootRunWith !== undefined);
          const run = await page.evaluate(() => window.chatwootRunWith);
          assert.deepEqual(run, { websiteToken: WEBSITE_TOKEN, baseUrl: `${pagesUrl}/chatwoot` });
          assert.deepEqual(intercomWidgetRequests, []);
        } else {
          await page.waitForFunction(() => window.intercomWidgetLoaded !== undefined);
          assert.equal(await page.evaluate(() => window.intercomWidgetLoaded), INTERCOM_APP_ID);
          assert.equal(await page.evaluate(() => window.intercomSettings?.user_id), userId);
          assert.deepEqual(intercomWidgetRequests, [`https://widget.intercom.io/widget/${INTERCOM_APP_ID}`]);
          assert.equal(await page.evaluate(() => window.chatwootRunWith), undefined);
        }
        await page.close();
        seen.set(userId, [...(seen.get(userId) ?? []), decision]);
      }
    }
    const journeys = visitors.map((userId) => seen.get(userId)?.join('>'));
    assert.deepEqual(journeys, [
      'chatwoot>chatwoot',
      'chatwoot>chatwoot',
      'intercom>chatwoot',
      'intercom>chatwoot',
      'intercom>intercom',
      'intercom>intercom',
    ]);
  });

  it('keeps an anonymous visitor on one side across page loads', async () => {
    await setPercentage(50);
    const first = await openPage({ dryRun: '1' });
    const firstBucket = await first.page.evaluate(() => window.intercomToChatwoot?.bucket);
    await first.page.close();
    const second = await openPage({ dryRun: '1' });
    assert.equal(await second.page.evaluate(() => window.intercomToChatwoot?.bucket), firstBucket);
    assert.equal(second.decision, first.decision);
    await second.page.close();
  });

  it('falls back to Intercom when the router cannot be reached', async () => {
    await setPercentage(100);
    const unreachable = await startWidgetRouter({ store, port: 0, cacheMs: 0, logger });
    const deadUrl = unreachable.url;
    await unreachable.close();
    const { page, decision } = await openPage({ user: 'someone', router: deadUrl });
    assert.equal(decision, 'intercom');
    assert.equal(await page.evaluate(() => window.intercomToChatwoot?.percentage), 0);
    await page.close();
  });
});

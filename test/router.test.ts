import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  BUCKET_COUNT,
  bucketOf,
  fnv1a32,
  LOADER_SCRIPT,
  type RouterLogger,
  startWidgetRouter,
  usesChatwoot,
  type WidgetRouter,
} from '../src/router/index.js';
import { putJson } from '../src/storage/blobStore.js';
import { LocalBlobStore } from '../src/storage/localStore.js';

type UserIdShape = 'sequential' | 'hex24' | 'email' | 'uuid';

/** Deterministic ids of the shapes real workspaces use. */
function sampleUserIds(count: number, shape: UserIdShape): string[] {
  let state = 0x9e3779b9;
  const nextHex = (length: number): string => {
    let text = '';
    while (text.length < length) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      text += (state >>> 0).toString(16).padStart(8, '0');
    }
    return text.slice(0, length);
  };
  const makers: Record<UserIdShape, (index: number) => string> = {
    sequential: (index) => String(index + 1),
    hex24: () => nextHex(24),
    email: (index) => `customer.${index}@example.com`,
    uuid: () => {
      const hex = nextHex(32);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
  return Array.from({ length: count }, (_, index) => makers[shape](index));
}

// The browser test checks the loader against the same ids. Mocha loads ES modules once, so importing
// this file there does not run its tests twice.
// biome-ignore lint/suspicious/noExportsInTest: shared with test/router-browser.test.ts (see above)
export { sampleUserIds };

function shareUnder(ids: string[], decide: (id: string) => boolean): number {
  return (100 * ids.filter(decide).length) / ids.length;
}

/** The migration guide's snippet, `parseInt(userId.slice(-2), 16) < 100 * pctNew`, with pctNew = p / 100. */
function guideFormulaUsesChatwoot(userId: string, percentage: number): boolean {
  return Number.parseInt(userId.slice(-2), 16) < percentage;
}

describe('rollout bucket hash', () => {
  it('is FNV-1a over UTF-8 bytes (published test vectors)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    // Non-ASCII text is hashed as its UTF-8 bytes (é is C3 A9), as TextEncoder gives them in the browser.
    const overBytes = [0xc3, 0xa9].reduce(
      (hash, byte) => Math.imul(hash ^ byte, 0x01000193) >>> 0,
      0x811c9dc5,
    );
    assert.equal(fnv1a32('é'), overBytes);
  });

  it('never changes: these buckets are visitors’ assignments in production', () => {
    // Changing the hash would move visitors between widgets mid-rollout; this pins it.
    assert.deepEqual(
      ['1', 'user-42', '5f9a3c2e1b7d4a0012345678', 'customer.7@example.com', 'ünïcode-用户', ''].map(
        bucketOf,
      ),
      [3325, 4850, 5190, 4488, 6073, 6689],
    );
  });

  it('puts every id in a bucket in [0, 10000)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (id) => {
        const bucket = bucketOf(id);
        return Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKET_COUNT;
      }),
    );
  });

  for (const shape of ['sequential', 'hex24', 'email', 'uuid'] as const) {
    it(`sends the rolled-out share of 100,000 ${shape} ids to Chatwoot (within ±1 point)`, () => {
      const ids = sampleUserIds(100_000, shape);
      for (const percentage of [10, 30, 60]) {
        const share = shareUnder(ids, (id) => usesChatwoot(id, percentage));
        assert.ok(Math.abs(share - percentage) <= 1, `${shape} at ${percentage}%: ${share.toFixed(2)}%`);
      }
      assert.equal(
        shareUnder(ids, (id) => usesChatwoot(id, 0)),
        0,
      );
      assert.equal(
        shareUnder(ids, (id) => usesChatwoot(id, 100)),
        100,
      );
    });
  }

  it('is sticky: a visitor on Chatwoot at p stays on Chatwoot at every p′ ≥ p', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (id, first, second) => {
          const [low, high] = first <= second ? [first, second] : [second, first];
          return !usesChatwoot(id, low) || usesChatwoot(id, high);
        },
      ),
    );
    const ids = sampleUserIds(20_000, 'hex24');
    const steps = [10, 30, 60, 100];
    for (let step = 1; step < steps.length; step += 1) {
      const earlier = ids.filter((id) => usesChatwoot(id, steps[step - 1] as number));
      assert.ok(earlier.every((id) => usesChatwoot(id, steps[step] as number)));
    }
  });

  it('shows the guide’s formula wrong: far below 10% at "10%", and nobody for non-hex ids', () => {
    const hexIds = sampleUserIds(100_000, 'hex24');
    const guideShare = shareUnder(hexIds, (id) => guideFormulaUsesChatwoot(id, 10));
    // Two hex characters are 0..255, so "< 10" picks 10 of 256 values: about 3.9%.
    assert.ok(guideShare > 3 && guideShare < 5, `guide share ${guideShare}`);
    assert.ok(Math.abs(shareUnder(hexIds, (id) => usesChatwoot(id, 10)) - 10) <= 1);
    const emails = sampleUserIds(10_000, 'email');
    assert.equal(
      shareUnder(emails, (id) => guideFormulaUsesChatwoot(id, 60)),
      0,
    );
  });
});

describe('widget router HTTP endpoints', () => {
  let root: string;
  let store: LocalBlobStore;
  const routers: WidgetRouter[] = [];
  const logged: object[] = [];
  const logger: RouterLogger = { error: (details) => logged.push(details) };

  async function start(cacheMs: number): Promise<WidgetRouter> {
    const router = await startWidgetRouter({ store, port: 0, host: '127.0.0.1', cacheMs, logger });
    routers.push(router);
    return router;
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'router-test-'));
    store = new LocalBlobStore(root);
    logged.length = 0;
  });

  afterEach(async () => {
    await Promise.all(routers.splice(0).map((router) => router.close()));
    await rm(root, { recursive: true, force: true });
  });

  it('serves 0% for an account whose rollout has not started', async () => {
    const router = await start(0);
    const response = await fetch(`${router.url}/rollout/acme.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), {
      account: 'acme',
      percentage: 0,
      phase: 'not-started',
      updatedAt: null,
    });
  });

  it('serves the percentage the rollout workflow wrote, without its history, with a short max-age', async () => {
    await putJson(store, 'rollout/42.json', {
      account: '42',
      percentage: 30,
      phase: 'week-2',
      updatedAt: '2025-03-10T09:00:00.000Z',
      history: [{ percentage: 10, at: '2025-03-03T09:00:00.000Z' }],
    });
    const router = await start(5_000);
    const response = await fetch(`${router.url}/rollout/42.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=5');
    assert.deepEqual(await response.json(), {
      account: '42',
      percentage: 30,
      phase: 'week-2',
      updatedAt: '2025-03-10T09:00:00.000Z',
    });
  });

  it('holds a percentage in memory for cacheMs, and not at all with cacheMs 0', async () => {
    await putJson(store, 'rollout/acme.json', { percentage: 10, phase: 'week-1' });
    const cached = await start(60_000);
    const uncached = await start(0);
    assert.equal(
      ((await (await fetch(`${cached.url}/rollout/acme.json`)).json()) as { percentage: number }).percentage,
      10,
    );
    await putJson(store, 'rollout/acme.json', { percentage: 60, phase: 'week-3' });
    assert.equal(
      ((await (await fetch(`${cached.url}/rollout/acme.json`)).json()) as { percentage: number }).percentage,
      10,
    );
    const fresh = await fetch(`${uncached.url}/rollout/acme.json`);
    assert.equal(fresh.headers.get('cache-control'), 'public, max-age=0');
    assert.equal(((await fresh.json()) as { percentage: number }).percentage, 60);
  });

  it('answers 500 for a malformed rollout document and logs why', async () => {
    await putJson(store, 'rollout/broken.json', { percentage: 140 });
    const router = await start(0);
    const response = await fetch(`${router.url}/rollout/broken.json`);
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(logged.length, 1);
    assert.match(String((logged[0] as { err: Error }).err.message), /not a rollout document/);
  });

  it('rejects account ids that could reach other blob keys', async () => {
    const router = await start(0);
    for (const path of ['/rollout/..%2Fsecrets.json', '/rollout/a.b.json', '/rollout/%E2%9C%93.json']) {
      const response = await fetch(`${router.url}${path}`);
      assert.equal(response.status, 400, path);
    }
    assert.equal((await fetch(`${router.url}/rollout/a/b.json`)).status, 404);
  });

  it('serves the loader script, a health check, CORS preflight, 404 and 405', async () => {
    const router = await start(0);
    const loader = await fetch(`${router.url}/loader.js`);
    assert.equal(loader.status, 200);
    assert.match(loader.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(loader.headers.get('access-control-allow-origin'), '*');
    assert.equal(await loader.text(), LOADER_SCRIPT);

    const health = await fetch(`${router.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });

    const preflight = await fetch(`${router.url}/rollout/acme.json`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /GET/);

    const head = await fetch(`${router.url}/rollout/acme.json`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');

    assert.equal((await fetch(`${router.url}/nothing-here`)).status, 404);
    const post = await fetch(`${router.url}/rollout/acme.json`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });
});

/**
 * The Chatwoot sandbox's Rack::Attack, as config/initializers/rack_attack.rb deploys it: 3000 requests
 * a minute per client IP, loopback and RACK_ATTACK_ALLOWED_IPS exempt, the client's address read as
 * Rails reads it behind a proxy, and the contact-search throttle per account.
 */
import assert from 'node:assert/strict';
import type { ChatwootSandbox } from '../src/sandbox/chatwoot/index.js';
import { railsClientIp } from '../src/sandbox/chatwoot/rackAttack.js';
import { sandboxesPerTest } from './helpers/chatwootApi.js';

const ADMIN = 'sandbox-admin-token';

async function get(
  sandbox: ChatwootSandbox,
  path = '/api/v1/profile',
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${sandbox.url}${path}`, { headers: { api_access_token: ADMIN, ...headers } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The statuses of `count` requests, sent `concurrency` at a time. */
async function statuses(
  sandbox: ChatwootSandbox,
  count: number,
  options: { path?: string; headers?: Record<string, string>; concurrency?: number } = {},
): Promise<number[]> {
  const results: number[] = [];
  const concurrency = options.concurrency ?? 1;
  for (let sent = 0; sent < count; sent += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - sent) }, () =>
      get(sandbox, options.path, options.headers).then((answer) => answer.status),
    );
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

const countOf = (values: number[], wanted: number) => values.filter((value) => value === wanted).length;

describe('Chatwoot sandbox rate limit (Rack::Attack)', () => {
  // 09:00:30, so a test can reach the next clock minute by moving 30 s.
  let clock = Date.UTC(2025, 0, 6, 9, 0, 30);
  const start = sandboxesPerTest(() => ({ now: () => clock }));

  beforeEach(() => {
    clock = Date.UTC(2025, 0, 6, 9, 0, 30);
  });

  it('allows 3000 requests a clock minute per client by default, then answers 429 "Retry later"', async () => {
    const sandbox = await start();
    const first = await statuses(sandbox, 3000, { concurrency: 50 });
    assert.equal(countOf(first, 200), 3000);
    const refused = await get(sandbox);
    assert.equal(refused.status, 429);
    assert.equal(refused.text, 'Retry later\n');
    assert.equal(refused.headers.get('content-type'), 'text/plain');
    assert.equal(refused.headers.get('retry-after'), null);
    assert.equal(sandbox.stats.throttled, 1);
  });

  it('counts fixed windows aligned to the clock minute, refused requests included', async () => {
    const sandbox = await start({ throttlePerMinute: 3 });
    assert.deepEqual(await statuses(sandbox, 5), [200, 200, 200, 429, 429]);
    clock += 29_000; // 09:00:59: still the same window
    assert.equal((await get(sandbox)).status, 429);
    clock += 1_000; // 09:01:00: a new window, though the first request was only 30 s ago
    assert.deepEqual(await statuses(sandbox, 4), [200, 200, 200, 429]);
  });

  it('exempts loopback (127.0.0.1 and ::1) from every throttle, without counting it', async () => {
    for (const clientAddress of ['127.0.0.1', '::1']) {
      const sandbox = await start({ throttlePerMinute: 2, contactSearchPerMinute: 1, clientAddress });
      assert.equal(countOf(await statuses(sandbox, 6), 200), 6, clientAddress);
      const searches = await statuses(sandbox, 3, { path: '/api/v1/accounts/1/contacts/search?q=a' });
      assert.equal(countOf(searches, 429), 0, clientAddress);
      assert.equal(sandbox.stats.throttled, 0);
    }
  });

  it('exempts exactly the addresses listed in RACK_ATTACK_ALLOWED_IPS (comma-separated, trimmed, no ranges)', async () => {
    const allowed = ' 203.0.113.7 , 198.51.100.2,10.1.0.0/16';
    for (const [clientAddress, exempt] of [
      ['203.0.113.7', true],
      ['198.51.100.2', true],
      ['203.0.113.8', false],
      ['10.1.2.3', false],
    ] as const) {
      const sandbox = await start({ throttlePerMinute: 2, rackAttackAllowedIps: allowed, clientAddress });
      const answers = await statuses(sandbox, 4);
      assert.equal(countOf(answers, 429), exempt ? 0 : 2, clientAddress);
    }
  });

  it('reads the client from X-Forwarded-For behind a proxy on a private network, as Rails does', async () => {
    const sandbox = await start({ throttlePerMinute: 2, clientAddress: '172.18.0.2' });
    const worker = { 'x-forwarded-for': '203.0.113.50' };
    const agent = { 'x-forwarded-for': '198.51.100.9' };
    assert.deepEqual(await statuses(sandbox, 3, { headers: worker }), [200, 200, 429]);
    assert.deepEqual(
      await statuses(sandbox, 2, { headers: agent }),
      [200, 200],
      'each client has its own budget',
    );
    // Without the header the proxy itself is the client: private, but not exempt.
    assert.deepEqual(await statuses(sandbox, 3), [200, 200, 429]);
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy (no spoofed loopback)', async () => {
    const sandbox = await start({ throttlePerMinute: 1, clientAddress: '203.0.113.50' });
    const spoofed = { 'x-forwarded-for': '127.0.0.1' };
    assert.deepEqual(await statuses(sandbox, 2, { headers: spoofed }), [200, 429]);
  });

  it('exempts everything behind a same-host proxy that forwards no X-Forwarded-For', async () => {
    const sandbox = await start({ throttlePerMinute: 1, clientAddress: '127.0.0.1' });
    assert.equal(countOf(await statuses(sandbox, 3), 200), 3);
    // With the header, the forwarded client counts again.
    assert.deepEqual(
      await statuses(sandbox, 2, { headers: { 'x-forwarded-for': '203.0.113.50' } }),
      [200, 429],
    );
  });

  it('picks the address as ActionDispatch::RemoteIp and Rack::Request#ip do', () => {
    assert.equal(railsClientIp('203.0.113.1', '198.51.100.1'), '203.0.113.1');
    assert.equal(railsClientIp('10.0.0.2', '198.51.100.1, 203.0.113.5, 10.0.0.9'), '203.0.113.5');
    assert.equal(railsClientIp('10.0.0.2', '127.0.0.1, 192.168.1.4'), '127.0.0.1');
    assert.equal(railsClientIp('10.0.0.2', 'unknown, 198.51.100.1'), '198.51.100.1');
    assert.equal(railsClientIp('172.31.255.1', undefined), '172.31.255.1');
    assert.equal(railsClientIp('172.32.0.1', '198.51.100.1'), '172.32.0.1', '172.32/16 is public');
    assert.equal(railsClientIp('fd00::5', '2001:db8::7'), '2001:db8::7');
  });

  it('throttles contact search per account (RATE_LIMIT_CONTACT_SEARCH), counting only what req/ip let through', async () => {
    // Behind a proxy, so that two clients (two req/ip budgets) share the account's search budget.
    const sandbox = await start({
      throttlePerMinute: 2,
      contactSearchPerMinute: 3,
      clientAddress: '10.0.0.2',
    });
    const search = '/api/v1/accounts/1/contacts/search?q=someone';
    const refused = (answers: number[]) => answers.map((status) => status === 429);
    const first = { path: search, headers: { 'x-forwarded-for': '203.0.113.1' } };
    const second = { path: search, headers: { 'x-forwarded-for': '203.0.113.2' } };
    // The first client's third and fourth requests are refused by req/ip before the search throttle.
    assert.deepEqual(refused(await statuses(sandbox, 4, first)), [false, false, true, true]);
    // So the account has used 2 of its 3 searches, not 4: one more passes, then the search limit.
    assert.deepEqual(refused(await statuses(sandbox, 2, second)), [false, true]);
    assert.equal(
      (await get(sandbox, '/api/v1/accounts/1/inboxes', { 'x-forwarded-for': '203.0.113.3' })).status,
      200,
    );
    clock += 30_000;
    assert.deepEqual(refused(await statuses(sandbox, 1, second)), [false]);
  });

  it('throttles nothing when ENABLE_RACK_ATTACK is false', async () => {
    const sandbox = await start({ throttlePerMinute: 1, rackAttackEnabled: false });
    assert.equal(countOf(await statuses(sandbox, 4), 200), 4);
  });

  it("uses the connection's own address with clientAddress 'socket' (the tests' loopback: exempt)", async () => {
    const sandbox = await start({ throttlePerMinute: 1, clientAddress: 'socket' });
    assert.equal(countOf(await statuses(sandbox, 3), 200), 3);
  });
});

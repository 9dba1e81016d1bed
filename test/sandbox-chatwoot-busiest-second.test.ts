/**
 * The Chatwoot sandbox reports the busiest 1,000 ms of API requests it received (GET /__sandbox/stats),
 * over a sliding window: the figure a budget is judged by, with a burst across the edge of a clock
 * second seen whole.
 */
import assert from 'node:assert/strict';
import { BusiestSecondMeter } from '../src/sandbox/chatwoot/busiestSecond.js';
import { type ChatwootSandbox, startChatwootSandbox } from '../src/sandbox/chatwoot/index.js';

describe('Chatwoot sandbox: the busiest second', () => {
  it('counts a sliding 1,000 ms window, not clock seconds', () => {
    const meter = new BusiestSecondMeter();
    // Three just before a clock second ends and three just after: six within 20 ms.
    for (const t of [10_000, 10_500, 10_990, 10_995, 10_999, 11_001, 11_005, 11_009]) meter.record(t);
    assert.deepEqual(meter.busiest, { requests: 7, startedAt: 10_500 });
    // 1,000 ms after an arrival it no longer counts: [10_995, 11_995) holds five.
    for (const t of [11_995, 11_996]) meter.record(t);
    assert.equal(meter.busiest.requests, 7);
    meter.restart();
    assert.deepEqual(meter.busiest, { requests: 0, startedAt: null });
    meter.record(20_000);
    assert.deepEqual(meter.busiest, { requests: 1, startedAt: 20_000 });
  });

  describe('over HTTP', () => {
    let sandbox: ChatwootSandbox;
    before(async () => {
      sandbox = await startChatwootSandbox({ rackAttackEnabled: false });
    });
    after(async () => sandbox?.close());

    const stats = async () =>
      (await (await fetch(`${sandbox.url}/__sandbox/stats`)).json()) as {
        requests: number;
        busiestSecond: { requests: number; startedAt: number | null };
      };

    it('reports API requests only, and measures afresh after POST /__sandbox/busiest-second', async () => {
      const burst = await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`${sandbox.url}/api/v1/profile`, { headers: { api_access_token: 'sandbox-admin-token' } }),
        ),
      );
      assert.ok(burst.every((response) => response.status === 200));
      const first = await stats();
      assert.equal(first.busiestSecond.requests, 12);
      assert.ok(typeof first.busiestSecond.startedAt === 'number');
      // Control routes are not the API: asking twice changes nothing.
      assert.equal((await stats()).busiestSecond.requests, 12);

      const restarted = await fetch(`${sandbox.url}/__sandbox/busiest-second`, { method: 'POST' });
      assert.deepEqual(await restarted.json(), { requests: 0, startedAt: null });
      for (let i = 0; i < 3; i++) {
        await fetch(`${sandbox.url}/api/v1/profile`, {
          headers: { api_access_token: 'sandbox-admin-token' },
        });
      }
      const after = await stats();
      assert.equal(after.busiestSecond.requests, 3);
      assert.equal(sandbox.busiestSecond.busiest.requests, 3);
    });
  });
});

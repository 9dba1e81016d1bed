/**
 * The keep-alive every registered activity runs under (activities/keepAlive.ts): it heartbeats while
 * the attempt waits on something slow, and it repeats the attempt's checkpoint, never replacing it:
 * the previous attempt's until the activity sends its own, then the activity's latest.
 */
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { KEEP_ALIVE_INTERVAL_MS, withKeepAlive } from '../src/activities/keepAlive.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('activity keep-alive', function () {
  this.timeout(20_000);

  it('heartbeats through a long wait, repeating the checkpoint it resumed from, then the latest one', async () => {
    const env = new MockActivityEnvironment({
      heartbeatTimeoutMs: 15_000,
      heartbeatDetails: { cursor: 'p3' },
    });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const { slow } = withKeepAlive({
      slow: async () => {
        await sleep(KEEP_ALIVE_INTERVAL_MS * 2.5); // one long request: the activity itself says nothing
        Context.current().heartbeat({ cursor: 'p4' });
        await sleep(KEEP_ALIVE_INTERVAL_MS * 2.5);
        return 'done';
      },
    });
    assert.equal(await env.run(slow), 'done');
    const before = beats.slice(0, 2);
    assert.deepEqual(before, [{ cursor: 'p3' }, { cursor: 'p3' }], JSON.stringify(beats));
    const own = beats.findIndex((b) => (b as { cursor: string }).cursor === 'p4');
    assert.equal(own, 2, JSON.stringify(beats));
    assert.ok(beats.length >= 5, `only ${beats.length} heartbeats in 5 intervals`);
    assert.ok(
      beats.slice(own).every((b) => (b as { cursor: string }).cursor === 'p4'),
      JSON.stringify(beats),
    );
    const count = beats.length;
    await sleep(KEEP_ALIVE_INTERVAL_MS * 1.5);
    assert.equal(beats.length, count, 'it went on heartbeating after the activity returned');
  });

  it('leaves activities without a heartbeat timeout alone', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: undefined });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const { quick } = withKeepAlive({ quick: async () => sleep(KEEP_ALIVE_INTERVAL_MS * 1.5) });
    await env.run(quick);
    assert.deepEqual(beats, []);
  });
});

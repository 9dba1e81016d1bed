/**
 * The budget share after a crash (src/budgetShare.ts): a killed worker stops counting within
 * LIVE_FOR_MS of its last presence poll, judged by the server's clock (the freshest poll in the same
 * answer), and a worker that cannot renew its own presence holds before the others may raise.
 */
import assert from 'node:assert/strict';
import { BudgetShare, JOIN_HOLD_MS, LIVE_FOR_MS, RAISE_AFTER_MS } from '../src/budgetShare.js';

describe('budget share presence: a dead worker stops counting within seconds', () => {
  it('drops a worker whose presence is LIVE_FOR_MS older than the freshest, whatever this clock says', () => {
    // This machine's clock runs 30 s behind the server's: only the server's times are compared.
    const skew = -30_000;
    let now = 1_000_000;
    const share = new BudgetShare('b', () => now);
    const server = () => now - skew;
    share.observe([
      { identity: 'a', lastAccessMs: server() },
      { identity: 'b', lastAccessMs: server() },
    ]);
    now += JOIN_HOLD_MS;
    const killedAt = server();
    share.observe([
      { identity: 'a', lastAccessMs: killedAt },
      { identity: 'b', lastAccessMs: server() },
    ]);
    assert.equal(share.allowance(20).perWindow, 10);
    // Just under the limit, the killed worker still counts.
    now += LIVE_FOR_MS - 1;
    share.observe([
      { identity: 'a', lastAccessMs: killedAt },
      { identity: 'b', lastAccessMs: server() },
    ]);
    assert.equal(share.workers, 2);
    assert.equal(share.allowance(20).perWindow, 10);
    // Past it, it is gone; the cap rises once every view of RAISE_AFTER_MS agrees.
    now += 2;
    share.observe([
      { identity: 'a', lastAccessMs: killedAt },
      { identity: 'b', lastAccessMs: server() },
    ]);
    assert.equal(share.workers, 1);
    assert.equal(share.allowance(20).perWindow, 10);
    now += RAISE_AFTER_MS + 1;
    share.observe([
      { identity: 'a', lastAccessMs: killedAt },
      { identity: 'b', lastAccessMs: server() },
    ]);
    assert.equal(share.allowance(20).perWindow, 20);
  });

  it('holds itself once its own presence is LIVE_FOR_MS old, before the others may raise', () => {
    let now = 5_000_000;
    const share = new BudgetShare('a', () => now);
    share.present(now);
    share.observe([
      { identity: 'a', lastAccessMs: now },
      { identity: 'b', lastAccessMs: now },
    ]);
    now += JOIN_HOLD_MS;
    share.present(now);
    share.observe([
      { identity: 'a', lastAccessMs: now },
      { identity: 'b', lastAccessMs: now },
    ]);
    assert.equal(share.allowance(20).perWindow, 10);
    const lastPresent = now;
    // Temporal unreachable from this worker: no presence poll answered, no new view either.
    now = lastPresent + LIVE_FOR_MS;
    assert.equal(share.allowance(20).perWindow, 10);
    now = lastPresent + LIVE_FOR_MS + 1;
    assert.equal(share.allowance(20).perWindow, 0);
    // The others drop it no earlier than LIVE_FOR_MS after that poll and raise RAISE_AFTER_MS later:
    // by then this worker has held for more than one send window.
    assert.ok(RAISE_AFTER_MS > 1050);
    // Present again: it sends again at its share.
    share.present(now);
    assert.equal(share.allowance(20).perWindow, 10);
  });
});

/**
 * The import's adaptive window (src/workflows/importWindow.ts), driven by a simulated import whose
 * throughput is min(window / conversation time, what the budget allows): it must grow while the
 * window is the limit and stop once the budget is, and ignore epochs in which it was starved.
 */
import assert from 'node:assert/strict';
import { ImportWindow, WINDOW_CAP } from '../src/workflows/importWindow.js';

/** Completes conversations one by one at the throughput the simulated import reaches; returns the window. */
function simulate(
  window: ImportWindow,
  budgetPerSecond: number,
  conversationMs: number,
  count: number,
): number {
  let now = 0;
  for (let i = 0; i < count; i++) {
    const perSecond = Math.min(window.size / (conversationMs / 1000), budgetPerSecond);
    now += 1000 / perSecond;
    window.completed(now);
  }
  return window.size;
}

describe('the adaptive import window', () => {
  it('grows until the budget, not the window, bounds the throughput', () => {
    // 2 s a conversation, 10 conversations a second allowed: a window of 20 is needed.
    const size = simulate(new ImportWindow(4, undefined, 0), 10, 2000, 3000);
    assert.ok(size >= 20, `window ${size} leaves the import below the budget`);
    assert.ok(size <= 20 * 1.6, `window ${size} grew well past what the budget allows`);
  });

  it('stops after one probing step when the budget is reached at the floor', () => {
    // The first epoch has nothing to compare with: it probes one step (20 -> 25), then holds.
    assert.equal(simulate(new ImportWindow(20, undefined, 0), 5, 1000, 2000), 25);
  });

  it('never passes its cap', () => {
    assert.equal(simulate(new ImportWindow(20, undefined, 0), 1e6, 60_000, 20_000), WINDOW_CAP);
  });

  it('learns nothing from an epoch in which it was starved', () => {
    const window = new ImportWindow(4, undefined, 0);
    let now = 0;
    for (let i = 0; i < 200; i++) {
      window.starve();
      now += 1000;
      window.completed(now);
    }
    assert.equal(window.size, 4);
    assert.equal(window.state.best, undefined);
  });

  it('resumes from the state carried over continue-as-new, never below the floor', () => {
    assert.equal(new ImportWindow(8, { size: 30, best: 4 }, 0).size, 30);
    assert.equal(new ImportWindow(8, { size: 5 }, 0).size, 8);
  });
});

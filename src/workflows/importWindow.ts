/**
 * How many conversationImport children the import keeps in flight. A fixed window is either too
 * small (on a slow machine or a slow Chatwoot the children, not the budget, set the pace: issue 15
 * measured 44.5% of the budget used with 20) or needlessly large. The workflow cannot compute the
 * right size: the budget is the workers' (CHATWOOT_REQUESTS_PER_SECOND, shared among the pollers of
 * the chatwoot-writes queue), and a conversation's time is Chatwoot's latency plus the pipeline's own
 * (workflow tasks, activity dispatch, the worker's CPU), which changes with the load. By Little's law
 * the window needed is the budget's conversations per second times a conversation's time, so the
 * window adapts to what it observes instead:
 *
 * - it counts conversations finished per second of workflow time over an epoch of about one window
 *   of completions;
 * - while a larger window still brings at least GAIN more throughput than the best epoch so far, it
 *   grows by a quarter (not the bottleneck yet: the window was the limit);
 * - once it does not, throughput has reached what the budget (or the machine) allows: children beyond
 *   that only wait in the pacer, so it stays. It never shrinks below the input's windowSize.
 *
 * Epochs in which the import was starved (waiting for the export, paused, at its tail) say nothing
 * about the window and are discarded. Time is the workflow's (Date.now() in a workflow is the time of
 * its task), so a replay decides the same. The state is carried over continue-as-new.
 */

/** At least this much more throughput than the best epoch so far, or the window stays as it is. */
const GAIN = 1.1;
/** Never more children in flight than this (the chatwoot-writes workers run 40 activities each). */
export const WINDOW_CAP = 200;
/** An epoch shorter than this is noise: wait for more completions. */
const MIN_EPOCH_MS = 2_000;
const MIN_EPOCH_COMPLETIONS = 10;

export interface ImportWindowState {
  size: number;
  /** Conversations a second of the best epoch measured. */
  best?: number;
}

export class ImportWindow {
  readonly state: ImportWindowState;
  private epochStart: number;
  private epochDone = 0;
  private starved = false;

  constructor(floor: number, carried: ImportWindowState | undefined, now: number) {
    this.state = carried ? { ...carried } : { size: floor };
    this.state.size = Math.max(this.state.size, floor);
    this.epochStart = now;
  }

  get size(): number {
    return this.state.size;
  }

  /** The import waited for something other than a free slot: this epoch measures nothing. */
  starve(): void {
    this.starved = true;
  }

  /** One child finished (completed or failed). */
  completed(now: number): void {
    this.epochDone++;
    const elapsed = now - this.epochStart;
    if (this.epochDone < Math.max(MIN_EPOCH_COMPLETIONS, this.state.size) || elapsed < MIN_EPOCH_MS) return;
    if (!this.starved) {
      const rate = (this.epochDone * 1000) / elapsed;
      const best = this.state.best;
      if (best === undefined || rate >= best * GAIN) {
        this.state.size = Math.min(WINDOW_CAP, this.state.size + Math.max(2, Math.ceil(this.state.size / 4)));
      }
      this.state.best = Math.max(best ?? 0, rate);
    }
    this.epochStart = now;
    this.epochDone = 0;
    this.starved = false;
  }
}

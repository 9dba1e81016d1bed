/**
 * The busiest 1,000 ms of API requests the sandbox has received: the figure a Chatwoot budget is judged
 * by (Rack::Attack counts arrivals, config/initializers/rack_attack.rb), measured exactly over a sliding
 * window rather than per clock second, so a burst across the edge of a second is seen whole.
 * Kept online (only the last second's arrivals are held), so a long rehearsal costs no memory.
 */
export interface BusiestSecond {
  /** Most requests that arrived within any 1,000 ms since the measure (re)started. */
  requests: number;
  /** Arrival (epoch ms) of the first request of that window; null before any request. */
  startedAt: number | null;
}

export class BusiestSecondMeter {
  private readonly recent: number[] = [];
  private peak: BusiestSecond = { requests: 0, startedAt: null };

  /** Counts one arrival at `atMs` (non-decreasing); answers the busiest window so far. */
  record(atMs: number): BusiestSecond {
    this.recent.push(atMs);
    // The window [first, first + 1000) holds every arrival less than 1,000 ms after the first.
    while ((this.recent[0] as number) <= atMs - 1000) this.recent.shift();
    if (this.recent.length > this.peak.requests) {
      this.peak = { requests: this.recent.length, startedAt: this.recent[0] as number };
    }
    return this.peak;
  }

  get busiest(): BusiestSecond {
    return this.peak;
  }

  /** Measures afresh from now on, e.g. from the start of an import. */
  restart(): void {
    this.recent.length = 0;
    this.peak = { requests: 0, startedAt: null };
  }
}

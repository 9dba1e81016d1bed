/**
 * A request budget per 10-second window, as Intercom's: every answer carries
 * X-RateLimit-Limit/-Remaining/-Reset, and requests beyond the budget get 429 rate_limit_exceeded.
 */
import { ApiError } from './http.js';

const WINDOW_SECONDS = 10;

export class RateLimiter {
  private window = { start: 0, used: 0 };

  constructor(
    private readonly limit: number,
    private readonly nowSeconds: () => number,
  ) {}

  /** Counts the request in the current 10-second window; true when the window's budget is spent. */
  spend(): boolean {
    const now = this.nowSeconds();
    const start = now - (now % WINDOW_SECONDS);
    if (start !== this.window.start) this.window = { start, used: 0 };
    this.window.used++;
    return this.window.used > this.limit;
  }

  headers(): Record<string, string> {
    const now = this.nowSeconds();
    const start = now - (now % WINDOW_SECONDS);
    const used = start === this.window.start ? this.window.used : 0;
    return {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(Math.max(0, this.limit - used)),
      'x-ratelimit-reset': String(start + WINDOW_SECONDS),
    };
  }

  exceeded(): ApiError {
    return new ApiError(429, 'rate_limit_exceeded', `Exceeded rate limit of ${this.limit} in 10_seconds`);
  }
}

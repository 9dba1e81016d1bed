/** A fixed-window counter per key, windows aligned to the clock minute as Rack::Attack's are. */
export class MinuteThrottle {
  private readonly windows = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  /** Counts the request; true when it is over the limit. */
  hit(key: string): boolean {
    const window = Math.floor(this.now() / 60_000);
    const entry = this.windows.get(key);
    if (!entry || entry.window !== window) {
      this.windows.set(key, { window, count: 1 });
      return 1 > this.limit;
    }
    entry.count += 1;
    return entry.count > this.limit;
  }
}

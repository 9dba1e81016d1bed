/**
 * Polling in real time for what a test waits on (a workflow's state, a blob, a sandbox's record),
 * with a deadline whose failure names what never came.
 */
export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** The first value `probe` answers other than undefined; fails once `timeoutMs` (default 120 s) passes. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Resolves once `check` holds; fails once `timeoutMs` passes. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: PollOptions = {},
): Promise<void> {
  await eventually(what, async () => ((await check()) ? true : undefined), options);
}

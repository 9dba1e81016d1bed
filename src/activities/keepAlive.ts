/**
 * Every activity with a heartbeat timeout heartbeats every second for as long as its attempt lives,
 * whatever it is doing: a single long request, a client's backoff after a 429, a download. Heartbeat
 * timeouts can then be sized to detect a dead worker (seconds, workflows/activityOptions.ts) rather
 * than to outlast the slowest step of the slowest activity (minutes), and no activity has to remember
 * to heartbeat inside every wait.
 *
 * A keep-alive repeats the attempt's latest heartbeat details: an activity that resumes from a
 * checkpoint (the export's cursor) must find that checkpoint after a crash, not the keep-alive's. Until
 * the attempt sends its own, the previous attempt's details are repeated, so a second crash before the
 * first new checkpoint loses nothing either.
 */
import { Context } from '@temporalio/activity';

/** Well under the worker's heartbeat throttle interval, so every interval the worker sends one. */
export const KEEP_ALIVE_INTERVAL_MS = 1000;

type ActivityFunction = (...args: never[]) => Promise<unknown>;

export function withKeepAlive<T extends Record<string, ActivityFunction>>(activities: T): T {
  const wrapped: Record<string, ActivityFunction> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      const context = Context.current();
      // Without a heartbeat timeout nothing watches heartbeats: leave such activities as they are.
      if (context.info.heartbeatTimeoutMs === undefined) return fn(...args);
      const send = context.heartbeat.bind(context);
      let latest: unknown = context.info.heartbeatDetails;
      // The SDK declares it read-only, but it is the context's own field, looked up on every call.
      Object.defineProperty(context, 'heartbeat', {
        value: (details?: unknown) => {
          latest = details;
          send(details);
        },
      });
      const timer = setInterval(() => send(latest), KEEP_ALIVE_INTERVAL_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
}

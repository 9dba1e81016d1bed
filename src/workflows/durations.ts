/**
 * Durations as the migration input gives them ("7 days", "90s", 500) in milliseconds, parsed
 * exactly as Temporal parses the durations given to sleep() and timeouts.
 */
import { type Duration, msToNumber } from '@temporalio/common';

export function toMilliseconds(duration: Duration): number {
  return msToNumber(duration);
}

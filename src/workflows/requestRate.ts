/**
 * "Budget in use" for the migration's page: the Chatwoot request rate the workers actually send, added
 * up from the samples their import activities return (activities/deps.ts chatwootRate), against the
 * budget they share. Pure and deterministic: the import workflow keeps the latest sample per worker.
 */
import type { ChatwootRateSample } from '../activities/contract.js';

/** A worker whose last sample is older than this has stopped importing (or died): it no longer counts. */
export const RATE_SAMPLE_TTL_MS = 30_000;

export interface TimedRateSample extends ChatwootRateSample {
  /** Workflow time the sample arrived (ms). */
  at: number;
}

export interface ChatwootRequestRate {
  /** Requests per second the workers sent lately, all together. */
  requestsPerSecond: number;
  /** CHATWOOT_REQUESTS_PER_SECOND: the budget of all workers together. */
  budgetPerSecond: number;
  /** Workers that reported within RATE_SAMPLE_TTL_MS. */
  workers: number;
}

/** Keeps the latest sample per worker and forgets those past the TTL (the map stays small). */
export function recordRateSample(
  samples: Map<string, TimedRateSample>,
  sample: ChatwootRateSample | undefined,
  now: number,
): void {
  if (sample) samples.set(sample.sender, { ...sample, at: now });
  for (const [sender, kept] of samples) {
    if (now - kept.at > RATE_SAMPLE_TTL_MS) samples.delete(sender);
  }
}

/** The workers' rates added up; undefined when no worker with a budget reported lately. */
export function requestRateOf(
  samples: Iterable<TimedRateSample>,
  now: number,
): ChatwootRequestRate | undefined {
  let requestsPerSecond = 0;
  let budgetPerSecond = 0;
  let workers = 0;
  for (const sample of samples) {
    if (now - sample.at > RATE_SAMPLE_TTL_MS) continue;
    requestsPerSecond += sample.sentPerSecond;
    // Every worker is configured with the same budget; the largest is the safe reading if not.
    budgetPerSecond = Math.max(budgetPerSecond, sample.budgetPerSecond);
    workers++;
  }
  if (workers === 0) return undefined;
  return { requestsPerSecond: Math.round(requestsPerSecond * 10) / 10, budgetPerSecond, workers };
}

/**
 * The bench's settings: read from the environment (documented at the top of scripts/bench.ts), written
 * back as the command that reproduces a run, and turned into the sandboxes' scenario.
 */
import { join } from 'node:path';
import { repoRoot } from '../../src/localStack.js';
import type { ScenarioOptions } from '../../src/sandbox/scenario.js';

export interface Settings {
  sizes: number[];
  latencyMs: number;
  chatwootRequestsPerSecond: number;
  chatwootActivitiesPerSecond: number;
  intercomPer10s: number;
  windowSize?: number;
  maxConcurrentChatwootActivities?: number;
  /** Run the sequential baseline on the first size's workspace. */
  baseline: boolean;
  /** A second comparison at a more realistic latency, on a small sample (0 skips it). */
  ratioLatencyMs: number;
  ratioSize: number;
  agentTokens: boolean;
  seed: number;
  partsPerConversation: number;
  /** Conversations of 520-600 parts (more than Intercom's 500 cap). */
  longConversations: number;
  output: string;
}

export function readSettings(env: NodeJS.ProcessEnv): Settings {
  const number = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative number`);
    return parsed;
  };
  const optional = (name: string) => (env[name] ? number(name, 0) : undefined);
  const sizes = (env.BENCH_SIZES ?? '1000,5000')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  if (sizes.length === 0) throw new Error('BENCH_SIZES must list conversation counts, e.g. 1000,10000');
  const rps = number('BENCH_CHATWOOT_RPS', 200);
  return {
    sizes,
    latencyMs: number('BENCH_LATENCY_MS', 5),
    chatwootRequestsPerSecond: rps,
    // A conversation costs at least 5 requests (look-up, create, one message, labels, status), so at
    // rps/5 activities a second the task queue's cap can never be what holds the budget back.
    chatwootActivitiesPerSecond: number('BENCH_CHATWOOT_ACTIVITIES_PER_SECOND', rps / 5),
    // Intercom's documented default for a private app: 10,000 calls a minute.
    intercomPer10s: number('BENCH_INTERCOM_PER_10S', 1666),
    windowSize: optional('BENCH_WINDOW'),
    maxConcurrentChatwootActivities: optional('BENCH_MAX_CHATWOOT_ACTIVITIES'),
    baseline: (env.BENCH_BASELINE ?? '1') !== '0',
    ratioLatencyMs: number('BENCH_RATIO_LATENCY_MS', 50),
    ratioSize: number('BENCH_RATIO_SIZE', 200),
    agentTokens: (env.BENCH_AGENT_TOKENS ?? '1') !== '0',
    seed: number('BENCH_SEED', 42),
    partsPerConversation: 6,
    longConversations: 1,
    output: env.BENCH_OUTPUT ?? join(repoRoot, 'BENCHMARKS.md'),
  };
}

export function benchCommand(settings: Settings): string {
  const defaults = readSettings({});
  const overrides: string[] = [];
  if (settings.sizes.join(',') !== defaults.sizes.join(','))
    overrides.push(`BENCH_SIZES=${settings.sizes.join(',')}`);
  for (const [name, key] of [
    ['BENCH_LATENCY_MS', 'latencyMs'],
    ['BENCH_CHATWOOT_RPS', 'chatwootRequestsPerSecond'],
    ['BENCH_CHATWOOT_ACTIVITIES_PER_SECOND', 'chatwootActivitiesPerSecond'],
    ['BENCH_INTERCOM_PER_10S', 'intercomPer10s'],
    ['BENCH_WINDOW', 'windowSize'],
    ['BENCH_MAX_CHATWOOT_ACTIVITIES', 'maxConcurrentChatwootActivities'],
    ['BENCH_RATIO_LATENCY_MS', 'ratioLatencyMs'],
    ['BENCH_RATIO_SIZE', 'ratioSize'],
    ['BENCH_SEED', 'seed'],
  ] as const) {
    const fallback =
      key === 'chatwootActivitiesPerSecond' ? settings.chatwootRequestsPerSecond / 5 : defaults[key];
    if (settings[key] !== fallback) overrides.push(`${name}=${settings[key]}`);
  }
  if (!settings.agentTokens) overrides.push('BENCH_AGENT_TOKENS=0');
  if (!settings.baseline) overrides.push('BENCH_BASELINE=0');
  return [...overrides, 'make bench'].join(' ');
}

export function scenarioOptions(settings: Settings, size: number, account: number): ScenarioOptions {
  return {
    account,
    seed: settings.seed,
    conversations: size,
    partsPerConversation: settings.partsPerConversation,
    caseDuplicateContacts: Math.max(2, Math.round(size / 200)),
    longConversations: settings.longConversations,
    agentTokens: settings.agentTokens,
    // As an operator raises CONVERSATION_MESSAGE_PER_MINUTE_LIMIT and RACK_ATTACK_LIMIT for the migration.
    chatwootMessagesPerMinute: 3000,
    chatwootThrottlePerMinute: Math.round(settings.chatwootRequestsPerSecond * 60),
    intercomRateLimitPer10s: settings.intercomPer10s,
    intercomFaults: { latencyMs: settings.latencyMs },
    chatwootFaults: { latencyMs: settings.latencyMs },
  };
}

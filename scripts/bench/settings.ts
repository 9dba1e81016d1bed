/**
 * The bench's settings: read from the environment (documented at the top of scripts/bench.ts), written
 * back as the command that reproduces a run, and turned into the sandboxes' scenario.
 */
import { join } from 'node:path';
import { repoRoot } from '../../src/localStack.js';
import type { ScenarioOptions } from '../../src/sandbox/scenario.js';

/** One setting of the services the migration talks to: the Chatwoot budget and each side's latency. */
export interface Profile {
  name: string;
  /** CHATWOOT_REQUESTS_PER_SECOND of the worker and the sandbox's rack-attack limit (×60 a minute). */
  chatwootRequestsPerSecond: number;
  chatwootLatencyMs: number;
  intercomLatencyMs: number;
}

/**
 * today: the bench's historical setting (200 requests a second, 5 ms on both sides).
 * realistic: Chatwoot's default Rack::Attack budget (3,000 a minute per IP, config/initializers/
 * rack_attack.rb's RACK_ATTACK_LIMIT), a Chatwoot answering in 40 ms and Intercom in 150 ms.
 */
export const PROFILES: Record<string, Profile> = {
  today: { name: 'today', chatwootRequestsPerSecond: 200, chatwootLatencyMs: 5, intercomLatencyMs: 5 },
  realistic: {
    name: 'realistic',
    chatwootRequestsPerSecond: 50,
    chatwootLatencyMs: 40,
    intercomLatencyMs: 150,
  },
};

export interface Settings {
  sizes: number[];
  profiles: Profile[];
  /** The chatwoot-writes task queue's rate; by default each profile's budget. */
  chatwootActivitiesPerSecond?: number;
  intercomPer10s: number;
  windowSize?: number;
  maxConcurrentChatwootActivities?: number;
  /** Run the sequential baseline on each profile's first size. */
  baseline: boolean;
  /** Go on through the rollout and cut-over on the first profile's first size. */
  rollout: boolean;
  agentTokens: boolean;
  seed: number;
  partsPerConversation: number;
  /** Conversations of 520-600 parts (more than Intercom's 500 cap). */
  longConversations: number;
  output: string;
}

/** What one migration run needs: the settings with one profile chosen. */
export type RunSettings = Settings & { profile: Profile };

export function activitiesPerSecond(settings: RunSettings): number {
  // Every activity makes at least one request, so a cap at the budget never lets through more than
  // the budget could serve, and the pacer holds the requests themselves to it. A lower cap (budget / 5
  // until 2026-11-28) held the import's tail back: small conversations, a create and a message each,
  // started only 5 a second while the budget had room for 15 (BENCHMARKS.md).
  return settings.chatwootActivitiesPerSecond ?? settings.profile.chatwootRequestsPerSecond;
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
  const profiles = (env.BENCH_PROFILES ?? 'today,realistic')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      const profile = PROFILES[name];
      if (!profile)
        throw new Error(`BENCH_PROFILES: unknown profile ${name} (known: ${Object.keys(PROFILES)})`);
      if (name !== 'today') return profile;
      // The single-profile settings of earlier benches still tune "today".
      const latency = optional('BENCH_LATENCY_MS');
      return {
        ...profile,
        chatwootRequestsPerSecond: number('BENCH_CHATWOOT_RPS', profile.chatwootRequestsPerSecond),
        chatwootLatencyMs: latency ?? profile.chatwootLatencyMs,
        intercomLatencyMs: latency ?? profile.intercomLatencyMs,
      };
    });
  if (profiles.length === 0) throw new Error('BENCH_PROFILES must name at least one profile');
  return {
    sizes,
    profiles,
    chatwootActivitiesPerSecond: optional('BENCH_CHATWOOT_ACTIVITIES_PER_SECOND'),
    // Intercom's documented default for a private app: 10,000 calls a minute.
    intercomPer10s: number('BENCH_INTERCOM_PER_10S', 1666),
    windowSize: optional('BENCH_WINDOW'),
    maxConcurrentChatwootActivities: optional('BENCH_MAX_CHATWOOT_ACTIVITIES'),
    baseline: (env.BENCH_BASELINE ?? '1') !== '0',
    rollout: (env.BENCH_ROLLOUT ?? '1') !== '0',
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
  const names = settings.profiles.map((p) => p.name).join(',');
  if (names !== defaults.profiles.map((p) => p.name).join(',')) overrides.push(`BENCH_PROFILES=${names}`);
  const today = settings.profiles.find((p) => p.name === 'today');
  if (today && today.chatwootRequestsPerSecond !== PROFILES.today.chatwootRequestsPerSecond)
    overrides.push(`BENCH_CHATWOOT_RPS=${today.chatwootRequestsPerSecond}`);
  if (today && today.chatwootLatencyMs !== PROFILES.today.chatwootLatencyMs)
    overrides.push(`BENCH_LATENCY_MS=${today.chatwootLatencyMs}`);
  for (const [name, key] of [
    ['BENCH_CHATWOOT_ACTIVITIES_PER_SECOND', 'chatwootActivitiesPerSecond'],
    ['BENCH_INTERCOM_PER_10S', 'intercomPer10s'],
    ['BENCH_WINDOW', 'windowSize'],
    ['BENCH_MAX_CHATWOOT_ACTIVITIES', 'maxConcurrentChatwootActivities'],
    ['BENCH_SEED', 'seed'],
  ] as const) {
    if (settings[key] !== defaults[key]) overrides.push(`${name}=${settings[key]}`);
  }
  if (!settings.agentTokens) overrides.push('BENCH_AGENT_TOKENS=0');
  if (!settings.baseline) overrides.push('BENCH_BASELINE=0');
  if (!settings.rollout) overrides.push('BENCH_ROLLOUT=0');
  return [...overrides, 'make bench'].join(' ');
}

export function scenarioOptions(settings: RunSettings, size: number, account: number): ScenarioOptions {
  const { profile } = settings;
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
    chatwootThrottlePerMinute: Math.round(profile.chatwootRequestsPerSecond * 60),
    intercomRateLimitPer10s: settings.intercomPer10s,
    intercomFaults: { latencyMs: profile.intercomLatencyMs },
    chatwootFaults: { latencyMs: profile.chatwootLatencyMs },
  };
}

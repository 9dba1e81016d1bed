/** The sequential baseline (scripts/baseline.ts) on a fresh scenario, for the comparison with the pipeline. */
import { startScenario } from '../../src/sandbox/scenario.js';
import { type BaselineResult, runSequentialBaseline } from '../baseline.js';
import { fixed, seconds } from './format.js';
import type { SizeResult } from './run.js';
import { type Settings, scenarioOptions } from './settings.js';

export interface Comparison {
  latencyMs: number;
  pipeline: SizeResult;
  baseline: BaselineResult;
}

export async function baselineRun(settings: Settings, size: number): Promise<BaselineResult> {
  console.log(`bench: sequential baseline on ${size} conversations at ${settings.latencyMs} ms latency ...`);
  const baseline = await runBaseline(settings, size);
  console.log(
    `bench: baseline ${baseline.conversations} conv in ${seconds(baseline.elapsedMs)} (${fixed(baseline.conversations / (baseline.elapsedMs / 1000))} conv/s)`,
  );
  return baseline;
}

async function runBaseline(settings: Settings, size: number): Promise<BaselineResult> {
  const scenario = await startScenario(scenarioOptions(settings, size, 1));
  try {
    return await runSequentialBaseline({
      intercomUrl: scenario.intercom.url,
      intercomToken: scenario.intercomToken,
      chatwootUrl: scenario.chatwoot.url,
      chatwootToken: scenario.chatwootToken,
      account: scenario.account,
      chatwootRequestsPerSecond: settings.chatwootRequestsPerSecond,
    });
  } finally {
    await scenario.close();
  }
}

/** The sequential baseline (scripts/baseline.ts) on a fresh scenario of a profile, for the comparison with the pipeline. */
import { startScenario } from '../../src/sandbox/scenario.js';
import { type BaselineResult, runSequentialBaseline } from '../baseline.js';
import { fixed, seconds } from './format.js';
import { type RunSettings, scenarioOptions } from './settings.js';

export async function baselineRun(settings: RunSettings, size: number): Promise<BaselineResult> {
  console.log(`bench: [${settings.profile.name}] sequential baseline on ${size} conversations ...`);
  const scenario = await startScenario(scenarioOptions(settings, size, 1));
  try {
    const baseline = await runSequentialBaseline({
      intercomUrl: scenario.intercom.url,
      intercomToken: scenario.intercomToken,
      chatwootUrl: scenario.chatwoot.url,
      chatwootToken: scenario.chatwootToken,
      account: scenario.account,
      chatwootRequestsPerSecond: settings.profile.chatwootRequestsPerSecond,
    });
    console.log(
      `bench: [${settings.profile.name}] baseline ${baseline.conversations} conv in ${seconds(baseline.elapsedMs)} (${fixed(baseline.conversations / (baseline.elapsedMs / 1000))} conv/s)`,
    );
    return baseline;
  } finally {
    await scenario.close();
  }
}

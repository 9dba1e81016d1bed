/**
 * The child side of startSandboxProcess (processes.ts): both sandboxes of a scenario in a process of
 * their own, so that what the Chatwoot sandbox timestamps as an arrival is not late because the test's
 * process (Temporal client, polling, JSON of histories) held the event loop. The scenario's options come
 * in SANDBOX_SCENARIO (JSON); questions come over the IPC channel and are answered on it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startScenario } from '../../src/sandbox/scenario.js';
import type { SandboxAnswer, SandboxQuestion, SandboxReady, SandboxScenarioOptions } from './processes.js';

const options = JSON.parse(process.env.SANDBOX_SCENARIO ?? '{}') as SandboxScenarioOptions;
const arrivals: number[] = [];
const endpoints: string[] = [];
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const scenario = await startScenario({
  ...options,
  onChatwootRequest: options.recordArrivals
    ? (atMs, endpoint) => {
        arrivals.push(atMs);
        endpoints.push(endpoint);
      }
    : undefined,
});

const send = (message: SandboxReady | SandboxAnswer) => process.send?.(message);

process.on('message', (message: SandboxQuestion) => {
  const answer = (result: unknown) => send({ id: message.id, result });
  switch (message.type) {
    case 'arrivals':
      return answer({ arrivals, endpoints });
    case 'stats':
      return answer({
        busiestSecond: scenario.chatwoot.stats.busiestSecond,
        throttled: scenario.chatwoot.stats.throttled,
        requests: scenario.chatwoot.stats.requests,
        eventLoopDelayMs: { max: lag.max / 1e6, p99: lag.percentile(99) / 1e6 },
      });
    case 'close':
      return void scenario.close().then(() => {
        answer(null);
        process.disconnect?.();
        process.exit(0);
      });
  }
});
// The parent went away (killed, or its after hook ran): nothing is left listening.
process.on('disconnect', () => process.exit(0));

send({
  type: 'ready',
  account: scenario.account,
  intercomUrl: scenario.intercom.url,
  chatwootUrl: scenario.chatwoot.url,
  intercomToken: scenario.intercomToken,
  chatwootToken: scenario.chatwootToken,
  chatwootAgentTokens: scenario.chatwootAgentTokens,
  input: scenario.input(''),
});

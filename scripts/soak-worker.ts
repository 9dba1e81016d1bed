/**
 * The worker process of the fault soak (test/fault-soak.test.ts): the real worker set of
 * src/worker.ts, configured from the same environment as its main() (TEMPORAL_ADDRESS,
 * INTERCOM_TOKEN, CHATWOOT_TOKEN, CHATWOOT_AGENT_TOKENS, PAYLOAD_CODEC_KEY), with two differences:
 * its workflow bundle carries scripts/soak-interceptors.ts, which shortens activity timeouts so that
 * a killed worker's activities are retried within seconds, and heartbeats go out every second. The soak builds that bundle once and hands its
 * path over in SOAK_WORKFLOW_BUNDLE, so a restart does not spend seconds bundling again.
 *
 *   node dist/scripts/soak-worker.js      (prints "worker running" once it polls)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { workerEnvironmentFrom } from '../src/activities/index.js';
import { payloadCodecFromEnv } from '../src/codec/aesGcmCodec.js';
import { createWorkerSet, workflowsPath } from '../src/worker.js';

const interceptorsPath = fileURLToPath(new URL('./soak-interceptors.js', import.meta.url));
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Bundles the workflows with the soak's timeout interceptor and writes the code to `path`. */
export async function writeSoakWorkflowBundle(path: string): Promise<void> {
  const bundle = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [interceptorsPath],
    logger: quiet,
  });
  writeFileSync(path, bundle.code);
}

async function soakBundle(): Promise<WorkflowBundle> {
  const path = process.env.SOAK_WORKFLOW_BUNDLE;
  if (path) return { code: readFileSync(path, 'utf8') };
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [interceptorsPath], logger: quiet });
}

async function main(): Promise<void> {
  const env = process.env;
  const address = env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  // The soak reads this process's output on failure: keep the SDK's warnings, drop its chatter.
  const print =
    (level: string) =>
    (message: string, meta?: Record<string, unknown>): void =>
      console.error(`${level}: ${message} ${meta ? JSON.stringify(meta).slice(0, 2000) : ''}`);
  Runtime.install({ logger: { ...quiet, warn: print('warn'), error: print('error') } });
  const set = await createWorkerSet({
    address,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    env: workerEnvironmentFrom(env),
    payloadCodec: payloadCodecFromEnv(env),
    workflowBundle: await soakBundle(),
    // Heartbeats reach the server every second, so a Temporal server restart of a few seconds does
    // not make the soak's short heartbeat timeouts expire under activities that are still running.
    maxHeartbeatThrottleInterval: '1s',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => set.shutdown());
  console.log(`worker running on ${address}`);
  await set.run();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

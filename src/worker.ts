/**
 * The worker process: workflows and light activities on the "migration" queue, Intercom reads and
 * Chatwoot writes on their own queues whose task rates are global across all workers
 * (maxTaskQueueActivitiesPerSecond), so adding workers adds throughput without overrunning either
 * service. CHATWOOT_REQUESTS_PER_SECOND is one budget for all workers together: each takes its share
 * from the workers Temporal sees polling the Chatwoot queue (budgetShare.ts). Tokens come from this
 * process's environment only.
 *
 *   TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default), INTERCOM_TOKEN, CHATWOOT_TOKEN,
 *   CHATWOOT_AGENT_TOKENS, WORKER_QUEUES (all | comma list of migration,intercom-reads,chatwoot-writes),
 *   INTERCOM_ACTIVITIES_PER_SECOND, CHATWOOT_ACTIVITIES_PER_SECOND, INTERCOM_REQUESTS_PER_SECOND,
 *   CHATWOOT_REQUESTS_PER_SECOND, LOG_LEVEL (INFO; logging.ts)
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Duration, PayloadCodec } from '@temporalio/common';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { WorkerEnvironment } from './activities/deps.js';
import { ActivityDeps, activitiesForQueue, workerEnvironmentFrom } from './activities/index.js';
import type { TaskQueueName } from './activities/queues.js';
import { BudgetShare, budgetSlotSupplier, watchPollers, workerIdentity } from './budgetShare.js';
import { payloadCodecFromEnv } from './codec/aesGcmCodec.js';
import { taskQueues } from './config.js';
import { workerRuntimeOptions } from './logging.js';
import { blobEncryptionFromEnv, describeBlobEncryption } from './storage/encryptionSettings.js';
import { ensureSearchAttributes } from './temporal.js';

export interface WorkerSetOptions {
  /** Either an address to connect to, or connections to reuse (tests pass the test environment's). */
  address?: string;
  connections?: { native: NativeConnection; client: Client };
  namespace: string;
  env: WorkerEnvironment;
  queues?: string[];
  intercomActivitiesPerSecond?: number;
  chatwootActivitiesPerSecond?: number;
  /**
   * A prebuilt bundle (tests build it once); otherwise bundled from the workflows folder. With a
   * payloadCodec, build it with workflowBundle({ encodeFailures: true }) so workflow failures are
   * encrypted like activity failures.
   */
  workflowBundle?: WorkflowBundle;
  /** Conversations imported at once per worker (activity slots on the Chatwoot queue). */
  maxConcurrentChatwootActivities?: number;
  /** Encrypts every payload the workers and their client write (PAYLOAD_CODEC_KEY in main). */
  payloadCodec?: PayloadCodec;
  /**
   * Longest wait between two activity heartbeats sent to the server (5 s here; the SDK's default is
   * 60 s, or 80% of the heartbeat timeout when that is shorter); the fault soak shortens it.
   */
  maxHeartbeatThrottleInterval?: Duration;
}

export const workflowsPath = fileURLToPath(new URL('./workflows/index.js', import.meta.url));
const sharedModulesPath = fileURLToPath(new URL('./workflows/sharedModules.js', import.meta.url));
/** With the payload codec on, failure messages are encrypted too (see codec/encodedFailures.cts). */
export const encodedFailuresPath = fileURLToPath(new URL('./codec/encodedFailures.cjs', import.meta.url));

const bundles = new Map<boolean, Promise<WorkflowBundle>>();
/**
 * Bundling takes seconds: done once per process and kind. `encodeFailures` builds the failure
 * converter of encodedFailures.cts into the bundle, for workers with the payload codec on.
 */
export function workflowBundle(options: { encodeFailures?: boolean } = {}): Promise<WorkflowBundle> {
  const encodeFailures = options.encodeFailures ?? false;
  let bundle = bundles.get(encodeFailures);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath,
      // zod evaluated once per worker instead of once per workflow run (see sharedModules.ts).
      preloadModules: [sharedModulesPath],
      failureConverterPath: encodeFailures ? encodedFailuresPath : undefined,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    bundles.set(encodeFailures, bundle);
  }
  return bundle;
}

export interface WorkerSet {
  run(): Promise<void>;
  shutdown(): void;
  client: Client;
  /**
   * This worker's share of the Chatwoot budget (absent without a budget). It allows nothing until the
   * worker has been listed for JOIN_HOLD_MS: the bench waits for it before it starts a migration, as a
   * long-running worker holds its share before an operator starts one.
   */
  chatwootShare?: BudgetShare;
}

export async function createWorkerSet(options: WorkerSetOptions): Promise<WorkerSet> {
  const owned = !options.connections;
  const nativeConnection =
    options.connections?.native ?? (await NativeConnection.connect({ address: options.address }));
  const clientConnection =
    options.connections?.client.connection ?? (await Connection.connect({ address: options.address }));
  const dataConverter = options.payloadCodec
    ? { payloadCodecs: [options.payloadCodec], failureConverterPath: encodedFailuresPath }
    : undefined;
  // A reused client keeps its own data converter: the caller gives it the same codec.
  const client =
    options.connections?.client ??
    new Client({ connection: clientConnection, namespace: options.namespace, dataConverter });
  await ensureSearchAttributes(client, options.namespace);
  const queues: readonly string[] = options.queues ?? Object.values(taskQueues);
  // Temporal's worker identity, set here so that the budget share can find this worker in the list.
  const identity = workerIdentity();
  const chatwootShare =
    queues.includes(taskQueues.chatwoot) && options.env.chatwootRequestsPerSecond !== undefined
      ? new BudgetShare(identity)
      : undefined;
  const deps = new ActivityDeps(options.env, { chatwootShare });
  const bundle = options.workflowBundle ?? (await workflowBundle({ encodeFailures: !!options.payloadCodec }));
  // The SDK would wait up to 80% of the heartbeat timeout between two heartbeats it sends, leaving a
  // live attempt a few seconds' margin under a loaded event loop; every 5 s leaves ten.
  const heartbeatThrottle = { maxHeartbeatThrottleInterval: options.maxHeartbeatThrottleInterval ?? '5s' };
  // One worker per queue served, each with only that queue's activities (activities/index.ts): an
  // activity scheduled on the wrong queue finds no handler instead of bypassing a rate budget.
  const perQueue: Record<TaskQueueName, { concurrency: number; perSecond?: number }> = {
    [taskQueues.main]: { concurrency: 20 },
    [taskQueues.intercom]: { concurrency: 20, perSecond: options.intercomActivitiesPerSecond },
    [taskQueues.chatwoot]: {
      concurrency: options.maxConcurrentChatwootActivities ?? 40,
      perSecond: options.chatwootActivitiesPerSecond,
    },
  };
  const workers: Worker[] = [];
  for (const queue of Object.values(taskQueues)) {
    if (!queues.includes(queue)) continue;
    workers.push(
      await Worker.create({
        connection: nativeConnection,
        namespace: options.namespace,
        dataConverter,
        ...heartbeatThrottle,
        taskQueue: queue,
        identity,
        // Workflows run on the main queue only.
        ...(queue === taskQueues.main ? { workflowBundle: bundle } : {}),
        activities: activitiesForQueue(queue, deps),
        ...(queue === taskQueues.chatwoot && chatwootShare
          ? {
              // Takes new Chatwoot work only while its own budget has room (budgetShare.ts).
              tuner: {
                activityTaskSlotSupplier: budgetSlotSupplier(
                  perQueue[queue].concurrency,
                  () => deps.chatwootBacklog(),
                  chatwootShare,
                ),
                workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
                localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
                nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
              },
            }
          : { maxConcurrentActivityTaskExecutions: perQueue[queue].concurrency }),
        maxTaskQueueActivitiesPerSecond: perQueue[queue].perSecond,
      }),
    );
  }
  return {
    client,
    chatwootShare,
    run: async () => {
      const watcher =
        chatwootShare && watchPollers(client, options.namespace, taskQueues.chatwoot, chatwootShare);
      try {
        await Promise.all(workers.map((worker) => worker.run()));
      } finally {
        watcher?.stop();
        if (owned) {
          await nativeConnection.close();
          await clientConnection.close();
        }
      }
    },
    shutdown: () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const number = (value: string | undefined) => (value ? Number(value) : undefined);
  Runtime.install(workerRuntimeOptions(env));
  // Read first: a malformed BLOB_ENCRYPTION_KEY stops the worker here, not activity after activity.
  const blobEncryption = describeBlobEncryption(blobEncryptionFromEnv(env));
  const set = await createWorkerSet({
    address: env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    env: workerEnvironmentFrom(env),
    queues: env.WORKER_QUEUES && env.WORKER_QUEUES !== 'all' ? env.WORKER_QUEUES.split(',') : undefined,
    intercomActivitiesPerSecond: number(env.INTERCOM_ACTIVITIES_PER_SECOND),
    chatwootActivitiesPerSecond: number(env.CHATWOOT_ACTIVITIES_PER_SECOND),
    payloadCodec: payloadCodecFromEnv(env),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => set.shutdown());
  console.log(`worker running on ${env.TEMPORAL_ADDRESS ?? 'localhost:7233'}`);
  console.log(blobEncryption);
  await set.run();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

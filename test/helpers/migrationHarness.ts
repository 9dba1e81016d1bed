/**
 * What a test of a whole migration needs: the real local Temporal server, both sandboxes with a
 * generated workspace, a worker set holding the scenario's tokens, a temporary blob directory, and
 * one close() for all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import type { WorkerEnvironment } from '../../src/activities/deps.js';
import { type MigrationInputRaw, workflowIds } from '../../src/config.js';
import { type Scenario, type ScenarioOptions, startScenario } from '../../src/sandbox/scenario.js';
import { createWorkerSet, type WorkerSet, workflowBundle } from '../../src/worker.js';
import { startLocalTemporal } from './temporal.js';

/** The tokens a worker reads from its environment, as the scenario hands them out. */
export type ScenarioTokens = Pick<Scenario, 'intercomToken' | 'chatwootToken' | 'chatwootAgentTokens'>;

export function workerEnvironment(tokens: ScenarioTokens): WorkerEnvironment {
  return {
    intercomToken: tokens.intercomToken,
    chatwootToken: tokens.chatwootToken,
    chatwootAgentTokens: tokens.chatwootAgentTokens,
  };
}

/** What a worker reads from its environment besides the tokens: pacing, the largest Intercom answer. */
export type WorkerSettings = Omit<WorkerEnvironment, keyof ScenarioTokens>;

/** Starts accountMigration for the input's account, under the workflow id the CLI uses. */
export function startMigration(client: Client, input: MigrationInputRaw) {
  return client.workflow.start('accountMigration', {
    taskQueue: 'migration',
    workflowId: workflowIds.migration(input.account as number),
    args: [input],
  });
}

/** Requests that wrote to Chatwoot (every route but GETs), as the sandbox counted them. */
export function chatwootWrites(scenario: Scenario): number {
  return Object.entries(scenario.chatwoot.stats.byRoute)
    .filter(([route]) => !route.startsWith('GET'))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** A running worker set; stop() shuts it down and waits for it. */
export interface RunningWorkers {
  workers: WorkerSet;
  stop(): Promise<void>;
}

export async function runWorkers(
  env: TestWorkflowEnvironment,
  tokens: ScenarioTokens,
  options: {
    client?: Client;
    payloadCodec?: PayloadCodec;
    bundle?: WorkflowBundle;
    environment?: WorkerSettings;
  } = {},
): Promise<RunningWorkers> {
  const workers = await createWorkerSet({
    connections: { native: env.nativeConnection, client: options.client ?? env.client },
    namespace: 'default',
    env: { ...workerEnvironment(tokens), ...options.environment },
    workflowBundle: options.bundle ?? (await workflowBundle({ encodeFailures: !!options.payloadCodec })),
    payloadCodec: options.payloadCodec,
  });
  const running = workers.run();
  return {
    workers,
    stop: async () => {
      workers.shutdown();
      await running;
    },
  };
}

export interface MigrationRig {
  env: TestWorkflowEnvironment;
  scenario: Scenario;
  workers: WorkerSet;
  /** The workflows' client: the rig's own, or the one given (e.g. with a payload codec). */
  client: Client;
  dataDir: string;
  blobStoreUrl: string;
  /** The scenario's input with one-second rollout phases, for a migration that ends in seconds. */
  input(overrides?: Partial<MigrationInputRaw>): MigrationInputRaw;
  /** Starts accountMigration for the input's account. */
  start(input: MigrationInputRaw): ReturnType<Client['workflow']['start']>;
  close(): Promise<void>;
}

export interface MigrationRigOptions {
  scenario: ScenarioOptions;
  /** Workers without the scenario's agent tokens (outgoing messages all by the administrator). */
  withoutAgentTokens?: boolean;
  /** A client for the workflows (built on the rig's connection) instead of the plain one. */
  client?: (env: TestWorkflowEnvironment) => Client;
  payloadCodec?: PayloadCodec;
  environment?: WorkerSettings;
}

export async function startMigrationRig(options: MigrationRigOptions): Promise<MigrationRig> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const env = await startLocalTemporal();
    closers.push(() => env.teardown());
    const scenario = await startScenario(options.scenario);
    closers.push(() => scenario.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'i2c-rig-'));
    closers.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const client = options.client?.(env) ?? env.client;
    const tokens = options.withoutAgentTokens ? { ...scenario, chatwootAgentTokens: {} } : scenario;
    const running = await runWorkers(env, tokens, {
      client,
      payloadCodec: options.payloadCodec,
      environment: options.environment,
    });
    closers.push(running.stop);
    const blobStoreUrl = `file://${join(dataDir, 'blobs')}`;
    return {
      env,
      scenario,
      workers: running.workers,
      client,
      dataDir,
      blobStoreUrl,
      input: (overrides = {}) => ({
        ...scenario.input(blobStoreUrl),
        rollout: { phaseDuration: '1s', deltaSyncInterval: '1s' },
        ...overrides,
      }),
      start: (input) => startMigration(client, input),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The shared parts of an integration test file: one local Temporal server, the bundle, a data folder. */
export interface TemporalSuite {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundle;
  dataDir: string;
  /** Run in reverse after each test (cleanupAfterEach) or at the end: workers, sandboxes. */
  cleanups: (() => Promise<void>)[];
}

/** Registers the suite's mocha hooks in the calling describe block. */
export function temporalSuite(
  dataDirPrefix: string,
  options: { cleanupAfterEach?: boolean } = {},
): TemporalSuite {
  const suite = { cleanups: [] } as unknown as TemporalSuite;
  const cleanUp = async () => {
    for (const cleanup of suite.cleanups.splice(0).reverse()) await cleanup();
  };
  before(async () => {
    suite.env = await startLocalTemporal();
    suite.bundle = await workflowBundle();
    suite.dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  });
  if (options.cleanupAfterEach) afterEach(cleanUp);
  after(async () => {
    await cleanUp();
    await suite.env?.teardown();
    if (suite.dataDir) rmSync(suite.dataDir, { recursive: true, force: true });
  });
  return suite;
}

/**
 * One rig for the whole describe block: started in its before hook, closed in its after hook. Its
 * fields are there once the before hook has run (inside the tests).
 */
export function migrationRigSuite(options: MigrationRigOptions): MigrationRig {
  const rig = {} as MigrationRig;
  before(async () => {
    Object.assign(rig, await startMigrationRig(options));
  });
  after(async () => {
    await rig.close?.();
  });
  return rig;
}

/**
 * A scenario's sandboxes and a worker set holding its tokens, both closed by the suite's cleanups.
 * With agent tokens and a flood guard the import does not reach unless `options` say otherwise.
 * `alone`: what an earlier test left running is stopped first, so one worker set at a time serves the
 * task queues.
 */
export async function scenarioWithWorkers(
  suite: TemporalSuite,
  options: ScenarioOptions,
  { alone = false }: { alone?: boolean } = {},
): Promise<Scenario> {
  if (alone) for (const cleanup of suite.cleanups.splice(0).reverse()) await cleanup();
  const scenario = await startScenario({ agentTokens: true, chatwootMessagesPerMinute: 3000, ...options });
  suite.cleanups.push(() => scenario.close());
  const running = await runWorkers(suite.env, scenario, { bundle: suite.bundle });
  suite.cleanups.push(running.stop);
  return scenario;
}

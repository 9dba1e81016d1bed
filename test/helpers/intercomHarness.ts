/**
 * Runs the real activities outside a worker: MockActivityEnvironment provides the activity context
 * (heartbeats observed, attempts started with given heartbeat details) against the Intercom sandbox
 * and a blob store in a temporary directory.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ExportEntityName } from '../../src/activities/contract.js';
import { ActivityDeps, type WorkerEnvironment } from '../../src/activities/deps.js';
import { createExportActivities } from '../../src/activities/export/intercomReads.js';
import { type EntityManifest, readManifest } from '../../src/activities/manifests.js';
import type { Conversation } from '../../src/clients/intercom/schemas.js';
import { type MigrationInput, type MigrationInputRaw, parseMigrationInput } from '../../src/config.js';
import {
  type GenerateOptions,
  generateWorkspace,
  type IntercomDataset,
  type IntercomSandbox,
  type IntercomSandboxOptions,
  startIntercomSandbox,
} from '../../src/sandbox/intercom/index.js';
import type { BlobStore } from '../../src/storage/blobStore.js';

export const INTERCOM_TOKEN = 'activity-test-token';

/**
 * Every entity an export writes, written out here rather than taken from the export workflow's own
 * list, so that a test notices an entity the workflow leaves out.
 */
export const EVERY_EXPORT_ENTITY: readonly ExportEntityName[] = [
  'contacts',
  'companies',
  'tags',
  'teams',
  'admins',
  'macros',
  'dataAttributes',
  'collections',
  'articles',
  'conversations',
];

export interface IntercomHarness {
  sandbox: IntercomSandbox;
  dataset: IntercomDataset;
  /** A temporary directory, removed by close(). */
  workDir: string;
  input: MigrationInput;
  close(): Promise<void>;
}

export interface HarnessOptions {
  workspace: GenerateOptions;
  sandbox?: Omit<Partial<IntercomSandboxOptions>, 'dataset' | 'token'>;
  /** Changes the generated dataset before the sandbox serves it. */
  prepare?: (dataset: IntercomDataset) => void;
  /** Merged over the default input (sandbox base URL, a local blob store in workDir). */
  input?: Partial<MigrationInputRaw>;
}

export function parseInput(raw: MigrationInputRaw): MigrationInput {
  const parsed = parseMigrationInput(raw);
  if (!parsed.ok) throw new Error(`invalid test input: ${parsed.problems}`);
  return parsed.input;
}

export async function startIntercomHarness(options: HarnessOptions): Promise<IntercomHarness> {
  const dataset = generateWorkspace(options.workspace);
  options.prepare?.(dataset);
  const sandbox = await startIntercomSandbox({ ...options.sandbox, dataset, token: INTERCOM_TOKEN });
  const workDir = await mkdtemp(join(tmpdir(), 'i2c-activities-'));
  const input = parseInput({
    account: 7,
    intercom: { baseUrl: sandbox.url },
    chatwoot: { baseUrl: 'http://127.0.0.1:9' },
    blobStoreUrl: `file://${join(workDir, 'blobs')}`,
    attachments: { allowLoopbackHttp: true },
    ...options.input,
  });
  return {
    sandbox,
    dataset,
    workDir,
    input,
    close: async () => {
      await sandbox.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** A fresh worker process's dependencies: its own HTTP clients and blob stores. */
/**
 * Registers an afterEach in the calling describe block that closes the harness each test started
 * through the returned function.
 */
export function intercomHarnessPerTest(): (options: HarnessOptions) => Promise<IntercomHarness> {
  let open: IntercomHarness | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  return async (options) => {
    open = await startIntercomHarness(options);
    return open;
  };
}

export function newDeps(environment: Partial<WorkerEnvironment> = {}): ActivityDeps {
  return new ActivityDeps({ intercomToken: INTERCOM_TOKEN, chatwootAgentTokens: {}, ...environment });
}

export interface AttemptOptions {
  attempt?: number;
  heartbeatDetails?: unknown;
  maximumAttempts?: number;
  /**
   * Sees each heartbeat's details (copied through JSON, as the worker's payload converter would) and
   * its number; throwing here fails the activity at that heartbeat, like a crash.
   */
  onHeartbeat?: (details: unknown, count: number) => void;
}

const quietLogger = new DefaultLogger('ERROR', () => undefined);

/** Runs one activity attempt in a mocked activity context. */
export function runAttempt<R>(fn: () => Promise<R>, options: AttemptOptions = {}): Promise<R> {
  const env = new MockActivityEnvironment(
    {
      attempt: options.attempt ?? 1,
      heartbeatDetails: options.heartbeatDetails,
      retryPolicy: options.maximumAttempts ? { maximumAttempts: options.maximumAttempts } : undefined,
    },
    { logger: quietLogger },
  );
  let count = 0;
  env.on('heartbeat', (details: unknown) => {
    count++;
    options.onHeartbeat?.(details === undefined ? undefined : JSON.parse(JSON.stringify(details)), count);
  });
  return env.run(fn);
}

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated worker crash');
    this.name = 'SimulatedCrash';
  }
}

/**
 * Runs an attempt that crashes at its `crashAt`th heartbeat, which never reaches the server, and
 * returns the details of the last heartbeat that did: what the retry resumes from.
 */
export async function crashAtHeartbeat<R>(run: () => Promise<R>, crashAt: number): Promise<unknown> {
  let delivered: unknown;
  await assert.rejects(
    runAttempt(run, {
      onHeartbeat: (details, count) => {
        if (count === crashAt) throw new SimulatedCrash();
        delivered = details;
      },
    }),
    SimulatedCrash,
  );
  return delivered;
}

/** Requests the sandbox answered on one route, e.g. "GET /conversations/{id}". */
export function routeCount(sandbox: IntercomSandbox, route: string): number {
  return sandbox.stats.byRoute[route] ?? 0;
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a manifest and every chunk it lists, checking counts and sha256 against the stored bytes. */
export async function readVerifiedManifest<T>(
  store: BlobStore,
  manifestKey: string,
): Promise<{ manifest: EntityManifest; records: T[] }> {
  const body = await store.get(manifestKey);
  assert.ok(body, `manifest ${manifestKey} is missing`);
  const manifest = JSON.parse(body.toString('utf8')) as EntityManifest;
  const records: T[] = [];
  for (const chunk of manifest.chunks) {
    const bytes = await store.get(chunk.key);
    assert.ok(bytes, `chunk ${chunk.key} is missing`);
    assert.equal(chunk.sha256, sha256(bytes), `sha256 of ${chunk.key}`);
    const lines = bytes
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
    assert.equal(lines.length, chunk.count, `record count of ${chunk.key}`);
    for (const line of lines) records.push(JSON.parse(line) as T);
  }
  assert.equal(manifest.count, records.length, `count of ${manifestKey}`);
  return { manifest, records };
}

/** Asserts that `ids` holds every expected id exactly once and nothing else. */
export function assertExactlyOnce(ids: readonly string[], expected: Iterable<string>, what: string): void {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const doubled = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(doubled, [], `${what} exported more than once`);
  assert.deepEqual([...counts.keys()].sort(), [...new Set(expected)].sort(), `${what} ids`);
}

/** The sandbox path behind a signed link, or undefined for a link elsewhere. */
export function sandboxPath(url: string, sandboxUrl: string): string | undefined {
  if (!url.startsWith(`${sandboxUrl}/attachments/`)) return undefined;
  return new URL(url).pathname
    .slice('/attachments/'.length)
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
}

/** Exports the conversations and answers their chunk keys. */
export async function exportConversationChunks(deps: ActivityDeps, input: MigrationInput): Promise<string[]> {
  const result = await runAttempt(() => createExportActivities(deps).exportConversations({ input }));
  return (await readManifest(deps.store(input), result.manifestKey)).chunks.map((chunk) => chunk.key);
}

/** The conversations of an exported chunk. */
export function parseChunk(body: Buffer | undefined): Conversation[] {
  assert.ok(body, 'chunk is stored');
  return body
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Conversation);
}

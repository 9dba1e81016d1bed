/**
 * `cli.js replay-live`: before a new worker build is deployed, the histories of the workflows running
 * now (migrations mid-rollout, retention reminders asleep for a year) are replayed against this
 * build's workflow code, the way the new workers will replay them when they take the workflows over.
 * A nondeterminism found here is a change that needs patched() (README, "Upgrading workers under
 * running migrations"); nothing is written to the server.
 *
 *   node dist/src/cli.js replay-live [--namespace default] [--query "ExecutionStatus='Running'"]
 *   node dist/src/cli.js replay-live --from-file a.json b.json   (`temporal workflow show --output json`)
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Client, HistoryAndWorkflowId } from '@temporalio/client';
import { IllegalStateError, type PayloadCodec } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { Command } from 'commander';
import { payloadCodecFromEnv } from '../codec/aesGcmCodec.js';
import { encodedFailuresPath, workflowBundle } from '../worker.js';

export const RUNNING_QUERY = "ExecutionStatus='Running'";

export type ReplayVerdict = 'ok' | 'nondeterminism' | 'failed';

export interface ReplayOutcome {
  type: string;
  workflowId: string;
  runId: string;
  verdict: ReplayVerdict;
  /** The first line of the replay error, for anything but ok. */
  error?: string;
}

/** A history to replay, with the workflow type its first event names. */
interface Source extends HistoryAndWorkflowId {
  type: string;
  runId?: string;
}

function typeOf(history: temporal.api.history.v1.IHistory): string {
  const first = history.events?.[0];
  return first?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
}

/** The running workflows the query lists (the server's visibility), each history fetched as it comes. */
async function* liveHistories(client: Client, query: string): AsyncIterable<Source> {
  for await (const execution of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    yield { workflowId: execution.workflowId, runId: execution.runId, history, type: execution.type };
  }
}

/** Exports of `temporal workflow show --output json`: the workflow id is not in them, so the file name stands in. */
function fileHistories(files: string[]): Source[] {
  return files.map((file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
    const runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId;
    return {
      workflowId: basename(file).replace(/\.json$/, ''),
      runId: runId ?? undefined,
      history,
      type: typeOf(history),
    };
  });
}

export interface ReplayLiveOptions {
  /** Either a client to list running workflows with, or exported history files. */
  client?: Client;
  query?: string;
  files?: string[];
  /** The build's workflow code: by default this build's, bundled as the worker bundles it. */
  workflowBundle?: WorkflowBundle;
  /** The codec the workers run with (PAYLOAD_CODEC_KEY): encrypted histories replay only through it. */
  payloadCodec?: PayloadCodec;
}

/** Replays every history the options name; one outcome each, in the order they were listed. */
export async function replayLive(options: ReplayLiveOptions): Promise<ReplayOutcome[]> {
  if (!options.client && !options.files) throw new Error('replayLive needs a client or history files');
  // The replay worker takes one history at a time and answers before asking for the next.
  const pending: Source[] = [];
  async function* sources(): AsyncIterable<HistoryAndWorkflowId> {
    const all = options.files
      ? fileHistories(options.files)
      : liveHistories(options.client as Client, options.query ?? RUNNING_QUERY);
    for await (const source of all) {
      pending.push(source);
      yield { workflowId: source.workflowId, history: source.history };
    }
  }
  const codec = options.payloadCodec;
  const bundle = options.workflowBundle ?? (await workflowBundle({ encodeFailures: !!codec }));
  const outcomes: ReplayOutcome[] = [];
  for await (const result of Worker.runReplayHistories(
    {
      workflowBundle: bundle,
      dataConverter: codec
        ? { payloadCodecs: [codec], failureConverterPath: encodedFailuresPath }
        : undefined,
    },
    sources(),
  )) {
    const error = result.error;
    const source = pending.shift();
    outcomes.push({
      type: source?.type ?? 'unknown',
      workflowId: result.workflowId,
      runId: source?.runId ?? result.runId,
      verdict: !error ? 'ok' : error instanceof DeterminismViolationError ? 'nondeterminism' : 'failed',
      ...(error ? { error: firstLine(error) } : {}),
    });
  }
  return outcomes;
}

/**
 * The first line of the error, down to the failure core reports inside it ("[TMPRL1100] Nondeterminism
 * error: ... HistoryEvent(id: 5, TimerStarted)") when there is one.
 */
function firstLine(error: Error): string {
  const whole = (error.message.split('\n')[0] ?? '').trim();
  const line = /message: "((?:[^"\\]|\\.)*)"/.exec(whole)?.[1] ?? whole;
  return line.length > 400 ? `${line.slice(0, 400)}...` : line;
}

/** One line per workflow and a total: what the command prints. */
export function replayLines(outcomes: ReplayOutcome[]): string[] {
  const lines = outcomes.map(
    (o) => `${o.verdict.padEnd(14)} ${o.type} ${o.workflowId} (${o.runId})${o.error ? `: ${o.error}` : ''}`,
  );
  const failed = outcomes.filter((o) => o.verdict !== 'ok').length;
  lines.push(
    `${outcomes.length} workflow(s) replayed: ${outcomes.length - failed} ok, ${failed} failed` +
      (failed > 0
        ? ' -- do not deploy this build (README: "Upgrading workers under running migrations")'
        : ''),
  );
  return lines;
}

export function registerReplayLive(program: Command, connect: (namespace?: string) => Promise<Client>): void {
  program
    .command('replay-live')
    .description(
      "replay the histories of running workflows against this build's workflow code, before deploying it",
    )
    .option('--namespace <namespace>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .option('--query <query>', 'which workflows (a visibility query)', RUNNING_QUERY)
    .option('--from-file <files...>', 'replay `temporal workflow show --output json` exports instead')
    .option(
      '--workflows-path <file>',
      "another build's workflows module (its dist/src/workflows/index.js) instead of this build's",
    )
    .action(
      async (options: { namespace?: string; query: string; fromFile?: string[]; workflowsPath?: string }) => {
        quietRuntime();
        const client = options.fromFile ? undefined : await connect(options.namespace);
        const payloadCodec = payloadCodecFromEnv(process.env);
        const outcomes = await replayLive({
          client,
          query: options.query,
          files: options.fromFile,
          payloadCodec,
          workflowBundle: options.workflowsPath
            ? await bundleWorkflowCode({
                workflowsPath: resolve(options.workflowsPath),
                failureConverterPath: payloadCodec ? encodedFailuresPath : undefined,
                logger: quietLogger,
              })
            : undefined,
        });
        for (const line of replayLines(outcomes)) console.log(line);
        if (outcomes.some((o) => o.verdict !== 'ok')) process.exitCode = 1;
      },
    );
}

const quietLogger = new DefaultLogger('ERROR');

/**
 * The replay worker would log its state changes, and the SDK's core each failed workflow task on
 * stdout: the command's stdout is its own lines, errors of the replay itself go to stderr.
 */
function quietRuntime(): void {
  try {
    Runtime.install({
      logger: quietLogger,
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch (error) {
    // Installed already (the CLI run in-process): keep that one.
    if (!(error instanceof IllegalStateError)) throw error;
  }
}

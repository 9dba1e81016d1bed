/**
 * `cli.js erase --account N (--email X | --intercom-contact ID) [--where snapshot,chatwoot,intercom]
 * [--mode delete|redact] [--input migration.json]`: one person's data erased on request, as the
 * erasePerson workflow ("migration-<N>/erase-<ref>", visible in the Web UI). The CLI writes the
 * request (the e-mail) to the migration's blob store under a salted hash and starts the workflow with
 * that hash only: the e-mail is never in a workflow id, input or history. It waits and prints the
 * erasure record (ids, counts, places; no personal data).
 *
 * Without --input, the migration's input is read from the history of "migration-<N>" (decrypted with
 * PAYLOAD_CODEC_KEY as the workers do).
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Command } from 'commander';
import {
  accountSalt,
  ERASURE_PLACES,
  type ErasureMode,
  type ErasurePlace,
  type ErasureRequest,
  requestRef,
} from '../activities/erasure/erasureList.js';
import type { ErasureRecord } from '../activities/erasure/snapshot.js';
import { payloadCodecFromEnv } from '../codec/aesGcmCodec.js';
import { parseMigrationInput, taskQueues, workflowIds } from '../config.js';
import { getJson, putJson } from '../storage/blobStore.js';
import { createBlobStore } from '../storage/index.js';
import { blobLayout } from '../storage/layout.js';

export interface EraseOptions {
  account: number;
  email?: string;
  intercomContact?: string;
  where?: string;
  mode?: string;
  input?: string;
}

export const eraseWorkflowId = (account: number, ref: string) => workflowIds.child(account, `erase-${ref}`);

/** The migration's input as its workflow was started with it. */
async function migrationInputOf(client: Client, account: number): Promise<unknown> {
  const workflowId = workflowIds.migration(account);
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  let payloads = started?.input?.payloads ?? [];
  if (payloads.length === 0) throw new Error(`${workflowId} has no input in its history: give --input`);
  const codec = payloadCodecFromEnv(process.env);
  if (codec) payloads = await codec.decode(payloads);
  return defaultPayloadConverter.fromPayload(
    payloads[0] as Parameters<typeof defaultPayloadConverter.fromPayload>[0],
  );
}

function parsePlaces(where: string | undefined): ErasurePlace[] {
  if (!where) return [...ERASURE_PLACES];
  const places = where.split(',').map((place) => place.trim());
  for (const place of places)
    if (!ERASURE_PLACES.includes(place as ErasurePlace))
      throw new Error(`--where takes ${ERASURE_PLACES.join(', ')} (comma-separated), not ${place}`);
  return [...new Set(places)] as ErasurePlace[];
}

export async function runErase(client: Client, options: EraseOptions): Promise<ErasureRecord> {
  if (!options.email === !options.intercomContact)
    throw new Error('give exactly one of --email and --intercom-contact');
  if (options.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(options.email.trim()))
    throw new Error('--email does not look like an e-mail address');
  const mode = (options.mode ?? 'delete') as ErasureMode;
  if (mode !== 'delete' && mode !== 'redact') throw new Error('--mode must be delete or redact');
  const where = parsePlaces(options.where);
  const raw: unknown = options.input
    ? JSON.parse(readFileSync(options.input, 'utf8'))
    : await migrationInputOf(client, options.account);
  const parsed = parseMigrationInput(raw);
  if (!parsed.ok) throw new Error(`invalid migration input: ${parsed.problems}`);
  if (parsed.input.account !== options.account)
    throw new Error(`the input is account ${parsed.input.account}'s, not ${options.account}'s`);
  const store = createBlobStore(parsed.input.blobStoreUrl);
  const salt = await accountSalt(store, options.account);
  const request: ErasureRequest = {
    ...(options.email ? { email: options.email.trim() } : { intercomContactId: options.intercomContact }),
    requestedAt: new Date().toISOString(),
  };
  const ref = requestRef(salt, request);
  await putJson(store, blobLayout.erasureRequest(options.account, ref), request);
  const workflowId = eraseWorkflowId(options.account, ref);
  const handle = await client.workflow.start('erasePerson', {
    taskQueue: taskQueues.main,
    workflowId,
    args: [{ input: raw, ref, where, mode }],
    // The same person asked again (or a failed run retried) reuses the id once the earlier run ended.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  console.error(`started ${workflowId}; waiting for it`);
  const result = (await handle.result()) as ErasureRecord;
  // The stored record is the workflow's result plus what its last step added: the outcome in words
  // and the renewed seal.
  return (await getJson<ErasureRecord>(store, blobLayout.erasureRecord(options.account, ref))) ?? result;
}

export function addEraseCommand(program: Command, connect: () => Promise<Client>): void {
  program
    .command('erase')
    .description(
      "erase one person's data (contact, conversations, attachments) from the snapshot, Chatwoot and Intercom; prints the erasure record",
    )
    .requiredOption('--account <id>', 'Chatwoot account id', (value: string) => {
      const account = Number(value);
      if (!Number.isInteger(account) || account <= 0)
        throw new Error(`--account must be a positive integer, not ${value}`);
      return account;
    })
    .option('--email <address>', "the person's e-mail address")
    .option('--intercom-contact <id>', "the person's Intercom contact id")
    .option('--where <places>', 'comma-separated: snapshot,chatwoot,intercom (default: all three)')
    .option(
      '--mode <mode>',
      'delete (default) or redact: contacts kept without name, e-mail, phone and attributes (snapshot, Chatwoot); their conversations and tickets are deleted all the same; Intercom is left untouched (its API cannot redact)',
    )
    .option('--input <file>', "the migration's input (default: read from the migration's history)")
    .action(async (options: EraseOptions) => {
      const client = await connect();
      const record = await runErase(client, options);
      console.log(JSON.stringify(record, null, 2));
    });
}

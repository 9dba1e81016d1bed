/**
 * erasePerson: one person's data erased on request, wherever the operator asks (workflow id
 * "migration-<account>/erase-<ref>", started by `cli.js erase`). `ref` is a salted hash of the
 * selector; the e-mail itself is only in the request blob the CLI wrote, read by the activities and
 * deleted at the end. This workflow sees Intercom ids, Chatwoot ids and counts, never the e-mail.
 *
 *   1. snapshot: find the person's contacts and the conversations naming them; put the e-mail's hash
 *      and the ids on the erasure list at once (a delta sync from now on leaves them out)
 *   2. Intercom: the contacts with that e-mail and their conversations (reads); their ids on the list
 *   3. the deletes, in the places asked: Chatwoot, Intercom, then the snapshot (last: the steps
 *      before read it)
 *   4. the erasure record (ids, counts, places) next to the snapshot, and the request deleted
 *
 * Every step is idempotent: run again (same workflow id), it finds less and deletes nothing twice.
 */
import { ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import type { ErasureChatwootActivities } from '../activities/erasure/chatwootWrites.js';
import type { ErasureMode, ErasurePlace } from '../activities/erasure/erasureList.js';
import type { ErasureIntercomActivities } from '../activities/erasure/intercomReads.js';
import type { ErasureRecord, ErasureSnapshotActivities } from '../activities/erasure/snapshot.js';
import { parseMigrationInput } from '../config.js';
import { chatwootWriteOptions, intercomExportOptions, localWorkOptions, proxyOn } from './activityOptions.js';

const snapshot = proxyOn<ErasureSnapshotActivities>(localWorkOptions);
const intercom = proxyOn<ErasureIntercomActivities>(intercomExportOptions);
const chatwoot = proxyOn<ErasureChatwootActivities>(chatwootWriteOptions);

export interface ErasePersonArgs {
  /** The migration's input (services and blob store); it holds no personal data. */
  input: unknown;
  /** The request's reference: a salted hash, as in the workflow id. */
  ref: string;
  where: ErasurePlace[];
  mode: ErasureMode;
}

export async function erasePerson(args: ErasePersonArgs): Promise<ErasureRecord> {
  const parsed = parseMigrationInput(args.input);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `invalid migration input: ${parsed.problems}. Give the input the migration was started with.`,
    });
  }
  const input = parsed.input;
  const base = { input, ref: args.ref };
  const where = new Set(args.where);
  const step = (text: string) =>
    setCurrentDetails(`**Erasure ${args.ref}** (${args.mode}; ${[...where].join(', ')}): ${text}`);

  step('finding the person in the snapshot');
  const selector = await snapshot.describeSelector(base);
  const inSnapshot = await snapshot.locateInSnapshot(base);
  step('finding the person in Intercom');
  const inIntercom = await intercom.locateInIntercom({
    ...base,
    intercomContactIds: inSnapshot.intercomContactIds,
  });
  const contactIds = [...new Set([...inSnapshot.intercomContactIds, ...inIntercom.contactIds])].sort();
  const conversationIds = [
    ...new Set([...inSnapshot.intercomConversationIds, ...inIntercom.conversationIds]),
  ].sort();
  await snapshot.extendErasureList({
    ...base,
    intercomContactIds: contactIds,
    intercomConversationIds: conversationIds,
  });

  const record: ErasureRecord = {
    ref: args.ref,
    account: input.account,
    selector: { kind: selector.kind, hash: selector.hash },
    mode: args.mode,
    where: [...where],
    requestedAt: selector.requestedAt,
    finishedAt: '',
    found: { intercomContacts: contactIds.length, intercomConversations: conversationIds.length },
    intercomContactIds: contactIds,
    intercomConversationIds: conversationIds,
  };
  if (where.has('chatwoot')) {
    step(`deleting in Chatwoot (${contactIds.length} Intercom contacts known)`);
    record.chatwoot = await chatwoot.eraseInChatwoot({
      ...base,
      intercomContactIds: contactIds,
      intercomConversationIds: conversationIds,
      mode: args.mode,
    });
  }
  if (where.has('intercom')) {
    step(`deleting in Intercom (${contactIds.length} contacts, ${conversationIds.length} conversations)`);
    record.intercom = await intercom.eraseInIntercom({
      ...base,
      contactIds,
      conversationIds,
      mode: args.mode,
    });
  }
  if (where.has('snapshot')) {
    step('rewriting the snapshot');
    record.snapshot = await snapshot.eraseSnapshot({
      ...base,
      intercomContactIds: contactIds,
      intercomConversationIds: conversationIds,
      mode: args.mode,
    });
  }
  record.finishedAt = new Date().toISOString();
  await snapshot.finishErasure({ ...base, record });
  step('done; the record is in the blob store and the workflow result');
  return record;
}

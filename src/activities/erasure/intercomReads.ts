/**
 * An erasure request in Intercom, on the intercom-reads queue (under Intercom's rate): the person's
 * contacts by e-mail (POST /contacts/search) and by the ids the snapshot knows, their conversations
 * (POST /conversations/search on contact_ids); then, when Intercom is one of the places asked, each
 * conversation deleted (DELETE /conversations/{id}) and each contact (DELETE /contacts/{id}). The
 * 2.16 description of DELETE /contacts/{id} says only "You can delete a single contact.": it does not
 * say the contact's conversations go with it, so they are deleted first, one by one. Intercom offers
 * no redaction through its API: in redact mode nothing is deleted there and the record says so.
 * A contact merged into another before the erasure answers DELETE with 410 contact_merged: it is
 * gone as such, and the record names the contact it became (whose data it now is) without deleting
 * that one, which the request did not name.
 */
import { Context } from '@temporalio/activity';
import { HttpFailure } from '../../clients/httpFailure.js';
import { ContactMergedFailure } from '../../clients/intercom/contactMerged.js';
import { taskQueues } from '../../config.js';
import type { ActivityDeps } from '../deps.js';
import type { OnQueue } from '../queues.js';
import type { ErasureMode } from './erasureList.js';
import { type ErasureArgs, readRequest } from './snapshot.js';

export const erasureIntercomQueue = taskQueues.intercom;

export interface IntercomFindings {
  contactIds: string[];
  conversationIds: string[];
}

export interface IntercomErasure {
  contactsDeleted: number;
  conversationsDeleted: number;
  /** Contacts Intercom no longer had (404: deleted before, or by an earlier attempt). */
  contactsAlreadyGone?: number;
  /**
   * Contacts merged into another before the erasure (410 contact_merged): gone as such, their data
   * now the other contact's, which is not deleted without being asked (it may be someone else).
   */
  contactsMergedAway?: { id: string; mergedInto: string }[];
  /** Why nothing was deleted, when nothing was (redact mode). */
  skipped?: string;
}

export function createErasureIntercomActivities(deps: ActivityDeps) {
  async function locateInIntercom(
    args: ErasureArgs & { intercomContactIds: string[] },
  ): Promise<IntercomFindings> {
    const request = await readRequest(deps.store(args.input), args);
    const intercom = deps.intercom(args.input);
    const contactIds = new Set(args.intercomContactIds);
    if (request.intercomContactId) contactIds.add(request.intercomContactId);
    if (request.email)
      for (const id of await intercom.erasure.contactIdsWithEmail(request.email)) contactIds.add(id);
    const conversationIds = new Set<string>();
    for (const contactId of contactIds) {
      for (const id of await intercom.erasure.conversationIdsOf(contactId)) conversationIds.add(id);
    }
    return { contactIds: [...contactIds].sort(), conversationIds: [...conversationIds].sort() };
  }

  async function eraseInIntercom(
    args: ErasureArgs & { contactIds: string[]; conversationIds: string[]; mode: ErasureMode },
  ): Promise<IntercomErasure> {
    if (args.mode === 'redact')
      return {
        contactsDeleted: 0,
        conversationsDeleted: 0,
        skipped: "Intercom's API has no redaction: run with --mode delete to delete there",
      };
    const intercom = deps.intercom(args.input);
    const result: IntercomErasure = {
      contactsDeleted: 0,
      conversationsDeleted: 0,
      contactsAlreadyGone: 0,
      contactsMergedAway: [],
    };
    for (const id of args.conversationIds) {
      if (await intercom.erasure.deleteConversation(id, true)) result.conversationsDeleted++;
      Context.current().heartbeat(result.conversationsDeleted);
    }
    for (const id of args.contactIds) {
      try {
        await intercom.deleteContact(id);
        result.contactsDeleted++;
      } catch (error) {
        // Merged away: DELETE answers 410 as GET /contacts/{id} does (sandbox/intercom/erasure.ts).
        if (error instanceof ContactMergedFailure)
          result.contactsMergedAway?.push({ id, mergedInto: error.canonicalId });
        // Gone already (a retried attempt, or deleted by hand): what the erasure wants.
        else if (error instanceof HttpFailure && (error.status === 404 || error.status === 410))
          result.contactsAlreadyGone = (result.contactsAlreadyGone ?? 0) + 1;
        else throw error;
      }
    }
    return result;
  }

  return { locateInIntercom, eraseInIntercom };
}

export type ErasureIntercomActivities = OnQueue<
  typeof erasureIntercomQueue,
  ReturnType<typeof createErasureIntercomActivities>
>;

/**
 * Conversation-level mapping: status, and the attributes stamped on each Chatwoot conversation.
 * `intercom_conversation_id` is the idempotency key the importer filters on (Chatwoot's own
 * conversation `source_id` is the contact-inbox source id, not a free external id). Texts go through
 * `storableText` (Chatwoot answers 500 to NUL); that id is kept as it is, since it is what the
 * importer and the verification find conversations by.
 */
import type { ConversationListItem } from '../clients/intercom/schemas.js';
import {
  type AttributeAdjustment,
  type CutAttribute,
  type FittedAttributes,
  fitAttributeHash,
} from './attributes.js';
import { htmlToPlainText } from './html.js';
import { isoUtc, storableJson, storableText, truncateShort } from './text.js';

export type ChatwootConversationStatus = 'open' | 'resolved' | 'snoozed';

/** open -> open, closed -> resolved, snoozed -> snoozed; anything else stays open, to be seen. */
export function mapConversationStatus(state: string | null | undefined): ChatwootConversationStatus {
  switch (state?.trim().toLowerCase()) {
    case 'closed':
      return 'resolved';
    case 'snoozed':
      return 'snoozed';
    default:
      return 'open';
  }
}

/** A conversation with or without its parts: only conversation-level fields are read here. */
type ConversationFields = ConversationListItem;

export interface ConversationCustomAttributes {
  intercom_conversation_id: string;
  intercom_created_at: string;
  intercom_updated_at: string;
  intercom_title?: string;
  intercom_priority?: string;
  intercom_rating?: number;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const trimmed = storableText(value ?? '').trim();
  return trimmed ? truncateShort(trimmed) : undefined;
}

/**
 * Scalars only, each with a custom attribute definition, so POST /conversations/filter finds them.
 * Within Chatwoot's attribute limits (./attributes.ts); nothing here comes near them today.
 */
export function conversationCustomAttributes(
  conversation: ConversationFields,
): FittedAttributes<ConversationCustomAttributes> {
  return fitAttributeHash(customAttributesOf(conversation), 'custom_attributes').values;
}

function customAttributesOf(conversation: ConversationFields): ConversationCustomAttributes {
  const attributes: ConversationCustomAttributes = {
    intercom_conversation_id: conversation.id,
    intercom_created_at: isoUtc(conversation.created_at),
    intercom_updated_at: isoUtc(conversation.updated_at),
  };
  const title = nonEmpty(conversation.title);
  if (title) attributes.intercom_title = title;
  const priority = nonEmpty(conversation.priority);
  if (priority) attributes.intercom_priority = priority;
  const rating = conversation.conversation_rating?.rating;
  if (typeof rating === 'number' && Number.isFinite(rating)) attributes.intercom_rating = rating;
  return attributes;
}

export interface ConversationAdditionalAttributes {
  intercom_state: string;
  /** Where the conversation started (Chatwoot shows `referer` in the conversation sidebar). */
  referer?: string;
  intercom_subject?: string;
  intercom_source_type?: string;
  intercom_delivered_as?: string;
  intercom_admin_assignee_id?: string;
  intercom_team_assignee_id?: string;
  intercom_contact_ids?: string[];
  intercom_waiting_since?: string;
  intercom_snoozed_until?: string;
  intercom_rating_remark?: string;
  /** Parts Intercom says the conversation has; more than the parts exported means some are missing
   * (GET /conversations/{id} returns at most 500). */
  intercom_parts_count?: number;
  intercom_parts_exported?: number;
  /** The conversation's own Intercom custom attributes, kept whole: they have no Chatwoot definitions. */
  intercom_custom_attributes?: Record<string, unknown>;
}

type ConversationWithParts = ConversationFields & {
  conversation_parts?: { conversation_parts?: unknown[] } | null;
};

/**
 * Context kept for agents and for audits; not used to find anything. Within Chatwoot's attribute
 * limits (./attributes.ts): a rating remark over 1,500 characters is cut, and kept whole in a note.
 */
export function conversationAdditionalAttributes(
  conversation: ConversationWithParts,
): FittedAttributes<ConversationAdditionalAttributes> {
  return fitAttributeHash(additionalAttributesOf(conversation), 'additional_attributes').values;
}

/**
 * What the two attribute hashes of a conversation lost to Chatwoot's limits: every value changed,
 * and the full text of each one cut (for the private note that keeps it).
 */
export function conversationAttributeAdjustments(conversation: ConversationWithParts): {
  adjustments: AttributeAdjustment[];
  cut: CutAttribute[];
} {
  const custom = fitAttributeHash(customAttributesOf(conversation), 'custom_attributes');
  const additional = fitAttributeHash(additionalAttributesOf(conversation), 'additional_attributes');
  return {
    adjustments: [...custom.adjustments, ...additional.adjustments],
    cut: [...custom.cut, ...additional.cut],
  };
}

function additionalAttributesOf(conversation: ConversationWithParts): ConversationAdditionalAttributes {
  const attributes: ConversationAdditionalAttributes = { intercom_state: conversation.state };
  const source = conversation.source;
  const referer = nonEmpty(source.url);
  if (referer) attributes.referer = referer;
  const subject = nonEmpty(htmlToPlainText(source.subject));
  if (subject) attributes.intercom_subject = subject;
  const sourceType = nonEmpty(source.type);
  if (sourceType) attributes.intercom_source_type = sourceType;
  const deliveredAs = nonEmpty(source.delivered_as);
  if (deliveredAs) attributes.intercom_delivered_as = deliveredAs;
  if (conversation.admin_assignee_id) attributes.intercom_admin_assignee_id = conversation.admin_assignee_id;
  if (conversation.team_assignee_id) attributes.intercom_team_assignee_id = conversation.team_assignee_id;
  const contactIds = (conversation.contacts?.contacts ?? []).map((contact) => contact.id);
  if (contactIds.length > 0) attributes.intercom_contact_ids = contactIds;
  if (typeof conversation.waiting_since === 'number') {
    attributes.intercom_waiting_since = isoUtc(conversation.waiting_since);
  }
  if (typeof conversation.snoozed_until === 'number') {
    attributes.intercom_snoozed_until = isoUtc(conversation.snoozed_until);
  }
  const remark = storableText(conversation.conversation_rating?.remark ?? '').trim();
  if (remark) attributes.intercom_rating_remark = remark;
  const partsCount = conversation.statistics?.count_conversation_parts;
  if (typeof partsCount === 'number') attributes.intercom_parts_count = partsCount;
  const exportedParts = conversation.conversation_parts?.conversation_parts;
  if (exportedParts) attributes.intercom_parts_exported = exportedParts.length;
  const custom = conversation.custom_attributes;
  if (custom && Object.keys(custom).length > 0) attributes.intercom_custom_attributes = { ...custom };
  // Every string, the ids and the custom attributes' keys and values included: nothing here is a key
  // that something is looked up by, and the whole object lands in one jsonb column.
  return storableJson(attributes);
}

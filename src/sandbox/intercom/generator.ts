/**
 * A deterministic Intercom workspace (API 2.16 shapes) for the sandbox: the same options and seed
 * always give the same dataset, byte for byte, so tests, the demo and the benchmark are repeatable.
 *
 * The data is shaped after what real workspaces hold, including the awkward parts the migration must
 * survive: contacts whose emails differ only by case, phones that are not E.164, contacts with no way
 * to reach them, conversations over the 500-part limit, part types nobody documented, HTML with
 * scripts, bodies over Chatwoot's 150,000-character limit, unsafe attachment names, and ids that come
 * as numbers on the wire although they are strings everywhere else.
 *
 * Attachments are described by a stable path; their bytes are produced on demand from (seed, path), so
 * a workspace with thousands of attachments costs no memory until one is downloaded. Conversations keep
 * placeholder links (`attachmentPlaceholder(path)`); the server mints signed, expiring links when it
 * answers.
 *
 * Each resource is built in generator/; this file fixes the order they are built in. All of them draw
 * from one seeded dice, so that order is part of the output: changing it changes every workspace.
 */
import type { IntercomDataset } from './dataset.js';
import { generateAttachmentBytes } from './generator/attachmentBytes.js';
import { AttachmentRegistry } from './generator/attachments.js';
import { buildCompanies } from './generator/companies.js';
import { applyContactExtras } from './generator/contactExtras.js';
import { buildContacts } from './generator/contacts.js';
import { type GenerateOptions, newGeneratorContext } from './generator/context.js';
import { ConversationBuilder } from './generator/conversations.js';
import { buildDataAttributes } from './generator/dataAttributes.js';
import {
  applyTicketValidationEdgeCases,
  applyValidationEdgeCases,
  buildEdgeCaseTags,
} from './generator/edgeCases.js';
import { buildArticles, buildCollections } from './generator/helpCenter.js';
import { buildMacros } from './generator/macros.js';
import { MessageWriter } from './generator/messages.js';
import { applyNullableFields } from './generator/nullableFields.js';
import { applyMultiParticipantConversations } from './generator/participants.js';
import { buildTags } from './generator/tags.js';
import { buildAdmins, buildMe, buildTeams } from './generator/team.js';
import { buildTickets, defaultTicketCount } from './generator/tickets.js';

export {
  ATTACHMENT_PLACEHOLDER_PATTERN,
  ATTACHMENT_PLACEHOLDER_PREFIX,
  type AttachmentDescriptor,
  attachmentPlaceholder,
  type DeletedConversation,
  type IntercomDataset,
} from './dataset.js';
export { generateAttachmentBytes, imageDimensions } from './generator/attachmentBytes.js';
export type { GenerateOptions } from './generator/context.js';

/** Generates the workspace. Pure: the same options give a deep-equal dataset. */
export function generateWorkspace(options: GenerateOptions): IntercomDataset {
  const context = newGeneratorContext(options);
  const o = options;
  const conversationCount = Math.max(0, Math.floor(o.conversations));
  const admins = buildAdmins(o.admins ?? 5);
  const teams = buildTeams(o.teams ?? 2, admins);
  const tags = buildTags(o.tags ?? 6);
  const companies = buildCompanies(context, o.companies ?? 5);
  const contactCount = Math.max(1, o.contacts ?? Math.round(conversationCount / 2));
  const contacts = buildContacts(
    context,
    contactCount,
    o.caseDuplicateContacts ?? Math.min(2, Math.floor(contactCount / 10)),
    companies,
  );
  const dataAttributes = buildDataAttributes(context.startTime);
  const macros = buildMacros(context, o.macros ?? 4, teams);
  const collections = buildCollections(context, o.collections ?? 3);
  const articles = buildArticles(context, o.articles ?? 5, collections, admins);
  const registry = new AttachmentRegistry(context);
  const conversationBuilder = new ConversationBuilder(context, new MessageWriter(context, registry));
  const { conversations, deleted } = conversationBuilder.build(conversationCount, {
    admins,
    teams,
    tags,
    contacts,
  });
  // After the conversations, and without the dice: the workspace is otherwise unchanged.
  const edgeCaseTags = o.validationEdgeCases ? buildEdgeCaseTags() : [];
  if (o.validationEdgeCases) applyValidationEdgeCases(conversations, edgeCaseTags, admins);
  applyMultiParticipantConversations(conversations, contacts, o.multiParticipantConversations ?? 1);
  // With a dice of its own, and none at all at the default rate of 0.
  applyNullableFields(context.seed, conversations, o.nullableFieldRate);
  // Last, with a dice of its own: notes, contact tags and companies, a merged lead.
  const contactExtras = applyContactExtras(
    context.seed,
    context.startTime,
    { contacts, companies, tags, admins, conversations },
    o.contactExtras,
  );
  const me = buildMe(context, admins);
  // Last of all the draws: adding tickets left every other part of a workspace as it was.
  const { tickets, ticketTypes, ticketStates } = buildTickets(
    context,
    registry,
    Math.max(0, Math.floor(o.tickets ?? defaultTicketCount(conversationCount))),
    { admins, teams, contacts, conversations },
  );
  if (o.validationEdgeCases) applyTicketValidationEdgeCases(tickets);
  const seed = context.seed;
  const attachments = registry.descriptors;
  return {
    me,
    admins,
    teams,
    tags: [...tags, ...edgeCaseTags],
    contacts,
    notes: contactExtras.notes,
    contactMerges: contactExtras.contactMerges,
    companies,
    macros,
    dataAttributes,
    collections,
    articles,
    conversations,
    deletedConversations: deleted,
    tickets,
    ticketTypes,
    ticketStates,
    attachments,
    readAttachment: async (path) => {
      const descriptor = attachments[path];
      return descriptor ? generateAttachmentBytes(seed, path, descriptor) : undefined;
    },
  };
}

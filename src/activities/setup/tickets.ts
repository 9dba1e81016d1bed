/**
 * The setup tickets need (chatwoot-writes), before any ticket is imported: the conversation custom
 * attribute definitions of the ticket conversations (`intercom_ticket_id`, the idempotency key the
 * import filters on, and one per ticket type attribute: Chatwoot's filter refuses a key without a
 * definition) and a label per ticket type. Looks up before it creates, like every setup step.
 *
 * Keys follow custom_attribute_definition.rb: unique per account and model, letters, digits, "_",
 * "." and "-" only, none of STANDARD_ATTRIBUTES (mapping/tickets.ts builds them so).
 */
import type { TicketType } from '../../clients/intercom/ticketSchemas.js';
import { type MigrationInput, taskQueues } from '../../config.js';
import { FROM_INTERCOM_LABEL } from '../../mapping/labels.js';
import { TICKET_ATTRIBUTES, ticketAttributeDefinitions, ticketTypeLabel } from '../../mapping/tickets.js';
import { getJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { type EntityManifest, recordsOf } from '../manifests.js';
import { mapLimited } from '../mapLimited.js';
import type { OnQueue } from '../queues.js';
import { createMissingLabels, SETUP_CREATES_AT_ONCE } from './chatwootWrites.js';

export const ticketSetupQueue = taskQueues.chatwoot;

export function createTicketSetupActivities(deps: ActivityDeps) {
  /** Definitions and labels; answers how many of each it created (0 and 0 on a re-run). */
  async function ensureTicketSetup({
    input,
  }: {
    input: MigrationInput;
  }): Promise<{ definitions: number; labels: number }> {
    const store = deps.store(input);
    const chatwoot = deps.chatwoot(input);
    const manifest = await getJson<EntityManifest>(
      store,
      blobLayout.entityManifest(input.account, 'ticketTypes'),
    );
    const types: TicketType[] = [];
    if (manifest) for await (const type of recordsOf<TicketType>(store, manifest)) types.push(type);

    const existingKeys = new Set(
      (await chatwoot.listCustomAttributeDefinitions('conversation')).map((d) => d.attribute_key),
    );
    const wanted = [
      ...TICKET_ATTRIBUTES.map((a) => ({ ...a, description: 'Set by the Intercom migration' })),
      ...ticketAttributeDefinitions(types),
    ];
    const missing = wanted.filter((definition) => {
      if (existingKeys.has(definition.key)) return false;
      existingKeys.add(definition.key);
      return true;
    });
    // Independent creates, a few at once (chatwootWrites.ts ensureAttributeDefinitions).
    await mapLimited(missing, SETUP_CREATES_AT_ONCE, (definition) =>
      chatwoot.createCustomAttributeDefinition({
        key: definition.key,
        displayName: definition.name,
        displayType: definition.type,
        model: 'conversation',
        description: definition.description,
      }),
    );
    const definitions = missing.length;

    const existingLabels = new Set((await chatwoot.listLabels()).map((label) => label.title));
    const titles = new Set([
      FROM_INTERCOM_LABEL,
      ...types.map((type) => ticketTypeLabel(type.name ?? type.category ?? 'ticket')),
    ]);
    const labels = await createMissingLabels(chatwoot, titles, existingLabels);
    return { definitions, labels };
  }

  return { ensureTicketSetup };
}

export type TicketSetupActivities = OnQueue<
  typeof ticketSetupQueue,
  ReturnType<typeof createTicketSetupActivities>
>;

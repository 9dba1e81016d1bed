/** Small Temporal helpers shared by the worker, the CLI, the demo and the tests. */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export const SEARCH_ATTRIBUTES = {
  MigrationPhase: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/** Registers the MigrationPhase search attribute; a workflow that upserts an unknown one would fail. */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(
    ([name]) => !(name in (existing.customAttributes ?? {})),
  );
  if (missing.length === 0) return;
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing),
    });
  } catch (error) {
    if (!/already exists/i.test(String(error))) throw error;
  }
}

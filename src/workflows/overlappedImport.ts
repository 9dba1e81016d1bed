/**
 * Export, mapping and import overlapped (issue 15; patch IMPORT_FOLLOWS_EXPORT). Chatwoot's budget is
 * what bounds a migration, so Chatwoot should be busy from the first minute: the mapping starts as
 * soon as the entities it reads are exported, the contacts' import as soon as the contacts (and the
 * companies and tags they name) are, and the conversations' import follows the export chunk by chunk,
 * each chunk once its attachments are rehosted. The contacts go first and whole because the merge plan
 * (contacts whose e-mails differ only by case) needs every contact, and a conversation its contact.
 *
 * The export child reports finished entities with entitiesExportedSignal. If the export must run
 * again (Intercom refused the token and the operator fixed it), its chunks are written anew and may
 * hold other conversations than those the import has followed: the import then runs once more over
 * the whole export, which is exactly-once like any re-run and finds what exists.
 */
import { condition, executeChild, setHandler } from '@temporalio/workflow';
import type { EntityExportResult, ExportEntityName } from '../activities/contract.js';
import type { MigrationInput } from '../config.js';
import { blobLayout } from '../storage/layout.js';
import { entitiesExportedSignal, type MigrationPhase } from './definitions.js';
import {
  CONTACT_ENTITIES,
  type ExportWorkflowResult,
  exportWorkflow,
  MAPPING_ENTITIES,
} from './exportWorkflow.js';
import { type ImportTotals, importWorkflow } from './importWorkflow.js';
import { mappingWorkflow } from './mappingWorkflow.js';

export interface OverlapContext {
  input: MigrationInput;
  paused: () => boolean;
  enterPhase: (phase: MigrationPhase) => Promise<void>;
  untilAccepted: <T>(runPhase: () => Promise<T>) => Promise<T>;
  childOptions: (name: string) => { workflowId: string };
  /** The export has finished (the import may still run). */
  onExported: (exported: ExportWorkflowResult) => void;
}

export async function exportMappingAndImport(
  ctx: OverlapContext,
): Promise<{ exported: ExportWorkflowResult; imported: ImportTotals }> {
  const { input } = ctx;
  const entities = new Map<string, EntityExportResult>();
  setHandler(entitiesExportedSignal, ({ entities: done }) => {
    for (const entity of done) entities.set(entity.entity, entity);
  });

  await ctx.enterPhase('export');
  let exportRuns = 0;
  let exportFailure: { error: unknown } | undefined;
  let exportResult: ExportWorkflowResult | undefined;
  const exportOptions = ctx.childOptions('export');
  const exportDone = ctx
    .untilAccepted(() => {
      exportRuns++;
      return executeChild(exportWorkflow, { ...exportOptions, args: [{ input, notifyParent: true }] });
    })
    .then(
      (result) => {
        exportResult = result;
        for (const entity of result.entities) entities.set(entity.entity, entity);
        ctx.onExported(result);
        return result;
      },
      (error: unknown) => {
        exportFailure = { error };
        throw error;
      },
    );
  // Awaited below; until then a failure is seen through exportFailure.
  exportDone.catch(() => undefined);
  const exportedAll = (names: ExportEntityName[]) => async () => {
    await condition(() => exportFailure !== undefined || names.every((name) => entities.has(name)));
    if (exportFailure) throw exportFailure.error;
  };

  await exportedAll(MAPPING_ENTITIES)();
  await ctx.enterPhase('mapping');
  await ctx.untilAccepted(() =>
    executeChild(mappingWorkflow, { ...ctx.childOptions('mapping'), args: [{ input }] }),
  );

  await exportedAll(CONTACT_ENTITIES)();
  await ctx.enterPhase('import');
  const runImport = (follow: boolean) =>
    ctx.untilAccepted(() =>
      executeChild(importWorkflow, {
        ...ctx.childOptions('import'),
        args: [
          {
            input,
            manifestKey:
              exportResult?.conversations.manifestKey ??
              blobLayout.entityManifest(input.account, 'conversations'),
            contactsManifestKey: entities.get('contacts')?.manifestKey,
            paused: ctx.paused(),
            holdOnAccessRefusal: true,
            follow,
          },
        ],
      }),
    );
  const following = runImport(exportResult === undefined);
  // A failed export fails the migration at once instead of leaving the import waiting for chunks.
  let imported = await Promise.race([following, exportDone.then(() => following)]);
  const exported = await exportDone;
  if (exportRuns > 1) {
    const again = await runImport(false);
    imported = { ...again, runs: imported.runs + again.runs };
  }
  return { exported, imported };
}

/**
 * Modules the workflow bundle evaluates once per worker rather than once per workflow run
 * (bundleWorkflowCode's preloadModules, in worker.ts). The reusable V8 context re-runs every module a
 * workflow reaches for each run, and zod's module scope alone cost about 15 ms of CPU a run, 30% of
 * the workflow thread's (each conversationImport child is a run).
 *
 * The SDK freezes what a preloaded module leaves in the context's globals, so zod's two lazy global
 * writes are made here, before the freeze: its first schema sets the default locale and the
 * memoizer in `globalThis.__zod_globalConfig` (zod/v4/classic/schemas.js _ensureDefaultLocale and
 * _ensureDefaultMemoizer). What stays shared is stateless for a workflow: the locale's messages, and
 * the memoizer and global registry, whose entries are keyed by each run's own schema objects (this
 * project registers no schema ids and never calls z.config).
 *
 * Listed through this module, not as 'zod' itself: zod's package.json declares it free of side
 * effects, so webpack drops a bare `require('zod')` whose value is unused, and nothing would load.
 */
import { z } from 'zod';

export const preloaded = z.object({ preloaded: z.string() });

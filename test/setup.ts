/**
 * Loaded before every test file (.mocharc.json "require"): one quiet Temporal runtime for the whole
 * run (it is a process-wide singleton), logging only errors.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });

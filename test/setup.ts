/**
 * Loaded before every test file (.mocharc.json "require"): one quiet Temporal runtime for the whole
 * run (it is a process-wide singleton), logging only errors.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// The blob store encrypts at rest unless opted out (storage/encryptionSettings.ts): the tests' key, so
// every migration the tests run writes an encrypted snapshot as a production worker would.
process.env.BLOB_ENCRYPTION_KEY ??= 'dGVzdC1ibG9iLWtleS1pbnRlcmNvbS10by1jaGF0d28=';
process.env.BLOB_ENCRYPTION_KEY_ID ??= 'test-blob-key';

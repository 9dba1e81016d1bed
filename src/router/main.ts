/**
 * The widget router as a process: BLOB_STORE_URL (where the rollout workflow publishes percentages),
 * ROUTER_PORT (8080), ROUTER_HOST (0.0.0.0), ROUTER_CACHE_MS (15000).
 */
import pino from 'pino';
import { createBlobStore } from '../storage/index.js';
import { startWidgetRouter } from './server.js';

const logger = pino({ name: 'widget-router' });
const store = createBlobStore(process.env.BLOB_STORE_URL ?? 'file://./.data/blobs');
const router = await startWidgetRouter({
  store,
  port: Number(process.env.ROUTER_PORT ?? 8080),
  host: process.env.ROUTER_HOST ?? '0.0.0.0',
  cacheMs: Number(process.env.ROUTER_CACHE_MS ?? 15_000),
  logger,
});
logger.info({ url: router.url, store: store.url }, 'widget router listening');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void router.close().then(() => process.exit(0)));
}

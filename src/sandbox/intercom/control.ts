/**
 * Control routes for tests and operators (no token, never faulted, not counted):
 * GET /__sandbox/stats and POST /__sandbox/faults with a JSON Partial<FaultConfig>.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { FaultInjector } from '../faults.js';
import type { IntercomDataset } from './dataset.js';
import { readJsonBody } from './http.js';
import type { IntercomSandboxStats } from './stats.js';

const FaultConfigPatch = z
  .object({
    latencyMs: z.number().nonnegative(),
    jitterMs: z.number().nonnegative(),
    rate429: z.number().min(0).max(1),
    rate5xx: z.number().min(0).max(1),
    rateDrop: z.number().min(0).max(1),
    seed: z.number().int(),
  })
  .partial();

export interface ControlTarget {
  dataset: IntercomDataset;
  faults: FaultInjector;
  stats: IntercomSandboxStats;
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  target: ControlTarget,
): Promise<void> {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  if (req.method === 'GET' && url.pathname === '/__sandbox/stats') {
    return send(200, {
      stats: target.stats,
      faults: { config: target.faults.current, counts: target.faults.counts },
      conversations: target.dataset.conversations.length,
      deletedConversations: target.dataset.deletedConversations.length,
    });
  }
  if (req.method === 'POST' && url.pathname === '/__sandbox/faults') {
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (error) {
      return send(400, { error: (error as Error).message });
    }
    const parsed = FaultConfigPatch.safeParse(body ?? {});
    if (!parsed.success) return send(400, { error: parsed.error.message });
    return send(200, target.faults.configure(parsed.data));
  }
  return send(404, { error: `no control route ${req.method} ${url.pathname}` });
}

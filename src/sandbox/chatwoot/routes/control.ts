/** The sandbox's own /__sandbox routes: no token, never throttled or faulted. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultConfig, FaultInjector } from '../../faults.js';
import type { BusiestSecond, BusiestSecondMeter } from '../busiestSecond.js';
import { ChatwootApiError } from '../errors.js';
import { isBlank, type Params, toJsonValue } from '../params.js';
import { parseBody, readBody } from '../request.js';
import { sendJson } from '../response.js';
import { notificationsView } from '../sideEffects.js';
import type { ChatwootState } from '../state.js';

export interface SandboxStats {
  requests: number;
  byRoute: Record<string, number>;
  throttled: number;
  /** The busiest 1,000 ms of API requests (busiestSecond.ts); POST /__sandbox/busiest-second restarts it. */
  busiestSecond: BusiestSecond;
}

export async function handleControl(
  {
    state,
    faults,
    stats,
    busiest,
  }: { state: ChatwootState; faults: FaultInjector; stats: SandboxStats; busiest?: BusiestSecondMeter },
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const raw = await readBody(req);
  const body = parseBody(raw, req.headers['content-type'] ?? 'application/json');
  if (req.method === 'GET' && pathname === '/__sandbox/dump') {
    // The state once Sidekiq has caught up: activity messages still queued are in it.
    await state.jobsSettled();
    return sendJson(res, 200, toJsonValue(state.dump()));
  }
  if (req.method === 'GET' && pathname === '/__sandbox/notifications') {
    // What NotificationListener would have created, per account (sideEffects.ts).
    const accounts = [...state.accounts.values()].map((account) => ({
      id: account.id,
      notifications: notificationsView(account),
    }));
    return sendJson(res, 200, toJsonValue({ accounts }));
  }
  if (req.method === 'GET' && pathname === '/__sandbox/stats') {
    return sendJson(res, 200, toJsonValue({ ...stats, faults: faults.counts }));
  }
  if (req.method === 'POST' && pathname === '/__sandbox/busiest-second' && busiest) {
    busiest.restart();
    stats.busiestSecond = busiest.busiest;
    return sendJson(res, 200, toJsonValue(stats.busiestSecond));
  }
  if (req.method === 'POST' && pathname === '/__sandbox/faults') {
    return sendJson(res, 200, toJsonValue(faults.configure(faultConfigFrom(body))));
  }
  if (req.method === 'POST' && pathname === '/__sandbox/csat') {
    const created = state.seedCsat(body);
    return sendJson(res, 200, { payload: created.map((response) => response.id) });
  }
  sendJson(res, 404, { status: 404, error: 'Not Found' });
}

function faultConfigFrom(body: Params): Partial<FaultConfig> {
  const config: Partial<FaultConfig> = {};
  for (const key of ['latencyMs', 'jitterMs', 'rate429', 'rate5xx', 'rateDrop', 'seed'] as const) {
    const value = body[key];
    if (typeof value === 'number' && Number.isFinite(value)) config[key] = value;
    else if (!isBlank(value)) throw new ChatwootApiError(422, { error: `${key} must be a number` });
  }
  return config;
}

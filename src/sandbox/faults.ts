/**
 * Fault injection shared by the sandboxes: latency, 429s, 5xx and dropped connections at configured
 * rates, decided by a seeded generator so a failing run can be replayed. Each sandbox applies the
 * faults before routing a request, except for its own /__sandbox control routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FaultConfig {
  /** Added to every response, in milliseconds (fixed part). */
  latencyMs: number;
  /** Extra uniformly random latency in [0, jitterMs). */
  jitterMs: number;
  /** Share of requests answered 429, 0..1. */
  rate429: number;
  /** Share answered 500/502/503, 0..1. */
  rate5xx: number;
  /** Share whose connection is destroyed without an answer, 0..1. */
  rateDrop: number;
  seed: number;
}

export const noFaults: FaultConfig = {
  latencyMs: 0,
  jitterMs: 0,
  rate429: 0,
  rate5xx: 0,
  rateDrop: 0,
  seed: 1,
};

export type FaultDecision =
  | { kind: 'none' }
  | { kind: '429' }
  | { kind: '5xx'; status: 500 | 502 | 503 }
  | { kind: 'drop' };

/** mulberry32: small, fast, good enough for choosing faults and generating data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig;
  private random: () => number;
  readonly counts = { requests: 0, injected429: 0, injected5xx: 0, dropped: 0 };

  constructor(config: Partial<FaultConfig> = {}) {
    this.config = { ...noFaults, ...config };
    this.random = seededRandom(this.config.seed);
  }

  configure(config: Partial<FaultConfig>): FaultConfig {
    this.config = { ...this.config, ...config };
    if (config.seed !== undefined) this.random = seededRandom(config.seed);
    return this.config;
  }

  get current(): FaultConfig {
    return { ...this.config };
  }

  delayMs(): number {
    const { latencyMs, jitterMs } = this.config;
    return latencyMs + (jitterMs > 0 ? Math.floor(this.random() * jitterMs) : 0);
  }

  decide(): FaultDecision {
    this.counts.requests++;
    const roll = this.random();
    const { rate429, rate5xx, rateDrop } = this.config;
    if (roll < rateDrop) {
      this.counts.dropped++;
      return { kind: 'drop' };
    }
    if (roll < rateDrop + rate429) {
      this.counts.injected429++;
      return { kind: '429' };
    }
    if (roll < rateDrop + rate429 + rate5xx) {
      this.counts.injected5xx++;
      const statuses = [500, 502, 503] as const;
      return { kind: '5xx', status: statuses[Math.floor(this.random() * statuses.length)] };
    }
    return { kind: 'none' };
  }

  /**
   * Waits the configured latency, then either answers with a fault (returns true: the request is
   * handled) or lets the caller route it (returns false). `answer429` writes the service's own 429.
   */
  async apply(
    req: IncomingMessage,
    res: ServerResponse,
    answer429: (res: ServerResponse) => void,
    answer5xx: (res: ServerResponse, status: number) => void,
  ): Promise<boolean> {
    const delay = this.delayMs();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const decision = this.decide();
    switch (decision.kind) {
      case 'none':
        return false;
      case 'drop':
        req.socket.destroy();
        return true;
      case '429':
        answer429(res);
        return true;
      case '5xx':
        answer5xx(res, decision.status);
        return true;
    }
  }
}

/**
 * What activities need from the worker process, and every piece of state that outlives one activity:
 * tokens from its environment, one HTTP client per service, base URL and account (so a client's rate
 * limiter is shared by every activity in the process), blob stores by URL, and the caches of one
 * migration run. Each is keyed by everything that makes it valid and bounded (lru-cache), so a worker
 * that serves a rehearsal and then the real run, or two accounts, never hands one the other's data.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ChatwootClient } from '../clients/chatwoot/client.js';
import { RequestPacer } from '../clients/httpCore.js';
import { IntercomClient } from '../clients/intercom/client.js';
import type { Conversation } from '../clients/intercom/schemas.js';
import { type SendAllowance, SendScheduler } from '../clients/sendBudget.js';
import { intercomBaseUrl, type MigrationInput } from '../config.js';
import type { BlobStore } from '../storage/blobStore.js';
import { createBlobStore } from '../storage/index.js';
import type { ChatwootRateSample } from './contract.js';
import type { ArchiveIndex } from './import/archiveIndex.js';

export interface WorkerEnvironment {
  intercomToken?: string;
  chatwootToken?: string;
  /** Agent access tokens by lower-cased e-mail, so outgoing messages are credited to the right agent. */
  chatwootAgentTokens: Record<string, string>;
  /** Client-side pacing per process, on top of the task queues' global limits. */
  intercomRequestsPerSecond?: number;
  chatwootRequestsPerSecond?: number;
  /** Largest Intercom answer read (INTERCOM_MAX_RESPONSE_BYTES); a conversation over it is set aside. */
  intercomMaxResponseBytes?: number;
}

/** Reads the worker's environment; secrets never travel in workflow input. */
export function workerEnvironmentFrom(env: NodeJS.ProcessEnv): WorkerEnvironment {
  const agentTokens: Record<string, string> = {};
  // CHATWOOT_AGENT_TOKENS="ann@example.com=token1,bob@example.com=token2"
  for (const pair of (env.CHATWOOT_AGENT_TOKENS ?? '').split(',')) {
    const at = pair.lastIndexOf('=');
    if (at > 0) agentTokens[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim();
  }
  const number = (value: string | undefined) => (value ? Number(value) : undefined);
  return {
    intercomToken: env.INTERCOM_TOKEN,
    chatwootToken: env.CHATWOOT_TOKEN,
    chatwootAgentTokens: agentTokens,
    intercomRequestsPerSecond: number(env.INTERCOM_REQUESTS_PER_SECOND),
    chatwootRequestsPerSecond: number(env.CHATWOOT_REQUESTS_PER_SECOND),
    intercomMaxResponseBytes: number(env.INTERCOM_MAX_RESPONSE_BYTES),
  };
}

export class MissingSecretError extends Error {
  constructor(variable: string) {
    super(`${variable} is not set in the worker's environment: set it and restart the worker`);
    this.name = 'InvalidInput';
  }
}

/**
 * This worker's part of the Chatwoot budget. The worker process derives it from the workers Temporal
 * sees polling the chatwoot-writes queue (src/budgetShare.ts); without one, the worker has it all.
 */
export interface ChatwootBudgetShare {
  allowance(budget: number): SendAllowance;
}

export interface ActivityDepsOptions {
  chatwootShare?: ChatwootBudgetShare;
}

const wholeBudget: ChatwootBudgetShare = {
  allowance: (budget) => ({ perWindow: Math.floor(budget), perSecond: budget }),
};

/**
 * Caches of one migration run: parsed export chunks, small JSON blobs (the mapping, the merge plan)
 * and Chatwoot contact ids. Valid only for one blob store, Chatwoot and account, and one run of the
 * migration workflow (`input.run`): a re-run re-reads what its own mapping phase wrote.
 */
export class MigrationRunCache {
  /** A window of conversations mostly shares a few chunks. */
  readonly chunks = new LRUCache<string, Promise<Conversation[]>>({ max: 16 });
  readonly json = new LRUCache<string, Promise<unknown>>({ max: 64 });
  /**
   * Chatwoot contact ids: without them every conversation would look its contact up again right after
   * the contacts step created it (one extra request per conversation, ~7% of the import's requests).
   * About 100 bytes an entry, 5 MB at most.
   */
  readonly contactIds = new LRUCache<string, number>({ max: 50_000 });
  /**
   * Contact resolutions under way, by contactIds' key: conversations or tickets of one contact that run
   * at once share its create (or look-up) instead of each creating it, getting a 422 and looking it up.
   */
  readonly contactsInFlight = new Map<string, Promise<unknown>>();
  /** The archive inbox's index (import/archiveIndex.ts): one per run, ~300 bytes a conversation. */
  readonly archiveIndex = new LRUCache<string, Promise<ArchiveIndex>>({ max: 1 });

  /** What Chatwoot held before the run's first creates (import/runStartProbes.ts), by question. */
  readonly runStartProbes = new Map<string, Promise<boolean>>();

  /** `resolve()` for `key`, or the resolution of `key` already under way (either way settled once). */
  async sharedContact<T>(key: string, resolve: () => Promise<T>): Promise<T> {
    const running = this.contactsInFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const resolution = resolve();
    this.contactsInFlight.set(key, resolution);
    try {
      return await resolution;
    } finally {
      this.contactsInFlight.delete(key);
    }
  }

  /** A blob read once per run; a failed read is forgotten so the next attempt reads again. */
  cached<T>(cache: LRUCache<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let value = cache.get(key);
    if (!value) {
      value = load();
      cache.set(key, value);
      value.catch(() => cache.delete(key));
    }
    return value;
  }
}

/** Worker-wide bounds: far above what one worker serves at once, far below what would leak. */
const MAX_STORES = 16;
const MAX_CLIENTS = 256;
const MAX_RUNS = 8;

export class ActivityDeps {
  private readonly stores = new LRUCache<string, BlobStore>({ max: MAX_STORES });
  private readonly intercomClients = new LRUCache<string, IntercomClient>({ max: MAX_CLIENTS });
  private readonly chatwootClients = new LRUCache<string, ChatwootClient>({ max: MAX_CLIENTS });
  /**
   * One pacer per Chatwoot: the administrator's and every agent's client, in every account, share the
   * budget, as Rack::Attack's req/ip counts every request of the workers' address.
   */
  private readonly chatwootPacers = new LRUCache<string, RequestPacer>({ max: MAX_CLIENTS });
  private readonly runs = new LRUCache<string, MigrationRunCache>({ max: MAX_RUNS });
  /** Every Chatwoot scheduler made, one per Chatwoot base URL served (a handful at most). */
  private readonly chatwootSchedulers = new Set<SendScheduler>();
  /** The scheduler of each Chatwoot base URL with a random id, for chatwootRate(). */
  private readonly schedulerByUrl = new LRUCache<string, { scheduler: SendScheduler; sender: string }>({
    max: MAX_CLIENTS,
  });

  /** No Temporal client: activities act on the services and the blob store, never on workflows. */
  constructor(
    readonly env: WorkerEnvironment,
    private readonly options: ActivityDepsOptions = {},
  ) {}

  store(input: Pick<MigrationInput, 'blobStoreUrl'>): BlobStore {
    let store = this.stores.get(input.blobStoreUrl);
    if (!store) {
      store = createBlobStore(input.blobStoreUrl);
      this.stores.set(input.blobStoreUrl, store);
    }
    return store;
  }

  /** The caches of the migration run `input` belongs to. */
  runCache(input: MigrationInput): MigrationRunCache {
    const key = [input.blobStoreUrl, input.chatwoot.baseUrl, input.account, input.run ?? ''].join('|');
    let cache = this.runs.get(key);
    if (!cache) {
      cache = new MigrationRunCache();
      this.runs.set(key, cache);
    }
    return cache;
  }

  intercom(input: MigrationInput): IntercomClient {
    const baseUrl = intercomBaseUrl(input.intercom);
    const key = `${baseUrl}|${input.intercom.apiVersion}`;
    // The token is the worker's own (one per process), so it need not be part of the key.
    let client = this.intercomClients.get(key);
    if (!client) {
      if (!this.env.intercomToken) throw new MissingSecretError('INTERCOM_TOKEN');
      client = new IntercomClient({
        baseUrl,
        token: this.env.intercomToken,
        apiVersion: input.intercom.apiVersion,
        requestsPerSecond: this.env.intercomRequestsPerSecond,
        maxResponseBytes: this.env.intercomMaxResponseBytes,
      });
      this.intercomClients.set(key, client);
    }
    return client;
  }

  /** The administrator's client, or an agent's when a token for that e-mail is configured. */
  chatwoot(input: MigrationInput, agentEmail?: string): ChatwootClient {
    const agentToken = agentEmail ? this.env.chatwootAgentTokens[agentEmail.toLowerCase()] : undefined;
    const token = agentToken ?? this.env.chatwootToken;
    if (!token) throw new MissingSecretError('CHATWOOT_TOKEN');
    const key = `${input.chatwoot.baseUrl}|${input.account}|${agentToken ? agentEmail?.toLowerCase() : 'admin'}`;
    let client = this.chatwootClients.get(key);
    if (!client) {
      const pacerKey = input.chatwoot.baseUrl;
      let pacer = this.chatwootPacers.get(pacerKey);
      if (!pacer) {
        const rate = this.env.chatwootRequestsPerSecond;
        const share = this.options.chatwootShare ?? wholeBudget;
        const scheduler = rate === undefined ? undefined : new SendScheduler(() => share.allowance(rate));
        if (scheduler) {
          this.chatwootSchedulers.add(scheduler);
          this.schedulerByUrl.set(pacerKey, { scheduler, sender: randomUUID().slice(0, 8) });
        }
        pacer = new RequestPacer(scheduler);
        this.chatwootPacers.set(pacerKey, pacer);
      }
      client = new ChatwootClient({
        baseUrl: input.chatwoot.baseUrl,
        accountId: input.account,
        token,
        tokenSource: agentToken ? agentTokenSource(this.env, agentEmail) : 'CHATWOOT_TOKEN',
        sharedPacer: pacer,
      });
      this.chatwootClients.set(key, client);
    }
    return client;
  }

  /**
   * This worker's Chatwoot request rate lately against its share and the whole budget, for the
   * migration's progress; undefined without a budget (CHATWOOT_REQUESTS_PER_SECOND unset).
   */
  chatwootRate(input: MigrationInput): ChatwootRateSample | undefined {
    const budget = this.env.chatwootRequestsPerSecond;
    const entry = this.schedulerByUrl.get(input.chatwoot.baseUrl);
    if (!entry || budget === undefined) return undefined;
    const usage = entry.scheduler.usage();
    return {
      sender: entry.sender,
      sentPerSecond: Math.round(usage.sentPerSecond * 10) / 10,
      capPerSecond: usage.capPerSecond,
      budgetPerSecond: budget,
    };
  }

  /** Chatwoot requests waiting for this worker's budget: more work would only wait here too. */
  chatwootBacklog(): number {
    let waiting = 0;
    for (const scheduler of this.chatwootSchedulers) waiting += scheduler.waiting;
    return waiting;
  }

  hasAgentToken(email: string | null | undefined): boolean {
    return !!email && email.toLowerCase() in this.env.chatwootAgentTokens;
  }
}

/**
 * Names an agent's token by its position in CHATWOOT_AGENT_TOKENS, not by its e-mail: the name ends up
 * in failure messages, which Temporal keeps in workflow histories, where no personal data belongs.
 */
export function agentTokenSource(env: WorkerEnvironment, agentEmail: string | undefined): string {
  const position = Object.keys(env.chatwootAgentTokens).indexOf(agentEmail?.toLowerCase() ?? '') + 1;
  return `entry ${position} of CHATWOOT_AGENT_TOKENS`;
}

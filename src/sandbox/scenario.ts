/**
 * A rehearsal set-up: an Intercom sandbox with a generated workspace and a Chatwoot sandbox whose
 * agents are the Intercom admins (all but one, so the unmatched-agent report has something to say),
 * with the tokens a worker needs. Shared by the demo, the integration tests and the benchmark.
 */
import type { MigrationInputRaw } from '../config.js';
import {
  type ChatwootSandbox,
  type ChatwootSandboxOptions,
  type SandboxAccountSeed,
  startChatwootSandbox,
} from './chatwoot/index.js';
import type { FaultConfig } from './faults.js';
import {
  type GenerateOptions,
  generateWorkspace,
  type IntercomSandbox,
  startIntercomSandbox,
} from './intercom/index.js';
import { reconcileSandboxes, type SandboxReconcileOptions, type SandboxReconciliation } from './reconcile.js';

export interface ScenarioOptions extends GenerateOptions {
  account?: number;
  intercomFaults?: Partial<FaultConfig>;
  chatwootFaults?: Partial<FaultConfig>;
  intercomRateLimitPer10s?: number;
  chatwootThrottlePerMinute?: number;
  /** Chatwoot's CONVERSATION_MESSAGE_PER_MINUTE_LIMIT (200 by default, as in Chatwoot). */
  chatwootMessagesPerMinute?: number;
  /** Give agents their own tokens, so outgoing messages are credited to them. */
  agentTokens?: boolean;
  /** The Intercom sandbox's token (by default one per seed): two workspaces one worker can serve. */
  intercomToken?: string;
  /** Automation rules, webhooks and online agents already in the Chatwoot account. */
  chatwootSettings?: Pick<SandboxAccountSeed, 'automationRules' | 'webhooks' | 'onlineUserIds'>;
  /** How late Chatwoot's background jobs run (listeners, activity messages); 0 runs each before the next request. */
  chatwootJobDelayMs?: number;
  /** The arrival time of every Chatwoot API request (see ChatwootSandboxOptions.onApiRequest). */
  onChatwootRequest?: (atMs: number, endpoint: string) => void;
  /** Each routed Chatwoot request with its parameters (see ChatwootSandboxOptions.onApiCall). */
  onChatwootCall?: ChatwootSandboxOptions['onApiCall'];
}

export interface Scenario {
  account: number;
  intercom: IntercomSandbox;
  chatwoot: ChatwootSandbox;
  intercomToken: string;
  chatwootToken: string;
  chatwootAgentTokens: Record<string, string>;
  /**
   * The account's website widget (the "Website" Channel::WebWidget inbox): its website token for
   * the loader and chatwootSDK.run, and the HMAC token a website signs identifiers with.
   */
  widget: { inboxId: number; websiteToken: string; hmacToken: string };
  /** The sandbox-specific part of a migration input. */
  input(blobStoreUrl: string): MigrationInputRaw;
  /**
   * Compares what Intercom's API serves with what Chatwoot holds, for a migration on the input's
   * defaults (activity parts as notes, timestamp lines, Intercom's 500-part cap, deletions left out).
   */
  reconcile(options?: Partial<SandboxReconcileOptions>): SandboxReconciliation;
  close(): Promise<void>;
}

export async function startScenario(options: ScenarioOptions): Promise<Scenario> {
  const account = options.account ?? 1;
  const dataset = generateWorkspace(options);
  const intercomToken = options.intercomToken ?? `sandbox-intercom-${options.seed}`;
  const chatwootToken = 'sandbox-admin-token';
  const agents = dataset.admins.slice(0, Math.max(0, dataset.admins.length - 1));
  const chatwootAgentTokens: Record<string, string> = {};
  const seed: SandboxAccountSeed = {
    id: account,
    name: 'Sandbox Support',
    users: [
      {
        id: 1,
        name: 'Migration Bot',
        email: 'migration-bot@sandbox.test',
        role: 'administrator',
        accessToken: chatwootToken,
      },
      ...agents.map((admin, i) => {
        const email = (admin.email ?? `agent${i}@sandbox.test`).trim().toLowerCase();
        const accessToken = `sandbox-agent-token-${i + 2}`;
        if (options.agentTokens) chatwootAgentTokens[email] = accessToken;
        return {
          id: i + 2,
          name: admin.name ?? `Agent ${i + 2}`,
          email,
          role: 'agent' as const,
          accessToken,
        };
      }),
    ],
    inboxes: [{ name: 'Website', channelType: 'web_widget' }],
    ...options.chatwootSettings,
  };
  const intercom = await startIntercomSandbox({
    dataset,
    token: intercomToken,
    faults: options.intercomFaults,
    rateLimitPer10s: options.intercomRateLimitPer10s,
    nullableFieldRate: options.nullableFieldRate,
  });
  const chatwoot = await startChatwootSandbox({
    accounts: [seed],
    faults: options.chatwootFaults,
    throttlePerMinute: options.chatwootThrottlePerMinute,
    jobDelayMs: options.chatwootJobDelayMs,
    floodLimitPerMinute: options.chatwootMessagesPerMinute,
    onApiRequest: options.onChatwootRequest,
    onApiCall: options.onChatwootCall,
  });
  const widgetInbox = chatwoot.state
    .account(account)
    .inboxes.find((inbox) => inbox.channelType === 'Channel::WebWidget');
  if (!widgetInbox) throw new Error('the Chatwoot sandbox has no website widget inbox');
  return {
    account,
    intercom,
    chatwoot,
    widget: {
      inboxId: widgetInbox.id,
      websiteToken: widgetInbox.inboxIdentifier,
      hmacToken: widgetInbox.hmacToken,
    },
    intercomToken,
    chatwootToken,
    chatwootAgentTokens,
    input: (blobStoreUrl) => ({
      account,
      intercom: { baseUrl: intercom.url },
      chatwoot: { baseUrl: chatwoot.url },
      blobStoreUrl,
      attachments: { allowLoopbackHttp: true },
      import: options.chatwootMessagesPerMinute
        ? { messagesPerMinute: Math.floor(options.chatwootMessagesPerMinute * 0.95) }
        : undefined,
    }),
    reconcile: (options = {}) =>
      reconcileSandboxes(intercom.dataset, chatwoot.dump(), {
        account,
        activityParts: 'activity',
        timestampLine: true,
        partsCap: 500,
        deletedConversationIds: intercom.dataset.deletedConversations.map((d) => d.id),
        ...options,
      }),
    close: async () => {
      await Promise.all([intercom.close(), chatwoot.close()]);
    },
  };
}

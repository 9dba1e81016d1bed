/**
 * The migration input: what an operator passes to `temporal workflow start --input`, the CLI and the
 * tests. Validated with zod inside the workflow (deterministic) so a bad input fails fast with a
 * non-retryable error that names the field. Secrets never appear here: the worker reads
 * INTERCOM_TOKEN and CHATWOOT_TOKEN from its own environment.
 */
import { z } from 'zod';
import { filtersSchema } from './mapping/filters.js';

/** A Temporal duration: milliseconds, or a string such as "7 days", "90s", "500ms". */
export const DurationSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(
      /^\d+(\.\d+)?\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|years?)$/i,
      'a duration such as "7 days", "90s" or "500ms"',
    ),
]);
export type DurationInput = z.infer<typeof DurationSchema>;

const REGION_HOSTS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;

function buildMigrationInputSchema() {
  return z
    .object({
      /** The Chatwoot account id; one migration workflow per account ("migration-<account>"). */
      account: z.number().int().positive(),
      intercom: z
        .object({
          region: z.enum(['us', 'eu', 'au']).default('us'),
          /** Overrides the regional host: the sandbox, or a proxy. */
          baseUrl: z.url().optional(),
          apiVersion: z.string().default('2.16'),
        })
        .prefault({}),
      chatwoot: z.object({
        baseUrl: z.url(),
        inboxName: z.string().min(1).max(255).default('Intercom archive'),
        /**
         * Start even though the account has active automation rules or webhooks, which then run on
         * every conversation and message the import creates. Off: preflight refuses and lists them.
         */
        allowActiveAutomations: z.boolean().default(false),
      }),
      /** file:///abs/dir, a plain path, or s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=true */
      blobStoreUrl: z.string().min(1).default('file://./.data/blobs'),
      export: z
        .object({
          pageSize: z.number().int().min(1).max(150).default(150),
          chunkSize: z.number().int().min(1).max(1000).default(100),
        })
        .prefault({}),
      import: z
        .object({
          /** Conversations imported at once (child workflows in flight). */
          windowSize: z.number().int().min(1).max(500).default(20),
          /** Children started per run of the import workflow before it continues as new. */
          childrenPerRun: z.number().int().min(1).max(2000).default(500),
          /**
           * Assignment/open/close/snooze parts (and other parts without content): Chatwoot activity
           * messages (the grey lines, with the original time and who did it), private notes as
           * before, or skipped. A resumed import finds what it posted in either form (same source id).
           */
          activityParts: z.enum(['activity', 'note', 'skip']).default('activity'),
          /** Prefix each message with a visible line holding its original UTC time and author. */
          timestampLine: z.boolean().default(true),
          /**
           * Messages posted per conversation per minute: stay under Chatwoot's flood guard
           * (CONVERSATION_MESSAGE_PER_MINUTE_LIMIT, 200 by default; raise both for a faster migration).
           */
          messagesPerMinute: z.number().int().min(1).max(100_000).default(190),
          /** Stop after this many conversations (a rehearsal on a sample); 0 means all. */
          limit: z.number().int().nonnegative().default(0),
        })
        .prefault({}),
      attachments: z
        .object({
          /** Hosts attachment links may point at; "*.example.com" matches sub-domains. */
          allowedHosts: z
            .array(z.string().min(1))
            .default([
              'downloads.intercomcdn.com',
              '*.intercomcdn.com',
              '*.intercom-attachments.com',
              '*.intercomassets.com',
              'intercom.help',
            ]),
          maxBytes: z
            .number()
            .int()
            .positive()
            .default(40 * 1024 * 1024),
          /** Sandbox only: also accept http:// links to loopback addresses. */
          allowLoopbackHttp: z.boolean().default(false),
        })
        .prefault({}),
      rollout: z
        .object({
          phases: z.array(z.number().int().min(1).max(100)).min(1).default([10, 30, 60, 100]),
          phaseDuration: DurationSchema.default('7 days'),
          /** Hold the rollout when Chatwoot's CSAT trails Intercom's by more than this many points (0-100). */
          csatMargin: z.number().min(0).max(100).default(10),
          deltaSyncInterval: DurationSchema.default('1 hour'),
          /** Start the rollout right after the import; otherwise wait for the advanceRollout signal. */
          autoStart: z.boolean().default(true),
        })
        .prefault({}),
      /**
       * Set by the migration workflow to its own run id; leave it out. Workers keep their caches per
       * run, so a re-run of an account never reads an earlier run's cached mapping or chunks.
       */
      run: z.string().optional(),
      /**
       * Which part of the history to migrate (conversations updated since a date, by state, without
       * some tags; contacts all or only referenced); see src/mapping/filters.ts. Absent: everything.
       */
      filters: filtersSchema(),
      retention: z
        .object({
          after: DurationSchema.default('365 days'),
          /** POSTed a JSON reminder when the retention period is over. */
          webhookUrl: z.url().optional(),
        })
        .prefault({}),
    })
    .superRefine((input, ctx) => {
      const phases = input.rollout.phases;
      for (let i = 1; i < phases.length; i++) {
        if (phases[i] <= phases[i - 1]) {
          ctx.addIssue({ code: 'custom', path: ['rollout', 'phases', i], message: 'phases must increase' });
        }
      }
      if (phases[phases.length - 1] !== 100) {
        ctx.addIssue({ code: 'custom', path: ['rollout', 'phases'], message: 'the last phase must be 100' });
      }
    });
}

type MigrationInputSchemaType = ReturnType<typeof buildMigrationInputSchema>;
let migrationInputSchemaBuilt: MigrationInputSchemaType | undefined;

/**
 * The input schema, built on first use. Every workflow run evaluates this module (conversation
 * imports included, thousands of them) and almost none parses an input: building the schema eagerly
 * cost about 7 ms of worker CPU per conversation in the benchmark's profile.
 */
export function migrationInputSchema(): MigrationInputSchemaType {
  migrationInputSchemaBuilt ??= buildMigrationInputSchema();
  return migrationInputSchemaBuilt;
}

export type MigrationInputRaw = z.input<MigrationInputSchemaType>;
export type MigrationInput = z.output<MigrationInputSchemaType>;

export function intercomBaseUrl(input: MigrationInput['intercom']): string {
  return input.baseUrl ?? REGION_HOSTS[input.region];
}

/** Human-readable list of what is wrong, one line a problem, naming the field. */
export function describeInputProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
}

export function parseMigrationInput(
  raw: unknown,
): { ok: true; input: MigrationInput } | { ok: false; problems: string } {
  const result = migrationInputSchema().safeParse(raw);
  return result.success
    ? { ok: true, input: result.data }
    : { ok: false, problems: describeInputProblems(result.error) };
}

export const workflowIds = {
  migration: (account: number) => `migration-${account}`,
  child: (account: number, name: string) => `migration-${account}/${name}`,
  conversation: (account: number, conversationId: string) => `migration-${account}/conv-${conversationId}`,
};

export const taskQueues = {
  /** Workflows and cheap activities. */
  main: 'migration',
  /** Every Intercom read; its workers share one global rate (maxTaskQueueActivitiesPerSecond). */
  intercom: 'intercom-reads',
  /** Every Chatwoot write; likewise rate-limited globally. */
  chatwoot: 'chatwoot-writes',
} as const;

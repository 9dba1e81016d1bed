/**
 * The worker process's log: one logger for the SDK, the workflows' and activities' log calls and the
 * SDK core's own lines (forwarded, so that one level and one format apply to all of them).
 * LOG_LEVEL is TRACE, DEBUG, INFO (the default), WARN or ERROR. Log lines carry ids (accounts,
 * workflows, conversations, contacts), never names, e-mail addresses or message text:
 * test/log-privacy.integration.test.ts searches a migration's lines at DEBUG for them.
 */
import { DefaultLogger, type LogLevel, type RuntimeOptions } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logLevelFrom(value: string | undefined): LogLevel {
  const level = (value ?? '').trim().toUpperCase();
  if (!level) return 'INFO';
  if (!(LEVELS as readonly string[]).includes(level))
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, not "${value}"`);
  return level as LogLevel;
}

export function workerRuntimeOptions(env: NodeJS.ProcessEnv): RuntimeOptions {
  const level = logLevelFrom(env.LOG_LEVEL);
  return {
    logger: new DefaultLogger(level),
    // Core's lines below WARN are about polling and state machines; they follow LOG_LEVEL down only
    // when it asks for DEBUG or TRACE.
    telemetryOptions: {
      logging: { filter: { core: LEVELS.indexOf(level) < 2 ? level : 'WARN', other: 'ERROR' }, forward: {} },
    },
  };
}

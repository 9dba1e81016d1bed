/**
 * Runs the two sandboxes as a process, for rehearsing a migration by hand (with the worker and the
 * CLI) or for trying a captured Intercom workspace:
 *   node dist/src/sandbox/main.js --conversations 500 --seed 7
 *   node dist/src/sandbox/main.js --from ./captured-workspace --intercom-port 4010 --chatwoot-port 4020
 *   node dist/src/sandbox/main.js --conversations 20 --save ./my-workspace   (write the folder, then exit)
 * Prints the URLs and the tokens to put in the worker's environment.
 */
import { Command } from 'commander';
import { startChatwootSandbox } from './chatwoot/index.js';
import { generateWorkspace, loadWorkspace, saveWorkspace, startIntercomSandbox } from './intercom/index.js';

const program = new Command('sandboxes')
  .description('Start the Intercom and Chatwoot sandboxes on loopback.')
  .option(
    '--from <dir>',
    'serve a folder of Intercom API JSON responses (see src/sandbox/intercom/workspaceFiles.ts)',
  )
  .option(
    '--save <dir>',
    'write the workspace (generated, or read with --from) to a new folder in the --from layout, and exit',
  )
  .option('--seed <n>', 'generator seed', '42')
  .option('--conversations <n>', 'generated conversations', '200')
  .option('--intercom-port <port>', 'Intercom sandbox port', '4010')
  .option('--chatwoot-port <port>', 'Chatwoot sandbox port', '4020')
  .option(
    '--intercom-token <token>',
    'the bearer token the Intercom sandbox accepts',
    'sandbox-intercom-token',
  )
  .option('--fault-rate <share>', '429s, 5xx and dropped connections, each at this share (0..1)', '0')
  .option('--latency <ms>', 'added to every response', '0')
  .option('--rack-attack-limit <n>', "Chatwoot's RACK_ATTACK_LIMIT: requests a minute per client IP", '3000')
  .option('--rack-attack-allowed-ips <list>', "Chatwoot's RACK_ATTACK_ALLOWED_IPS", '')
  .option(
    '--client-address <ip>',
    'the address Chatwoot sees the workers at ("socket": the real one; default: another host)',
  );

const options = program.parse(process.argv).opts<{
  from?: string;
  save?: string;
  seed: string;
  conversations: string;
  intercomPort: string;
  chatwootPort: string;
  intercomToken: string;
  faultRate: string;
  latency: string;
  rackAttackLimit: string;
  rackAttackAllowedIps: string;
  clientAddress?: string;
}>();

const rate = Number(options.faultRate);
const faults = { rate429: rate, rate5xx: rate, rateDrop: rate, latencyMs: Number(options.latency) };
const dataset = options.from
  ? await loadWorkspace(options.from)
  : generateWorkspace({ seed: Number(options.seed), conversations: Number(options.conversations) });
if (options.save) {
  // A folder to edit by hand (or to compare with a capture) before serving it with --from.
  await saveWorkspace(dataset, options.save);
  console.log(`${dataset.conversations.length} conversations written to ${options.save}`);
  process.exit(0);
}
const intercom = await startIntercomSandbox({
  dataset,
  token: options.intercomToken,
  port: Number(options.intercomPort),
  faults,
});
const chatwoot = await startChatwootSandbox({
  port: Number(options.chatwootPort),
  faults,
  throttlePerMinute: Number(options.rackAttackLimit),
  rackAttackAllowedIps: options.rackAttackAllowedIps,
  clientAddress: options.clientAddress,
});
console.log(`Intercom sandbox  ${intercom.url}  INTERCOM_TOKEN=${options.intercomToken}`);
console.log(`Chatwoot sandbox  ${chatwoot.url}  CHATWOOT_TOKEN=sandbox-admin-token (account 1)`);
console.log(
  `${dataset.conversations.length} conversations, ${dataset.contacts.length} contacts; state: ${chatwoot.url}/__sandbox/dump`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(
    signal,
    () => void Promise.all([intercom.close(), chatwoot.close()]).then(() => process.exit(0)),
  );
}

/**
 * Builds the workflow bundle of an older commit, as a worker of that build ran it, into
 * test/fixtures/old-workflows/<commit>.js for test/upgrade.test.ts (a workflow started by the old
 * build must complete on the current one). The fixture is committed: rebuilding it later would bundle
 * the old workflow code with whatever @temporalio/workflow is installed then, not the one it ran with.
 *   make build && node dist/scripts/bundle-old-workflows.js a14a44c
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { repoRoot } from '../src/localStack.js';

async function main(): Promise<void> {
  const commit = process.argv[2];
  if (!commit || !/^[0-9a-f]{7,40}$/.test(commit)) throw new Error('usage: bundle-old-workflows <commit>');
  const checkout = mkdtempSync(join(tmpdir(), `i2c-old-${commit}-`));
  try {
    execFileSync('sh', ['-c', `git -C "${repoRoot}" archive ${commit} src | tar -x -C "${checkout}"`]);
    // The old sources resolve their packages from this clone's node_modules.
    symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'));
    // webpack names modules relative to the working directory: from the checkout, they read ./src/...
    process.chdir(checkout);
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(checkout, 'src', 'workflows', 'index.ts'),
      // Module names through the node_modules link, not the clone's absolute path.
      webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, symlinks: false } }),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) },
    });
    // The inline source map is most of the size and names the checkout's temporary files; the worker
    // requires one, so an empty map takes its place.
    const emptyMap = Buffer.from(
      JSON.stringify({
        version: 3,
        file: `workflow-bundle-${commit}.js`,
        sources: [],
        names: [],
        mappings: '',
      }),
    );
    const stripped = code.replace(
      /\n\/\/# sourceMappingURL=data:[^\n]*\n?$/,
      `\n//# sourceMappingURL=data:application/json;base64,${emptyMap.toString('base64')}\n`,
    );
    if (stripped === code) throw new Error('the bundle has no inline source map to replace');
    const folder = join(repoRoot, 'test', 'fixtures', 'old-workflows');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${commit}.js`);
    writeFileSync(
      file,
      `// The workflow bundle of commit ${commit} (scripts/bundle-old-workflows.ts).\n${stripped}`,
    );
    console.log(`${file}: ${stripped.length} bytes`);
  } finally {
    process.chdir(repoRoot);
    rmSync(checkout, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

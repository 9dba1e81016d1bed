/**
 * The worker's workflow bundle preloads zod (src/workflows/sharedModules.ts): evaluated once per
 * worker, not once per workflow run. A bare module name whose package declares no side effects is
 * dropped by webpack without a word (the preload then compiles to `0;`), so the bundle itself is read.
 */
import assert from 'node:assert/strict';
import { workflowBundle } from '../src/worker.js';

describe('the workflow bundle', function () {
  this.timeout(120_000);

  it('preloads zod through sharedModules, before any workflow runs', async () => {
    const { code } = await workflowBundle();
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code);
    assert.ok(preload, 'the bundle has a preload function');
    assert.match(
      preload[1] ?? '',
      /__webpack_require__\([^)]*"\.\/dist\/src\/workflows\/sharedModules\.js"\)/,
    );
    // The module it loads reaches zod itself.
    const shared = code.indexOf('/***/ "./dist/src/workflows/sharedModules.js"');
    assert.ok(shared >= 0);
    assert.match(code.slice(shared, shared + 3000), /__webpack_require__\(\/\*! zod \*\//);
  });
});

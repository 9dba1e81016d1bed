/**
 * The rules of the tree that the compiler cannot see (issue 11): blob keys are built only in
 * src/storage/layout.ts, outbound HTTP leaves only through src/clients, activities never act on
 * workflows, and no source file outgrows what one reader can hold. Each rule scans the source text;
 * each scanner is first shown a violation it must catch, so a rule cannot pass by matching nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './helpers/temporal.js';

interface SourceFile {
  path: string;
  lines: string[];
}

function sourceFiles(folder: string): SourceFile[] {
  const files: SourceFile[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.c?ts$/.test(entry.name)) {
        files.push({ path: relative(repoRoot, full), lines: readFileSync(full, 'utf8').split('\n') });
      }
    }
  };
  visit(join(repoRoot, folder));
  return files;
}

/** The code of a line: comment lines and trailing line comments say what a key looks like, freely. */
function codeOf(line: string): string {
  const trimmed = line.trim();
  if (trimmed.startsWith('*') || trimmed.startsWith('/*') || trimmed.startsWith('//')) return '';
  return line.replace(/\s\/\/\s.*$/, '');
}

function offending(files: SourceFile[], patterns: readonly RegExp[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    file.lines.forEach((line, index) => {
      const code = codeOf(line);
      if (patterns.some((pattern) => pattern.test(code)))
        found.push(`${file.path}:${index + 1}: ${line.trim()}`);
    });
  }
  return found;
}

const snippet = (code: string): SourceFile[] => [{ path: 'snippet.ts', lines: code.split('\n') }];

const src = sourceFiles('src');
/** The simulators answer HTTP and build their own URLs: they are not the product's client side. */
const product = src.filter((file) => !file.path.startsWith('src/sandbox/'));

/**
 * How a blob key gets built by hand: a path ending in a file of the layout, a prefix glued to a
 * layout folder, the account root spelled out, a key derived from another by rewriting its name.
 */
const KEY_BUILDING = [
  /acct-/,
  /`[^`]*\$\{[^`]*\}\/[^`]*\.(json|jsonl|md)`/,
  /`[^`]*\/[\w-]+\/manifest\.json`/,
  /`\$\{blobLayout\.\w+\([^`]*\)\}\//,
  /\.replace\(\/\\\.jsonl?\$\/,\s*['"]\.md['"]\)/,
  /\\\/attachments\\\//,
];

/** Ways to send a request without the clients' pacing, classification and URL guard. */
const OUTBOUND_HTTP = [
  /from ['"]got['"]/,
  /from ['"]undici['"]/,
  /from ['"]axios['"]/,
  /\bfetch\(/,
  /from ['"](node:)?https['"]/,
  /\b(request|get)\b[^;]*from ['"](node:)?http['"]/,
];

describe('the structure of the tree', () => {
  describe('blob keys are built in src/storage/layout.ts only', () => {
    it('catches the ways keys were built elsewhere before', () => {
      const earlier = snippet(
        [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
          'if (key.endsWith(`/${entity}/manifest.json`)) keys.push(key);',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
          'for await (const key of store.list(`${blobLayout.root(account)}/`)) {}',
          "await store.put(reportKey.replace(/\\.json$/, '.md'), markdown);",
          "return /\\/attachments\\//.test(blobKey) ? 'a' : 'b';",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test, not a template
          'const key = `acct-${account}/mapping.json`;',
        ].join('\n'),
      );
      assert.equal(offending(earlier, KEY_BUILDING).length, 5);
      assert.deepEqual(
        offending(snippet('const key = blobLayout.reportMarkdown(account);'), KEY_BUILDING),
        [],
      );
    });

    it('finds no key built outside the layout module', () => {
      const others = product.filter((file) => file.path !== 'src/storage/layout.ts');
      assert.deepEqual(offending(others, KEY_BUILDING), []);
    });
  });

  describe('outbound HTTP goes through src/clients', () => {
    it('catches a request sent around the clients', () => {
      const around = snippet(
        [
          "import got from 'got';",
          "await fetch('https://example.com/hook');",
          "import { request } from 'node:https';",
          "import { get, type Server } from 'node:http';",
        ].join('\n'),
      );
      assert.equal(offending(around, OUTBOUND_HTTP).length, 4);
      // Serving HTTP is not sending it.
      assert.deepEqual(
        offending(snippet("import { createServer, type Server } from 'node:http';"), OUTBOUND_HTTP),
        [],
      );
    });

    it('finds no HTTP client outside src/clients (the widget loader runs in browsers, not here)', () => {
      const outside = product.filter(
        (file) => !file.path.startsWith('src/clients/') && file.path !== 'src/router/loader.ts',
      );
      assert.deepEqual(offending(outside, OUTBOUND_HTTP), []);
    });
  });

  it('activities act on the services and the blob store, never on workflows', () => {
    const patterns = [/@temporalio\/client/, /getExternalWorkflowHandle/, /\.signal\(\s*\w+Signal/];
    assert.equal(
      offending(
        snippet("import { Client } from '@temporalio/client';\nawait handle.signal(exportFinishedSignal);"),
        patterns,
      ).length,
      2,
    );
    const activities = src.filter((file) => file.path.startsWith('src/activities/'));
    assert.ok(activities.length > 40, `only ${activities.length} activity files found`);
    assert.deepEqual(offending(activities, patterns), []);
  });

  it('keeps every source file within 900 lines', () => {
    const files = [...src, ...sourceFiles('scripts'), ...sourceFiles('test')];
    const long = files
      .filter((file) => file.lines.length > 900)
      .map((file) => `${file.path}: ${file.lines.length} lines`);
    assert.deepEqual(long, []);
  });
});

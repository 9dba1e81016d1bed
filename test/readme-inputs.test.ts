/**
 * Every migration input the README shows parses with the project's input schema, so the examples an
 * operator copies cannot drift from src/config.ts. The rehearsal's input reaches the sandboxes: their
 * addresses and loopback attachment downloads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMigrationInput } from '../src/config.js';
import { repoRoot } from './helpers/temporal.js';

function readmeInputs(): { section: string; json: string }[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const found: { section: string; json: string }[] = [];
  let section = '';
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#+ (.*)/.exec(lines[i] as string);
    if (heading) section = heading[1] as string;
    if (lines[i]?.trim() !== '```json') continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]?.trim() !== '```'; i++) body.push(lines[i] as string);
    const json = body.join('\n');
    if (/"blobStoreUrl"/.test(json)) found.push({ section, json });
  }
  return found;
}

describe("the README's migration inputs", () => {
  const inputs = readmeInputs();

  it('are found: the real run and the rehearsal', () => {
    const sections = inputs.map((i) => i.section);
    assert.ok(sections.includes('Running a real migration'), JSON.stringify(sections));
    assert.ok(sections.includes('Rehearse on your own data'), JSON.stringify(sections));
  });

  it('each parse with the input schema', () => {
    for (const { section, json } of inputs) {
      const parsed = parseMigrationInput(JSON.parse(json));
      assert.ok(parsed.ok, `${section}: ${parsed.ok ? '' : parsed.problems}`);
    }
  });

  it("the rehearsal's reaches the sandboxes and may download attachments from them", () => {
    const rehearsal = inputs.find((i) => i.section === 'Rehearse on your own data');
    const parsed = parseMigrationInput(JSON.parse(rehearsal?.json ?? '{}'));
    assert.ok(parsed.ok);
    assert.equal(parsed.input.intercom.baseUrl, 'http://127.0.0.1:4010');
    assert.equal(parsed.input.chatwoot.baseUrl, 'http://127.0.0.1:4020');
    assert.equal(parsed.input.attachments.allowLoopbackHttp, true);
  });
});

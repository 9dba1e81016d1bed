/**
 * Extracts from Intercom's OpenAPI description the response shapes this project reads, for
 * test/spec-shapes.test.ts, which builds answers from them (every nullable field null, every optional
 * one absent, or everything present) and runs the export on them. The project never reads the
 * description itself at run time: this subset is committed as test/fixtures/intercom-2.16-shapes.json.
 *
 *   make build && node dist/scripts/extract-intercom-shapes.js <intercom-openapi.yaml> [out.json]
 *
 * The description is Intercom's public one (github.com/intercom/Intercom-OpenAPI, descriptions/2.16/
 * api.intercom.io.yaml). Kept: the 200 schema of each endpoint below and every component schema it
 * reaches through $ref, with $refs kept as they are; dropped: descriptions, examples and titles, which
 * no test reads.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

/** What the export and the delta sync read (src/clients/intercom/client.ts), tickets aside. */
export const ENDPOINTS = [
  ['get', '/contacts'],
  ['get', '/contacts/{contact_id}'],
  ['get', '/contacts/{contact_id}/notes'],
  ['get', '/contacts/{contact_id}/companies'],
  ['get', '/contacts/{contact_id}/tags'],
  ['get', '/conversations'],
  ['get', '/conversations/{conversation_id}'],
  ['post', '/conversations/search'],
  ['get', '/companies/scroll'],
  ['get', '/tags'],
  ['get', '/teams'],
  ['get', '/admins'],
  ['get', '/macros'],
  ['get', '/data_attributes'],
  ['get', '/conversations/attributes'],
  ['get', '/help_center/collections'],
  ['get', '/articles'],
  ['get', '/conversations/deleted'],
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const DROPPED = new Set(['description', 'example', 'examples', 'title']);

function strip(value: Json): Json {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !DROPPED.has(key))
      .map(([key, inner]) => [key, strip(inner)]),
  );
}

function refsIn(value: Json, found: string[]): void {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    const ref = value.$ref;
    if (typeof ref === 'string') found.push(ref.replace('#/components/schemas/', ''));
    for (const inner of Object.values(value)) refsIn(inner, found);
  }
}

export function extractShapes(spec: { [key: string]: Json }) {
  const paths = spec.paths as { [path: string]: { [method: string]: { [key: string]: Json } } };
  const components = (spec.components as { schemas: { [name: string]: Json } }).schemas;
  const endpoints: { [endpoint: string]: Json } = {};
  const pending: string[] = [];
  for (const [method, path] of ENDPOINTS) {
    const operation = paths[path]?.[method];
    const responses = operation?.responses as {
      [status: string]: { content?: { [type: string]: { schema: Json } } };
    };
    const schema = responses?.['200']?.content?.['application/json']?.schema;
    if (schema === undefined) throw new Error(`the description has no 200 JSON answer for ${method} ${path}`);
    endpoints[`${method.toUpperCase()} ${path}`] = strip(schema);
    refsIn(schema, pending);
  }
  const schemas: { [name: string]: Json } = {};
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name in schemas) continue;
    const schema = components[name];
    if (schema === undefined) throw new Error(`$ref to a missing component schema: ${name}`);
    schemas[name] = strip(schema);
    refsIn(schema, pending);
  }
  const info = spec.info as { version?: Json };
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return {
    source: "Intercom's OpenAPI description",
    version: info.version ?? null,
    endpoints,
    schemas: sorted,
  };
}

if (process.argv[1]?.endsWith('extract-intercom-shapes.js')) {
  const [specPath, out = 'test/fixtures/intercom-2.16-shapes.json'] = process.argv.slice(2);
  if (!specPath) {
    console.error('usage: node dist/scripts/extract-intercom-shapes.js <intercom-openapi.yaml> [out.json]');
    process.exit(2);
  }
  const shapes = extractShapes(parse(readFileSync(specPath, 'utf8')));
  writeFileSync(out, `${JSON.stringify(shapes, null, 1)}\n`);
  console.log(
    `${out}: ${Object.keys(shapes.endpoints).length} endpoints, ${Object.keys(shapes.schemas).length} schemas`,
  );
}

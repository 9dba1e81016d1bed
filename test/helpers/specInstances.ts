/**
 * Answers built from the API description's own shapes (test/fixtures/intercom-2.16-shapes.json, made
 * by scripts/extract-intercom-shapes.ts), in three forms:
 * - 'absent': every nullable field null, every other field absent (the description requires none);
 * - 'nulls':  every nullable field null, every other field present (nested objects included);
 * - 'full':   every field present with a value of its type.
 * `keep` names the fields present even in 'absent': the lists' items, so that a list holds something,
 * and the ids the project needs to fetch and tell objects apart.
 *
 * Written here rather than taken from json-schema-faker: that library draws random values and reads
 * `nullable` as "maybe null", while these tests need each form exactly and the same every run, over
 * OpenAPI 3.0's nullable / $ref-sibling / allOf / oneOf constructs; about a hundred lines do that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './temporal.js';

export type Schema = { [key: string]: unknown };
export type Form = 'absent' | 'nulls' | 'full';

export interface Shapes {
  version: string;
  endpoints: Record<string, Schema>;
  schemas: Record<string, Schema>;
}

export function loadShapes(): Shapes {
  return JSON.parse(
    readFileSync(join(repoRoot, 'test', 'fixtures', 'intercom-2.16-shapes.json'), 'utf8'),
  ) as Shapes;
}

/** A schema with its $ref and allOf resolved; `name` is the component it came from, if any. */
interface Resolved {
  schema: Schema;
  name?: string;
  nullable: boolean;
}

export class SpecInstances {
  private nextId = 100;

  constructor(
    private readonly shapes: Shapes,
    /** `<component>.<property>` present in every form. */
    private readonly keep: ReadonlySet<string>,
  ) {}

  /** An answer of `METHOD /path` in the given form. */
  answer(endpoint: string, form: Form): unknown {
    const schema = this.shapes.endpoints[endpoint];
    if (!schema) throw new Error(`no shape for ${endpoint} in the fixture`);
    return this.build(schema, form, [], true);
  }

  /** An instance of a component schema in the given form. */
  component(name: string, form: Form): unknown {
    return this.build({ $ref: `#/components/schemas/${name}` }, form, [], true);
  }

  private resolve(schema: Schema): Resolved {
    let nullable = schema.nullable === true;
    let name: string | undefined;
    let merged: Schema = { ...schema };
    if (typeof schema.$ref === 'string') {
      name = schema.$ref.replace('#/components/schemas/', '');
      const target = this.shapes.schemas[name];
      if (!target) throw new Error(`$ref to ${name}, not in the fixture`);
      const inner = this.resolve(target);
      nullable ||= inner.nullable;
      const { $ref: _ref, ...siblings } = schema;
      merged = {
        ...inner.schema,
        ...siblings,
        properties: { ...(inner.schema.properties as Schema), ...(siblings.properties as Schema) },
      };
    }
    if (Array.isArray(schema.allOf)) {
      const { allOf, ...rest } = merged;
      let properties: Schema = {};
      for (const part of allOf as Schema[]) {
        const inner = this.resolve(part);
        name ??= inner.name;
        merged = { ...inner.schema, ...merged };
        properties = { ...properties, ...(inner.schema.properties as Schema) };
      }
      merged = { ...merged, ...rest, properties: { ...properties, ...(rest.properties as Schema) } };
      delete merged.allOf;
    }
    return { schema: merged, name, nullable };
  }

  private build(schema: Schema, form: Form, stack: string[], top: boolean): unknown {
    const { schema: resolved, name, nullable } = this.resolve(schema);
    if (nullable && form !== 'full' && !top) return null;
    if (name && stack.includes(name)) return form === 'full' ? undefined : null;
    const inner = name ? [...stack, name] : stack;
    const choice = (resolved.oneOf ?? resolved.anyOf) as Schema[] | undefined;
    if (choice) return this.build(choice[0] as Schema, form, inner, true);
    if (resolved.enum) return (resolved.enum as unknown[])[0];
    const type = resolved.type ?? (resolved.properties ? 'object' : undefined);
    switch (type) {
      case 'object':
        return this.object(resolved, name, form, inner);
      case 'array': {
        const items = resolved.items as Schema;
        const item = this.build(items, form, inner, true);
        // An array of nullable items (admins, macros) gets a null item beside a real one.
        return form !== 'full' && this.resolve(items).nullable ? [item, null] : [item];
      }
      case 'integer':
      case 'number':
        return resolved.format === 'date-time' ? 1_700_000_000 + this.nextId++ : 1;
      case 'boolean':
        return false;
      case 'string':
        if (resolved.format === 'date-time') return '2024-01-02T03:04:05Z';
        if (resolved.format === 'email') return `person${this.nextId++}@example.com`;
        if (resolved.format === 'uri') return `https://example.com/${this.nextId++}`;
        return `text ${this.nextId++}`;
      default:
        return form === 'full' ? 'value' : null;
    }
  }

  private object(schema: Schema, name: string | undefined, form: Form, stack: string[]): unknown {
    const out: Record<string, unknown> = {};
    for (const [property, propertySchema] of Object.entries(
      (schema.properties ?? {}) as Record<string, Schema>,
    )) {
      const kept = name !== undefined && this.keep.has(`${name}.${property}`);
      if (kept && property === 'id') {
        out.id = String(this.nextId++);
        continue;
      }
      if (form === 'absent' && !kept && !this.resolve(propertySchema).nullable) continue;
      const value = this.build(propertySchema, form, stack, kept);
      if (value !== undefined)
        out[property] = property === 'id' && typeof value === 'string' ? String(this.nextId++) : value;
    }
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object' && form === 'full') {
      out.extra_key = this.build(extra as Schema, form, stack, true);
    }
    return out;
  }
}

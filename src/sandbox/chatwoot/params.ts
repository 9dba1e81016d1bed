/** Parameter coercion: request params are whatever JSON, a form or a multipart body carried. */
import { RubyStandardError } from './errors.js';
import type { JsonObject, JsonValue } from './records.js';

export type Params = Record<string, unknown>;

export function isBlank(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** A scalar param as Rails would see it in a string column (numbers become their text). */
export function stringParam(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** Integer params arrive as numbers (JSON) or strings (forms, query strings); Rails' to_i. */
export function integerParam(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*-?\d+/.test(value)) return Number.parseInt(value, 10);
  return null;
}

/** ActiveModel::Type::Boolean: blank is nil, a short list of strings is false, anything else true. */
export function booleanParam(value: unknown): boolean | null {
  if (value === undefined || value === null || value === '') return null;
  if (value === false || value === 0) return false;
  if (typeof value === 'string' && ['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF'].includes(value))
    return false;
  return true;
}

export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectParam(value: unknown): JsonObject | null {
  if (!isPlainObject(value)) return null;
  return toJsonValue(value) as JsonObject;
}

export function has(params: Params, key: string): boolean {
  return Object.hasOwn(params, key);
}

export function enumParam<T extends string>(allowed: readonly T[], value: unknown, attribute: string): T {
  const asIndex = typeof value === 'number' ? allowed[value] : undefined;
  if (asIndex !== undefined) return asIndex;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new RubyStandardError(`'${stringParam(value) ?? String(value)}' is not a valid ${attribute}`);
}

/** An upload as the multipart parser hands it over: the bytes are reduced to size and digest. */
export interface UploadedFile {
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return (
    isPlainObject(value) &&
    typeof value.fileName === 'string' &&
    typeof value.sha256 === 'string' &&
    typeof value.size === 'number'
  );
}

/** Times arrive as Unix seconds (snoozed_until, the CSAT seeds' created_at) or as text Rails parses. */
export function parseTime(value: unknown): number | null {
  if (isBlank(value)) return null;
  const seconds = integerParam(value);
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    return seconds === null ? null : seconds * 1000;
  }
  const parsed = Date.parse(stringParam(value) ?? '');
  return Number.isNaN(parsed) ? null : parsed;
}

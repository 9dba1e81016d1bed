/**
 * Requests to the Chatwoot sandbox as an API client sends them (the `api_access_token` header, a JSON
 * or multipart body), for the tests that check the sandbox's answers route by route; and the set-up
 * of test files that start a fresh sandbox per test on a clock they move.
 */
import assert from 'node:assert/strict';
import {
  type ChatwootSandbox,
  type ChatwootSandboxOptions,
  startChatwootSandbox,
} from '../../src/sandbox/chatwoot/index.js';

/** The seeded administrator of account 1 (src/sandbox/chatwoot/seed.ts). */
export const ADMIN_TOKEN = 'sandbox-admin-token';
/** Seeded agents of account 1: Alice (user 2, with her token) and Bob (user 3). */
export const ALICE = 'sandbox-alice-token';
export const ALICE_ID = 2;
export const BOB_ID = 3;
/** Account 1's API prefix. */
export const A1 = '/api/v1/accounts/1';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, walked by the assertions.
export type Json = any;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body; {} when the body is not JSON (Rack::Attack's text, `head :ok`): tests read `text` then. */
  json: Json;
}

export interface RequestOptions {
  /** The `api_access_token`; none sent when null. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as multipart (attachments, avatars) instead of `body`. */
  form?: FormData;
}

/** One request to `url`; the answer's status, headers, text and parsed JSON. */
export async function request(url: string, method: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token != null) headers.api_access_token = options.token;
  let body: string | FormData | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let json: Json = {};
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the assertions read `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A request to the sandbox, as the administrator unless `options.token` says otherwise. */
export function call(
  sandbox: ChatwootSandbox,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Answer> {
  return request(`${sandbox.url}${path}`, method, {
    ...options,
    token: options.token === undefined ? ADMIN_TOKEN : options.token,
  });
}

/** A request that must answer 200; its JSON. */
export async function ok(
  sandbox: ChatwootSandbox,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Json> {
  const answer = await call(sandbox, method, path, { body, token });
  assert.equal(answer.status, 200, `${method} ${path}: ${answer.text}`);
  return answer.json;
}

/**
 * Registers an afterEach in the calling describe block that closes every sandbox started through
 * the returned function, so a test can start several (other accounts, other limits).
 */
export function sandboxesPerTest(
  defaults: () => ChatwootSandboxOptions = () => ({}),
): (options?: ChatwootSandboxOptions) => Promise<ChatwootSandbox> {
  const open: ChatwootSandbox[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((sandbox) => sandbox.close()));
  });
  return async (options = {}) => {
    const sandbox = await startChatwootSandbox({ ...defaults(), ...options });
    open.push(sandbox);
    return sandbox;
  };
}

/** The notifications the sandbox recorded for an account (what NotificationListener would create). */
export async function notificationsOf(sandbox: ChatwootSandbox, accountId = 1): Promise<Json[]> {
  const answer = (await (await fetch(`${sandbox.url}/__sandbox/notifications`)).json()) as Json;
  return answer.accounts.find((account: Json) => account.id === accountId).notifications as Json[];
}

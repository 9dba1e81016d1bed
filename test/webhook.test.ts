/**
 * The retention webhook goes through the clients with the attachment guard: https on public
 * addresses only (loopback over http only with the sandbox flag), no redirects, and failures that say
 * whether a retry can help.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFailure } from '../src/clients/httpFailure.js';
import { postWebhook } from '../src/clients/webhook.js';

describe('the webhook client', () => {
  let server: Server;
  let base: string;
  const received: unknown[] = [];
  let answer = 200;

  before(async () => {
    server = createServer((request, response) => {
      if (request.url === '/redirect') {
        response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      }
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const refusal = (pattern: RegExp, retryable: boolean) => (error: unknown) => {
    assert.ok(error instanceof HttpFailure, String(error));
    assert.equal(error.retryable, retryable);
    assert.match(error.message, pattern);
    return true;
  };

  it('posts JSON to the sandbox endpoint when loopback is allowed', async () => {
    answer = 200;
    await postWebhook(`${base}/hook`, { event: 'x' }, { allowLoopbackHttp: true });
    assert.deepEqual(received.at(-1), { event: 'x' });
  });

  it('refuses loopback, private and plain-http URLs without the sandbox flag, before connecting', async () => {
    const count = received.length;
    for (const url of [
      `${base}/hook`,
      'http://hooks.example.com/x',
      'https://10.0.0.8/x',
      'https://[::1]/x',
    ]) {
      await assert.rejects(
        postWebhook(url, {}, { allowLoopbackHttp: false }),
        refusal(/webhook URL is refused/, false),
      );
    }
    assert.equal(received.length, count);
  });

  it('refuses a host name that resolves to an internal address at connect time', async () => {
    await assert.rejects(
      postWebhook('https://localhost:9/x', {}, { allowLoopbackHttp: false }),
      refusal(/internal address|refused/, false),
    );
  });

  it('does not follow redirects', async () => {
    await assert.rejects(
      postWebhook(`${base}/redirect`, {}, { allowLoopbackHttp: true }),
      refusal(/302/, false),
    );
  });

  it('fails for good on a 4xx with what to check, and retryably on a 5xx', async () => {
    answer = 404;
    await assert.rejects(
      postWebhook(`${base}/hook`, {}, { allowLoopbackHttp: true }),
      refusal(/refused the notification with 404: check retention.webhookUrl/, false),
    );
    answer = 503;
    await assert.rejects(postWebhook(`${base}/hook`, {}, { allowLoopbackHttp: true }), refusal(/503/, true));
  });
});

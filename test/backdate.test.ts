/**
 * The backdating step an operator runs on Chatwoot's database after the import, run for real on
 * PostgreSQL (PGlite: PostgreSQL compiled to WebAssembly) over the columns of Chatwoot's schema
 * that it touches.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { repoRoot } from './helpers/temporal.js';

// The relevant part of Chatwoot's db/schema.rb (content_attributes is json, custom_attributes jsonb).
const CHATWOOT_SCHEMA = `
  CREATE TABLE conversations (
    id serial PRIMARY KEY, account_id integer NOT NULL, display_id integer NOT NULL,
    created_at timestamp NOT NULL, updated_at timestamp NOT NULL, last_activity_at timestamp NOT NULL,
    custom_attributes jsonb DEFAULT '{}'
  );
  CREATE TABLE messages (
    id serial PRIMARY KEY, content text, account_id integer NOT NULL, conversation_id integer NOT NULL,
    message_type integer NOT NULL, created_at timestamp NOT NULL, updated_at timestamp NOT NULL,
    private boolean DEFAULT false NOT NULL, source_id varchar, content_attributes json DEFAULT '{}'
  );
`;

function script(accountId: number): string {
  const sql = readFileSync(join(repoRoot, 'scripts', 'backdate-messages.sql'), 'utf8');
  // psql substitutes -v account_id=N; PGlite has no psql variables.
  return sql.replaceAll(':account_id', String(accountId));
}

describe('backdating migrated messages in the Chatwoot database', function () {
  this.timeout(60_000);
  let db: PGlite;
  const now = '2026-11-24 10:00:00';

  beforeEach(async () => {
    db = new PGlite();
    await db.exec(CHATWOOT_SCHEMA);
    await db.exec(`
      INSERT INTO conversations (id, account_id, display_id, created_at, updated_at, last_activity_at, custom_attributes) VALUES
        (1, 1, 1, '${now}', '${now}', '${now}', '{"intercom_conversation_id": "123"}'),
        (2, 1, 2, '${now}', '${now}', '${now}', '{}'),
        (3, 2, 1, '${now}', '${now}', '${now}', '{"intercom_conversation_id": "456"}');
      INSERT INTO messages (id, account_id, conversation_id, message_type, created_at, updated_at, source_id, content_attributes) VALUES
        (1, 1, 1, 0, '${now}', '${now}', 'source:9', '{"external_created_at": 1600000000}'),
        (2, 1, 1, 1, '${now}', '${now}', '77', '{"external_created_at": 1600000600}'),
        (3, 1, 1, 2, '${now}', '${now}', NULL, '{}'),
        (4, 1, 2, 0, '${now}', '${now}', 'x', '{"external_created_at": 1500000000}'),
        (5, 2, 3, 0, '${now}', '${now}', 'source:1', '{"external_created_at": 1400000000}');
    `);
  });

  afterEach(async () => {
    await db.close();
  });

  const times = async (table: string) =>
    (
      await db.query<{ id: number; created_at: Date }>(`SELECT id, created_at FROM ${table} ORDER BY id`)
    ).rows.map((r) => [r.id, r.created_at.toISOString()]);

  it('sets migrated messages and conversations of the account to their original UTC times, and nothing else', async () => {
    await db.exec(script(1));
    assert.deepEqual(await times('messages'), [
      [1, '2020-09-13T12:26:40.000Z'],
      [2, '2020-09-13T12:36:40.000Z'],
      [3, '2026-11-24T10:00:00.000Z'], // Chatwoot's own activity message keeps its time
      [4, '2026-11-24T10:00:00.000Z'], // not a migrated conversation
      [5, '2026-11-24T10:00:00.000Z'], // another account
    ]);
    const conversation = (
      await db.query<{ created_at: Date; last_activity_at: Date }>(
        'SELECT created_at, last_activity_at FROM conversations WHERE id = 1',
      )
    ).rows[0];
    assert.equal(conversation.created_at.toISOString(), '2020-09-13T12:26:40.000Z');
    assert.equal(conversation.last_activity_at.toISOString(), '2020-09-13T12:36:40.000Z');
  });

  it('is idempotent and independent of the session time zone', async () => {
    await db.exec("SET TIME ZONE 'America/Los_Angeles'");
    await db.exec(script(1));
    const first = await times('messages');
    await db.exec(script(1));
    assert.deepEqual(await times('messages'), first);
    assert.deepEqual(first[0], [1, '2020-09-13T12:26:40.000Z']);
  });
});

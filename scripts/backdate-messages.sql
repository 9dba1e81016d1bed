-- Backdates what intercom-to-chatwoot wrote into a Chatwoot database to the original Intercom times.
--
-- Chatwoot's API cannot set created_at, so the import stores each message's original time (unix
-- seconds, UTC) in messages.content_attributes->>'external_created_at'. Run this once after the
-- import (and again after a delta sync: it is idempotent), on the Chatwoot database:
--
--   psql "$CHATWOOT_DATABASE_URL" -v account_id=1 -f scripts/backdate-messages.sql
--
-- It touches only conversations carrying the intercom_conversation_id custom attribute, and only
-- their messages that carry external_created_at; Chatwoot's own activity messages keep their times.
-- Chatwoot stores timestamps as UTC without a zone, so the times are converted AT TIME ZONE 'UTC'.
BEGIN;

UPDATE messages AS m
SET created_at = to_timestamp((m.content_attributes::jsonb ->> 'external_created_at')::bigint) AT TIME ZONE 'UTC',
    updated_at = to_timestamp((m.content_attributes::jsonb ->> 'external_created_at')::bigint) AT TIME ZONE 'UTC'
FROM conversations AS c
WHERE m.conversation_id = c.id
  AND c.account_id = :account_id
  AND c.custom_attributes ? 'intercom_conversation_id'
  AND (m.content_attributes::jsonb ->> 'external_created_at') ~ '^[0-9]{1,12}$'
  AND m.created_at IS DISTINCT FROM
      to_timestamp((m.content_attributes::jsonb ->> 'external_created_at')::bigint) AT TIME ZONE 'UTC';

UPDATE conversations AS c
SET created_at = times.first_at,
    last_activity_at = times.last_at
FROM (
  SELECT m.conversation_id, min(m.created_at) AS first_at, max(m.created_at) AS last_at
  FROM messages AS m
  WHERE (m.content_attributes::jsonb ->> 'external_created_at') ~ '^[0-9]{1,12}$'
  GROUP BY m.conversation_id
) AS times
WHERE c.id = times.conversation_id
  AND c.account_id = :account_id
  AND c.custom_attributes ? 'intercom_conversation_id';

COMMIT;

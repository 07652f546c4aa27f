-- A DM whose relay fails transiently (tickets/inbox.rs): when its failures
-- began, since it is given up by time as well as by count (an outage or a
-- 429 storm shorter than the give-up window costs retries, never the DM);
-- and until when a 429 asked the bot to wait, which no retry may precede
-- (not even the one its author's next DM starts).
ALTER TABLE inbound_dms
    ADD COLUMN failing_since TIMESTAMPTZ,
    ADD COLUMN rate_limited_until TIMESTAMPTZ;

-- A DM whose relay keeps failing no longer blocks its user's later DMs for
-- ever: a transient Discord failure (429, 5xx, timeout) is counted and retried
-- after a growing wait, a permanent one (or too many transient ones) marks the
-- DM 'failed' with the reason, and the drain moves on to the next.
-- Backward compatible: the new columns have defaults, and older code reads
-- only 'pending' rows and never writes 'failed'.
ALTER TABLE inbound_dms
    ADD COLUMN attempts   INT NOT NULL DEFAULT 0,
    ADD COLUMN retry_at   TIMESTAMPTZ,
    ADD COLUMN last_error TEXT;

ALTER TABLE inbound_dms DROP CONSTRAINT inbound_dms_state_check;
ALTER TABLE inbound_dms ADD CONSTRAINT inbound_dms_state_check
    CHECK (state IN ('pending', 'relayed', 'refused', 'failed'));

-- Timers end: a timer whose action keeps failing is retried with a growing
-- gap and, after a cap (or at once on an error retrying cannot fix), marked
-- `failed` instead of being retried every minute for ever.
--
-- Backward compatible: an older binary only reads and writes `pending`,
-- `fired` and `cancelled` rows and never sees the new columns.

ALTER TABLE timers ADD COLUMN attempts   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE timers ADD COLUMN last_error TEXT;

ALTER TABLE timers DROP CONSTRAINT timers_state_check;
ALTER TABLE timers ADD CONSTRAINT timers_state_check
    CHECK (state IN ('pending', 'fired', 'cancelled', 'failed'));

-- At most one unfinished menu refresh per guild, waiting, retrying or being
-- run. A change while one runs marks it (`payload.again`) to run once more
-- instead of adding a row, so a menu channel that keeps failing cannot pile
-- up one refresh per ticket opened or closed.
--
-- Rows that piled up before this migration: keep the newest per guild.
UPDATE timers t SET state = 'cancelled', finished_at = now()
WHERE t.kind = 'menu_refresh' AND t.state = 'pending'
  AND EXISTS (SELECT 1 FROM timers n
              WHERE n.kind = 'menu_refresh' AND n.state = 'pending'
                AND n.guild_id = t.guild_id AND n.timer_id > t.timer_id);
-- An older binary's `ON CONFLICT (guild_id) WHERE kind = 'menu_refresh' AND
-- state = 'pending' AND claimed_until IS NULL` still infers this index (its
-- predicate implies this one's), so it keeps working during a rollout.
CREATE UNIQUE INDEX timers_one_menu_refresh
    ON timers (guild_id) WHERE kind = 'menu_refresh' AND state = 'pending';
DROP INDEX timers_one_waiting_menu_refresh;

-- Ticket menu updates are coalesced through a timer: an opening or closing
-- schedules a `menu_refresh` a moment later unless one is already waiting,
-- so a burst of openings edits the menu a few times, not once per ticket.
-- (An older binary that meets such a timer logs it and does nothing.)

ALTER TABLE timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE timers ADD CONSTRAINT timers_kind_check
    CHECK (kind IN ('close', 'reminder', 'category_prompt', 'menu_refresh'));

-- At most one waiting refresh per guild. A refresh being run (claimed) no
-- longer counts, so a change after it read the state schedules the next one.
CREATE UNIQUE INDEX timers_one_waiting_menu_refresh
    ON timers (guild_id) WHERE kind = 'menu_refresh' AND state = 'pending' AND claimed_until IS NULL;

-- Categories made because the panel's ticket category was full, oldest first
-- (the modmail inbox keeps its own in guild_settings).
ALTER TABLE panel_settings ADD COLUMN overflow_category_ids BIGINT[] NOT NULL DEFAULT '{}';

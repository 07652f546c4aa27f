-- The server choice times out like the category prompt, and the inbox
-- sweeper takes stranded DMs oldest first, skipping users who are waiting.
--
-- 1. `dm_guild_choices` gets a deadline (`expires_at`), the DM channel of its
--    menu, its `server_choice` timer, and when the user was told it expired.
--    An unanswered choice holds the user's DMs until its deadline; after it,
--    they stay pending (nothing is refused) until the user writes again,
--    which asks anew. The timer only tells the user (it edits the menu).
-- 2. `inbound_dms.swept_at`: when the sweeper last took the DM's user, so a
--    user whose drain keeps ending with DMs still pending goes behind users
--    the sweeper has not tried yet.
--
-- Backward compatible: every new column is nullable or has a default. An
-- older binary still holds DMs behind an unanswered choice (it reads only
-- `chosen_guild_id`), never reads `swept_at`, and reads a `server_choice`
-- timer as a category prompt's, whose run finds no prompt of that timer and
-- only drains the user's inbox (which holds again): harmless.

ALTER TABLE dm_guild_choices
    -- New rows always set it from TICKETEER_SERVER_CHOICE_TIMEOUT_SECS; the
    -- default (that setting's default) covers rows an older binary inserts
    -- during a rollout, and rows waiting now (from this migration on).
    ADD COLUMN expires_at      TIMESTAMPTZ NOT NULL DEFAULT now() + interval '15 minutes',
    ADD COLUMN dm_channel_id   BIGINT,
    -- No foreign key: finished timers are purged after 30 days (retention),
    -- and an expired choice may wait longer than that for the user's next DM.
    ADD COLUMN timer_id        BIGINT,
    ADD COLUMN expiry_told_at  TIMESTAMPTZ;

ALTER TABLE inbound_dms ADD COLUMN swept_at TIMESTAMPTZ;

ALTER TABLE timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE timers ADD CONSTRAINT timers_kind_check
    CHECK (kind IN ('close', 'reminder', 'category_prompt', 'menu_refresh', 'server_choice'));

-- Choices waiting now: their menu's DM channel, and a timer that tells them.
-- A server choice is between guilds, so its timer has no guild: 0.
UPDATE dm_guild_choices c
SET dm_channel_id = (SELECT d.dm_channel_id FROM inbound_dms d
                     WHERE d.user_id = c.user_id ORDER BY d.message_id DESC LIMIT 1)
WHERE c.chosen_guild_id IS NULL;

WITH made AS (
    INSERT INTO timers (kind, guild_id, payload, due_at)
    SELECT 'server_choice', 0, jsonb_build_object('user', user_id::TEXT), expires_at
    FROM dm_guild_choices WHERE chosen_guild_id IS NULL
    RETURNING timer_id, (payload->>'user')::BIGINT AS user_id
)
UPDATE dm_guild_choices c SET timer_id = made.timer_id FROM made WHERE c.user_id = made.user_id;

-- The category prompt: a guild's modmail categories (each routes tickets to one
-- Discord category), whether DMs are asked to pick one, and the prompts waiting
-- for an answer. Additive only: older binaries ignore the new columns.

CREATE TABLE modmail_categories (
    category_id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id            BIGINT      NOT NULL,
    -- The Discord category the ticket channel is created in.
    discord_category_id BIGINT      NOT NULL,
    name                TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    description         TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 100),
    -- A unicode emoji, or a custom one as `<:name:id>` / `<a:name:id>`.
    emoji               TEXT CHECK (char_length(emoji) <= 64),
    created_by          BIGINT      NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Names are what staff type (`/move_thread category:Billing`): unique per guild,
-- whatever the case.
CREATE UNIQUE INDEX modmail_categories_name ON modmail_categories (guild_id, lower(name));

ALTER TABLE guild_settings
    ADD COLUMN category_prompt                 BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN category_prompt_timeout_seconds INTEGER NOT NULL DEFAULT 300
        CHECK (category_prompt_timeout_seconds BETWEEN 10 AND 86400);

-- The modmail category a ticket is in (NULL: the inbox, or a deleted category).
ALTER TABLE tickets
    ADD COLUMN modmail_category_id BIGINT REFERENCES modmail_categories (category_id) ON DELETE SET NULL;

-- A user asked to pick a category. One per user: a user with an open ticket is
-- never prompted, so they have at most one ticket opening at a time. The row is
-- deleted in the transaction that opens the ticket, so a later ticket prompts anew.
CREATE TABLE category_prompts (
    user_id            BIGINT PRIMARY KEY,
    guild_id           BIGINT      NOT NULL,
    -- The prompt message and its DM channel, to take the buttons off on timeout.
    prompt_message_id  BIGINT,
    dm_channel_id      BIGINT,
    -- waiting: no answer yet; chosen: open in chosen_category_id; timed_out:
    -- open in the inbox.
    state              TEXT        NOT NULL DEFAULT 'waiting'
        CHECK (state IN ('waiting', 'chosen', 'timed_out')),
    chosen_category_id BIGINT REFERENCES modmail_categories (category_id) ON DELETE SET NULL,
    timer_id           BIGINT REFERENCES timers (timer_id),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    answered_at        TIMESTAMPTZ
);

-- Foundation schema: guilds, their settings, per-guild ticket numbering, tickets,
-- the DM inbox (the ordered, durable queue of messages users send the bot),
-- the relay log, the membership index used to route DMs, and pending guild choices.
-- Ids from Discord are snowflakes stored as BIGINT (they fit in 63 bits).

CREATE TABLE guilds (
    guild_id   BIGINT PRIMARY KEY,
    name       TEXT        NOT NULL,
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL while the bot is in the guild.
    left_at    TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per guild that has configured anything. Columns left NULL fall back to
-- the defaults in templates/ (messages) or in code (documented in README).
CREATE TABLE guild_settings (
    guild_id          BIGINT PRIMARY KEY,
    command_prefix    TEXT    NOT NULL DEFAULT '!'
        CHECK (char_length(command_prefix) BETWEEN 1 AND 5),
    modmail_enabled   BOOLEAN NOT NULL DEFAULT false,
    inbox_category_id BIGINT,
    staff_role_id     BIGINT,
    log_channel_id    BIGINT,
    welcome_message   TEXT CHECK (char_length(welcome_message) <= 1800),
    close_message     TEXT CHECK (char_length(close_message) <= 1800),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (NOT modmail_enabled OR (inbox_category_id IS NOT NULL AND staff_role_id IS NOT NULL))
);

-- Gapless per-guild ticket numbers: incremented in the same transaction as the
-- ticket insert, so a rollback gives the number back and the row lock serialises
-- only that one guild.
CREATE TABLE ticket_counters (
    guild_id    BIGINT PRIMARY KEY,
    last_number INTEGER NOT NULL CHECK (last_number > 0)
);

CREATE TABLE tickets (
    ticket_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id      BIGINT  NOT NULL,
    number        INTEGER NOT NULL CHECK (number > 0),
    kind          TEXT    NOT NULL CHECK (kind IN ('modmail', 'panel')),
    opener_id     BIGINT  NOT NULL,
    -- The ticket's text channel in the guild; set in the same transaction that
    -- creates the row, so an open ticket always has one.
    channel_id    BIGINT  NOT NULL UNIQUE,
    -- The opener's DM channel with the bot (modmail), to answer without a lookup.
    dm_channel_id BIGINT,
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at     TIMESTAMPTZ,
    closed_by     BIGINT,
    UNIQUE (guild_id, number),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

-- At most one open modmail ticket per user per guild: the final guard against
-- duplicate tickets (the Redis lock only saves duplicate work).
CREATE UNIQUE INDEX tickets_one_open_modmail_per_user
    ON tickets (guild_id, opener_id) WHERE status = 'open' AND kind = 'modmail';
CREATE INDEX tickets_open_by_opener ON tickets (opener_id) WHERE status = 'open';

-- Every DM a user sends the bot, written before anything else happens to it.
-- Keyed by Discord's message id, so a replayed gateway event inserts nothing;
-- drained per user in id (= send) order.
CREATE TABLE inbound_dms (
    message_id    BIGINT PRIMARY KEY,
    user_id       BIGINT NOT NULL,
    dm_channel_id BIGINT NOT NULL,
    author_name   TEXT   NOT NULL,
    content       TEXT   NOT NULL,
    attachments   JSONB  NOT NULL DEFAULT '[]',
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- pending: not yet handled; relayed: in a ticket; refused: answered with an
    -- explanation (no modmail guild), kept for the record.
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'relayed', 'refused')),
    ticket_id     BIGINT REFERENCES tickets (ticket_id),
    handled_at    TIMESTAMPTZ
);
CREATE INDEX inbound_dms_pending ON inbound_dms (user_id, message_id) WHERE state = 'pending';

-- The relay log: each message relayed between a user and staff, with its ids on
-- both sides.
CREATE TABLE ticket_messages (
    ticket_message_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id             BIGINT NOT NULL REFERENCES tickets (ticket_id),
    direction             TEXT   NOT NULL CHECK (direction IN ('to_staff', 'to_user')),
    -- What caused the relay: the user's DM id, the staff member's command message
    -- id, or the interaction id of a slash command. Unique, so a replay relays once.
    source_id             BIGINT NOT NULL UNIQUE,
    author_id             BIGINT NOT NULL,
    content               TEXT   NOT NULL,
    staff_copy_message_id BIGINT,
    user_copy_message_id  BIGINT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, ticket_message_id);

-- Which users are members of which guilds, kept by the cluster that owns each
-- guild from GUILD_CREATE, member chunks and member add/remove events. A DM
-- arrives on shard 0 (cluster 0), which may not own the guild: this index lets it
-- route the DM without any REST call.
CREATE TABLE guild_members (
    user_id  BIGINT NOT NULL,
    guild_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, guild_id)
);
CREATE INDEX guild_members_by_guild ON guild_members (guild_id);

-- A user in several modmail guilds is asked which one they mean; their messages
-- wait in inbound_dms until they pick.
CREATE TABLE dm_guild_choices (
    user_id           BIGINT PRIMARY KEY,
    prompt_message_id BIGINT,
    chosen_guild_id   BIGINT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

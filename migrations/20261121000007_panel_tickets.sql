-- Panel tickets: each guild's ticket menu (where it lives, where ticket
-- channels go, who answers), its ticket types and their intake questions.
-- Additive only: older binaries ignore the new tables and columns.

CREATE TABLE panel_settings (
    guild_id            BIGINT PRIMARY KEY,
    menu_channel_id     BIGINT      NOT NULL,
    category_id         BIGINT      NOT NULL,
    log_channel_id      BIGINT,
    support_role_id     BIGINT,
    -- The menu message, once posted; recreated when Discord says it is gone.
    menu_message_id     BIGINT,
    -- Open panel tickets a member may have at once.
    max_open_per_member INTEGER     NOT NULL DEFAULT 1 CHECK (max_open_per_member BETWEEN 1 AND 10),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What a member picks from the menu. The name is the intake form's title
-- (Discord allows 45 characters) and a select option's label.
CREATE TABLE ticket_types (
    type_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id    BIGINT      NOT NULL,
    name        TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 45),
    description TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 100),
    emoji       TEXT CHECK (char_length(emoji) <= 64),
    position    INTEGER     NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ticket_types_name ON ticket_types (guild_id, lower(name));
CREATE INDEX ticket_types_by_guild ON ticket_types (guild_id, position);

-- A type's intake questions: a modal's text inputs (at most 5, Discord's limits).
CREATE TABLE ticket_type_questions (
    question_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type_id     BIGINT  NOT NULL REFERENCES ticket_types (type_id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position BETWEEN 0 AND 4),
    label       TEXT    NOT NULL CHECK (char_length(label) BETWEEN 1 AND 45),
    style       TEXT    NOT NULL DEFAULT 'short' CHECK (style IN ('short', 'paragraph')),
    required    BOOLEAN NOT NULL DEFAULT true,
    min_length  INTEGER CHECK (min_length BETWEEN 0 AND 4000),
    max_length  INTEGER CHECK (max_length BETWEEN 1 AND 4000),
    placeholder TEXT CHECK (char_length(placeholder) <= 100),
    CHECK (min_length IS NULL OR max_length IS NULL OR min_length <= max_length),
    UNIQUE (type_id, position) DEFERRABLE INITIALLY DEFERRED
);

-- A panel ticket's type and the answers given on opening it.
ALTER TABLE tickets
    ADD COLUMN ticket_type_id BIGINT REFERENCES ticket_types (type_id) ON DELETE SET NULL,
    ADD COLUMN answers        JSONB;
CREATE INDEX tickets_open_panel_by_opener ON tickets (guild_id, opener_id) WHERE status = 'open' AND kind = 'panel';

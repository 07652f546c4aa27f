-- Saved answers staff send with `!s <name>` / `/snippet send`.
CREATE TABLE snippets (
    guild_id   BIGINT      NOT NULL,
    name       TEXT        NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    content    TEXT        NOT NULL CHECK (char_length(content) BETWEEN 1 AND 4000),
    created_by BIGINT      NOT NULL,
    updated_by BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, name)
);

-- Whether a relayed user message also carries the ticket header (the first
-- message of a ticket opened by DM), so mirroring the user's edit re-renders
-- it the same way.
ALTER TABLE ticket_messages ADD COLUMN carries_header BOOLEAN NOT NULL DEFAULT false;

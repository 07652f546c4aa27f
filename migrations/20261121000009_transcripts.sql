-- Transcripts of closed tickets: the HTML page made at close, kept in
-- PostgreSQL beside the ticket it belongs to (one row per ticket, so a
-- replayed close stores nothing twice), until `expires_at` (the guild's
-- retention at close time).

CREATE TABLE transcripts (
    ticket_id     BIGINT PRIMARY KEY REFERENCES tickets (ticket_id) ON DELETE CASCADE,
    guild_id      BIGINT      NOT NULL,
    html          TEXT        NOT NULL,
    message_count INTEGER     NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX transcripts_by_expiry ON transcripts (expires_at);
CREATE INDEX transcripts_by_guild ON transcripts (guild_id);

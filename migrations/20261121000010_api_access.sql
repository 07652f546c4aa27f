-- The API's callers: dashboard sessions (Discord OAuth2 login), API tokens for
-- automation, and the audit log of every write made through either.

-- A logged-in browser. The cookie holds a random id; only its SHA-256 is kept,
-- so a leaked table logs nobody in. Discord's tokens are encrypted at rest
-- (ChaCha20-Poly1305 under TICKETEER_SECRET_KEY; nonce || ciphertext).
CREATE TABLE api_sessions (
    session_hash      BYTEA PRIMARY KEY,
    user_id           BIGINT      NOT NULL,
    user_name         TEXT        NOT NULL,
    access_token      BYTEA       NOT NULL,
    refresh_token     BYTEA,
    access_expires_at TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_sessions_by_user ON api_sessions (user_id);
CREATE INDEX api_sessions_by_expiry ON api_sessions (expires_at);

-- A token for one guild with some scopes. The secret is shown once; only its
-- SHA-256 is kept.
CREATE TABLE api_tokens (
    token_id     BIGSERIAL PRIMARY KEY,
    guild_id     BIGINT      NOT NULL,
    name         TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    scopes       TEXT[]      NOT NULL,
    token_hash   BYTEA       NOT NULL UNIQUE,
    created_by   BIGINT      NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_by_guild ON api_tokens (guild_id);

-- Who changed what, when: one row per write through the API.
CREATE TABLE audit_log (
    entry_id      BIGSERIAL PRIMARY KEY,
    guild_id      BIGINT      NOT NULL,
    actor_user_id BIGINT,
    actor_token_id BIGINT,
    action        TEXT        NOT NULL,
    target        TEXT        NOT NULL DEFAULT '',
    changes       JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (actor_user_id IS NOT NULL OR actor_token_id IS NOT NULL)
);
CREATE INDEX audit_log_by_guild ON audit_log (guild_id, entry_id DESC);

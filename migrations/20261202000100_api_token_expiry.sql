-- API tokens expire. Each token gets its expiry when it is made (90 days
-- unless its creator chose 1 to 365 days); an expired token authenticates
-- nothing. Tokens made before this migration, and tokens made by an older
-- binary still running during the deploy, take the default: 90 days from
-- now, so no token lives forever. (A non-volatile default: existing rows get
-- the value computed once, without rewriting the table.)
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ NOT NULL DEFAULT (now() + interval '90 days');

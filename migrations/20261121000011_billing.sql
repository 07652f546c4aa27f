-- Billing with Stripe: each subscription's state as Stripe last told us, the
-- guild it pays for, and every webhook event processed (so a replayed event
-- changes nothing). A guild's plan is derived from its subscriptions, never
-- stored, so it cannot disagree with them.

-- Processed webhook events, inserted in the same transaction as their effect.
CREATE TABLE stripe_events (
    event_id     TEXT PRIMARY KEY,
    event_type   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The Stripe customer of a guild (made at its first checkout).
CREATE TABLE billing_customers (
    guild_id           BIGINT PRIMARY KEY,
    stripe_customer_id TEXT        NOT NULL UNIQUE,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    subscription_id      TEXT PRIMARY KEY,
    -- From the subscription's metadata (set by our checkout); NULL while only
    -- an event without it (an invoice) has been seen.
    guild_id             BIGINT,
    customer_id          TEXT,
    -- Stripe's status: incomplete, trialing, active, past_due, unpaid, canceled, …
    status               TEXT        NOT NULL,
    current_period_end   TIMESTAMPTZ,
    cancel_at_period_end BOOLEAN     NOT NULL DEFAULT false,
    -- When payment first failed in the current run of failures (the grace
    -- period counts from here).
    past_due_since       TIMESTAMPTZ,
    -- The `created` time of the event this state came from: an older event
    -- never overwrites a newer one.
    state_at             TIMESTAMPTZ NOT NULL,
    -- Deleted at Stripe: final, whatever arrives after.
    ended                BOOLEAN     NOT NULL DEFAULT false,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id) WHERE NOT ended;

-- The rest of the per-guild modmail settings, the staff workflow on tickets
-- (assignment, alerts, the activity log), blocked users, and timers.
-- Backward compatible: new columns have defaults, everything else is new tables.

ALTER TABLE guild_settings
    -- What anonymous replies show instead of the staff member's name.
    ADD COLUMN anonymous_label TEXT NOT NULL DEFAULT 'Staff Team'
        CHECK (char_length(anonymous_label) BETWEEN 1 AND 64),
    -- Relay messages as embeds (true) or as plain text.
    ADD COLUMN embedded_message BOOLEAN NOT NULL DEFAULT true,
    -- Quote relayed text with `> ` (plain-text relays only).
    ADD COLUMN block_quote BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN show_log_on_edit BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN show_log_on_delete BOOLEAN NOT NULL DEFAULT true,
    -- On close: delete the channel, or move it to the archive category,
    -- read-only for staff.
    ADD COLUMN close_action TEXT NOT NULL DEFAULT 'delete' CHECK (close_action IN ('delete', 'archive')),
    ADD COLUMN archive_category_id BIGINT,
    -- The default delay of `/close` (NULL: close at once).
    ADD COLUMN time_to_close_seconds INTEGER CHECK (time_to_close_seconds BETWEEN 60 AND 2592000),
    ADD COLUMN close_on_leave BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN create_ticket_by_create_channel BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT guild_settings_archive_needs_category
        CHECK (close_action = 'delete' OR archive_category_id IS NOT NULL);

-- The one staff member a ticket is assigned to (`/take`), and the pinned
-- message in the ticket channel that shows it (edited, never re-posted, and
-- never a channel rename, which Discord limits to 2 per 10 minutes).
ALTER TABLE tickets
    ADD COLUMN assigned_to       BIGINT,
    ADD COLUMN status_message_id BIGINT;

-- The opener's name when the ticket opened, for `{user}` in the close message
-- and for transcripts. Empty for tickets opened before this column existed.
ALTER TABLE tickets ADD COLUMN opener_name TEXT NOT NULL DEFAULT '';

-- Staff to ping on the user's next message (`/alert`); consumed when it arrives.
CREATE TABLE ticket_alerts (
    ticket_id  BIGINT      NOT NULL REFERENCES tickets (ticket_id),
    staff_id   BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, staff_id)
);

-- Everything that happened to a ticket besides relayed messages, for `/logs`
-- and the API: opened, closed, close scheduled or cancelled, taken, released,
-- staff added or removed, reminders, alerts.
CREATE TABLE ticket_events (
    event_id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  BIGINT      NOT NULL REFERENCES tickets (ticket_id),
    kind       TEXT        NOT NULL,
    actor_id   BIGINT,
    detail     TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, event_id);

-- Users whose DMs open nothing in a guild. `expires_at` NULL: until unblocked.
CREATE TABLE blocked_users (
    guild_id   BIGINT      NOT NULL,
    user_id    BIGINT      NOT NULL,
    blocked_by BIGINT      NOT NULL,
    reason     TEXT        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    expires_at TIMESTAMPTZ,
    -- Set once the user has been told they are blocked, so they are told once.
    notified_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX blocked_users_by_user ON blocked_users (user_id);

-- Delayed work: scheduled closes, reminders, category-prompt timeouts.
-- PostgreSQL is the truth; a Redis sorted set indexes pending timers by due
-- time and is rebuilt from here. A timer fires once: a worker claims it with
-- a lease (`claimed_until`), does the work (idempotent), then marks it fired;
-- a worker that dies mid-way lets the lease run out and another one finishes.
CREATE TABLE timers (
    timer_id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT        NOT NULL CHECK (kind IN ('close', 'reminder', 'category_prompt')),
    guild_id      BIGINT      NOT NULL,
    ticket_id     BIGINT REFERENCES tickets (ticket_id),
    -- Per-ticket number of a reminder (`/remove_reminder 2`).
    number        INTEGER,
    created_by    BIGINT,
    -- What to do: the close's `silent` flag, the reminder's text, the user of a prompt.
    payload       JSONB       NOT NULL DEFAULT '{}',
    due_at        TIMESTAMPTZ NOT NULL,
    state         TEXT        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'cancelled')),
    claimed_until TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
CREATE INDEX timers_pending_by_due ON timers (due_at) WHERE state = 'pending';
-- One scheduled close per ticket; a new `/close 2h` replaces the old one.
CREATE UNIQUE INDEX timers_one_pending_close
    ON timers (ticket_id) WHERE kind = 'close' AND state = 'pending';
CREATE UNIQUE INDEX timers_reminder_number ON timers (ticket_id, number) WHERE kind = 'reminder';

ALTER TABLE tickets ADD COLUMN last_reminder_number INTEGER NOT NULL DEFAULT 0;

-- Private by default (issue 11). Every change is additive, so a binary of the
-- previous release keeps working against this schema during a rolling deploy.

-- The server a user's DMs go to while they have a conversation with it: set
-- when the user's own DM opens a ticket there or when they pick the server
-- (the server menu, the "switch server" button). A ticket staff open *for*
-- the user never sets it, so it cannot pull a conversation in progress away.
CREATE TABLE dm_conversations (
    user_id   BIGINT PRIMARY KEY,
    guild_id  BIGINT      NOT NULL,
    chosen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Both copies of a staff reply, with the channel of the user's copy (a panel
-- ticket has no DM channel on its row), and the files each relayed message
-- carried (name and size only: the user's transcript lists them; CDN links
-- expire and are private).
ALTER TABLE ticket_messages
    ADD COLUMN user_copy_channel_id BIGINT,
    ADD COLUMN attachments JSONB NOT NULL DEFAULT '[]';

-- The transcript a modmail user gets: their side of the conversation, built
-- from the relay log (`html` stays the staff channel's full transcript). A
-- panel ticket's member sees its channel, so `html` is theirs and this stays
-- NULL; a modmail transcript made before this column has no user version and
-- its link answers 404 rather than show the staff channel.
ALTER TABLE transcripts ADD COLUMN member_html TEXT;

-- Membership reconciliation: when each membership row was last confirmed by
-- Discord, and when the guild's current full member sync began. After a
-- complete list arrived (GUILD_CREATE, or every chunk of a member request),
-- rows older than the sync's start are members who left while nobody listened.
ALTER TABLE guild_members ADD COLUMN seen_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE TABLE guild_member_syncs (
    guild_id     BIGINT PRIMARY KEY,
    nonce        TEXT        NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    chunks_seen  INTEGER     NOT NULL DEFAULT 0
);

-- The membership index (guild_members) is kept only for guilds with modmail
-- on (issue 13 part 5). These record where a guild's fill stands: a full
-- member list was requested (by the gateway cluster owning the guild), and
-- it arrived (the last chunk, or a GUILD_CREATE carrying every member).
-- Turning modmail on resets both, which is what makes a cluster fill it.
--
-- Additive and nullable: binaries without them keep working during a rolling
-- deploy (what they still write for guilds without modmail is pruned by the
-- member index prune job, not by this migration: one DELETE over ~100 M rows
-- would hold the deploy and bloat the table at once).
ALTER TABLE guild_settings ADD COLUMN members_requested_at TIMESTAMPTZ;
ALTER TABLE guild_settings ADD COLUMN members_filled_at TIMESTAMPTZ;

-- What the clusters poll for: modmail guilds whose index is not filled.
CREATE INDEX guild_settings_members_unfilled ON guild_settings (guild_id)
    WHERE modmail_enabled AND members_filled_at IS NULL;

-- Categories Ticketeer created because the inbox category was full (Discord
-- allows 50 channels per category), oldest first. Tickets open in the inbox
-- when it has room, else in the newest overflow category with room.
ALTER TABLE guild_settings ADD COLUMN overflow_category_ids BIGINT[] NOT NULL DEFAULT '{}';

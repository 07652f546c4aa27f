-- One table for the overflow categories of both ticket kinds (the categories
-- Ticketeer made because a ticket category was full, Discord allowing 50
-- channels in one), keyed by guild and ticket kind, oldest first by
-- `overflow_id`. They were two copies of one list, in
-- `guild_settings.overflow_category_ids` (modmail) and
-- `panel_settings.overflow_category_ids` (panel tickets).
--
-- Additive: the old columns stay, unused by binaries from this one on, so a
-- rolling deploy keeps working; a later migration drops them once no binary
-- reading them runs any more. Their contents are copied here, in their order.
CREATE TABLE overflow_categories (
    overflow_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('modmail', 'panel')),
    category_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (guild_id, kind, category_id)
);

INSERT INTO overflow_categories (guild_id, kind, category_id)
SELECT guild_id, kind, category_id FROM (
    SELECT s.guild_id, 'modmail' AS kind, c.category_id, c.position
    FROM guild_settings s, unnest(s.overflow_category_ids) WITH ORDINALITY AS c (category_id, position)
    UNION ALL
    SELECT p.guild_id, 'panel' AS kind, c.category_id, c.position
    FROM panel_settings p, unnest(p.overflow_category_ids) WITH ORDINALITY AS c (category_id, position)
) old
ORDER BY guild_id, kind, position
ON CONFLICT DO NOTHING;

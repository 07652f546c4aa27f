-- Staff messages get a number unique in their ticket, shown in the footer and
-- used by !edit / !delete. Numbers are taken from the ticket row and never
-- reused (a failed send burns its number). Edit and delete history is kept.
-- Backward compatible: new nullable columns and a new table only.

ALTER TABLE tickets ADD COLUMN last_staff_number INTEGER NOT NULL DEFAULT 0;

ALTER TABLE ticket_messages
    ADD COLUMN staff_number INTEGER,
    ADD COLUMN edited_at    TIMESTAMPTZ,
    ADD COLUMN deleted_at   TIMESTAMPTZ,
    ADD COLUMN deleted_by   BIGINT;

CREATE UNIQUE INDEX ticket_messages_staff_number
    ON ticket_messages (ticket_id, staff_number) WHERE staff_number IS NOT NULL;

CREATE TABLE ticket_message_edits (
    ticket_message_id BIGINT      NOT NULL REFERENCES ticket_messages (ticket_message_id),
    old_content       TEXT        NOT NULL,
    new_content       TEXT        NOT NULL,
    edited_by         BIGINT      NOT NULL,
    edited_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ticket_message_edits_by_message ON ticket_message_edits (ticket_message_id, edited_at);

-- What a staff message showed, so an edit re-renders it the same way.
ALTER TABLE ticket_messages
    ADD COLUMN author_name TEXT,
    ADD COLUMN anonymous   BOOLEAN NOT NULL DEFAULT false;

-- A DM its author deleted while it was still pending (held behind a server
-- or team choice) is never relayed: it becomes 'withdrawn'. Backward
-- compatible: older code reads only 'pending' rows and never writes this.
ALTER TABLE inbound_dms DROP CONSTRAINT inbound_dms_state_check;
ALTER TABLE inbound_dms ADD CONSTRAINT inbound_dms_state_check
    CHECK (state IN ('pending', 'relayed', 'refused', 'failed', 'withdrawn'));

-- Row MACs (migration 0014) for the two tables it left out (issue 16 item 2), under the same key
-- (HKDF label contact-vault/row-mac/v1, the table name inside the MAC) and the same rules:
--
-- * legs: a leg is what makes a reveal or a call legitimate (DESIGN "Reveals follow the work"), so
--   a leg opened with SQL, or moved to another courier, would grant. The MAC is over every column
--   of the leg (src/integrity/row-contents.ts legContent). Legs are rewritten whole on each event
--   of their shipment, MACed as they are written; the ask reads them with the record in its one
--   query and drops a leg whose MAC fails, as if it were not there.
-- * alerts: the triage state ops set (0013): state, who acknowledged and resolved it, when, with
--   what note, bound to the alert's id. An open alert with no MAC is as raised (raising writes no
--   MAC: the open state is the safe one); a resolution or acknowledgement whose MAC fails is shown
--   as unverified and the alert reads as open.
--
-- Rows from before this migration have no MAC: the every-minute legacy job MACs them as they are
-- and tells the audit witness when none are left (its own flag, apart from 0014's); from then on a
-- leg without a MAC, or an alert past `open` without one, is a forgery.
ALTER TABLE legs ADD COLUMN mac TEXT;
ALTER TABLE legs ADD COLUMN mac_key TEXT;
ALTER TABLE alerts ADD COLUMN mac TEXT;
ALTER TABLE alerts ADD COLUMN mac_key TEXT;

-- The legacy job's work lists: rows written since this migration carry a MAC and add no entry.
CREATE INDEX legs_unsigned ON legs (shipment_id, n) WHERE mac IS NULL;
CREATE INDEX alerts_triage_unsigned ON alerts (id) WHERE mac IS NULL AND state <> 'open';
-- The re-MAC job's work list after a rotation: legs per MAC key (alerts are found by alerts_at's table scan of the few triaged ones).
CREATE INDEX legs_mac_key ON legs (mac_key);

-- Row MACs for shipment events (issue 16 item 2), under the same key as 0014 and 0018 (HKDF label
-- contact-vault/row-mac/v1, the table name inside the MAC). Legs are a fold over a shipment's events
-- and rewritten whole, MACed anew, at its next event: an event inserted with SQL would open, move or
-- close a leg then, and the new leg would carry a MAC the worker made. So the event carries its own,
-- over `shipment_id`, `n`, `type`, `courier`, `courier_issuer`, `depot` and `at` (src/integrity/
-- row-contents.ts eventContent); the fold leaves out an event whose MAC fails and reports it.
--
-- Events from before this migration have no MAC: the every-minute legacy job MACs them as they are
-- and tells the audit witness when none are left (its own flag, "0019"); from then on an event
-- without a MAC is a forgery.
ALTER TABLE shipment_events ADD COLUMN mac TEXT;
ALTER TABLE shipment_events ADD COLUMN mac_key TEXT;

-- The legacy job's work list (events written since carry a MAC and add no entry) and the re-MAC job's after a rotation.
CREATE INDEX shipment_events_unsigned ON shipment_events (shipment_id, n) WHERE mac IS NULL;
CREATE INDEX shipment_events_mac_key ON shipment_events (mac_key);

-- A canary planted for one person: a honeytoken assigned to that courier (records.courier,
-- courier_issuer) so only they can see it. A leaked list or an ask that holds it names them.
-- NULL for the depot-wide honeytokens. See docs/storage-schema.md "Honeytokens" and README "Tracing a leak".
ALTER TABLE honeytokens ADD COLUMN for_issuer TEXT;
ALTER TABLE honeytokens ADD COLUMN for_subject TEXT;

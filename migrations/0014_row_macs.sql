-- Rows that grant or withhold access carry a MAC (issue 16 item 2): HMAC-SHA-256 under a key
-- derived from VAULT_KEYRING (HKDF, label contact-vault/row-mac/v1) over the canonical content of
-- the columns that grant or withhold (src/integrity/row-contents.ts), and the id of the keyring key
-- it was made under, so a key rotation re-MACs rows like the re-wrap job re-wraps records. Someone
-- with raw access to D1 but not to the worker's secrets cannot write a row that verifies.
--
-- SQL cannot compute a MAC: rows written before this migration have none (NULL). The every-minute
-- legacy job MACs them as they are, in bounded batches; once a run finds none left it tells the
-- audit witness (outside D1), and from then on a row without a MAC is a forgery. Until then such a
-- row is read as before. See docs/storage-schema.md "Row MACs".
--
-- A record's MAC covers whether it is a planted honeytoken, so the `honeytokens` table needs none of
-- its own: a row deleted there does not disarm the trap, a row added there suspends nobody.
ALTER TABLE policies ADD COLUMN mac TEXT;
ALTER TABLE policies ADD COLUMN mac_key TEXT;
ALTER TABLE records ADD COLUMN mac TEXT;
ALTER TABLE records ADD COLUMN mac_key TEXT;
ALTER TABLE principal_status ADD COLUMN mac TEXT;
ALTER TABLE principal_status ADD COLUMN mac_key TEXT;

-- The legacy job's work list: rows written since this migration carry a MAC and add no entry.
CREATE INDEX records_unsigned ON records (id) WHERE mac IS NULL;
-- The re-MAC job's work list after a rotation: records per MAC key (the small tables are read whole).
CREATE INDEX records_mac_key ON records (mac_key);

-- Retention: every record is erased (crypto-shredded) by the scheduled job once expires_at passes;
-- until then, reads and reveals of an expired record already behave as if it were erased.
-- Records written before this migration get the default 30 days from their creation, but never less
-- than 7 days from the migration: turning retention on must not shred a backlog the moment it deploys,
-- before anyone has looked at what it would erase.
ALTER TABLE records ADD COLUMN expires_at INTEGER;
UPDATE records SET expires_at = MAX(created_at + 30 * 86400000, unixepoch() * 1000 + 7 * 86400000) WHERE expires_at IS NULL;

-- The retention job's queue: live records by expiry.
CREATE INDEX records_expiry ON records (expires_at) WHERE erased_at IS NULL;

-- Key rotation: records per key id (what the re-wrap job still has to move, and whether a key id is
-- still in use and so cannot be removed from VAULT_KEYRING).
CREATE INDEX records_key_id ON records (key_id) WHERE key_id IS NOT NULL;

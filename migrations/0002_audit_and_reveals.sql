-- The audit trail: one hash chain per database. See docs/storage-schema.md and README "Audit".
CREATE TABLE audit_log (
  seq           INTEGER PRIMARY KEY,  -- assigned by the database on insert: max + 1, no gaps
  at            INTEGER NOT NULL,     -- ms since the epoch
  kind          TEXT NOT NULL,
  actor         TEXT,                 -- the principal's sub
  actor_issuer  TEXT,
  actor_role    TEXT,
  actor_depot   TEXT,
  record_id     TEXT,
  details       TEXT NOT NULL,        -- canonical JSON, never plaintext contact data
  prev_hash     TEXT,                 -- NULL until sealed: the hash of entry seq - 1 ('genesis' for 1)
  hash          TEXT                  -- NULL until sealed: SHA-256 over the canonical entry, prev_hash included
);

CREATE INDEX audit_log_actor ON audit_log (actor, seq) WHERE actor IS NOT NULL;
CREATE INDEX audit_log_record ON audit_log (record_id, seq) WHERE record_id IS NOT NULL;
CREATE INDEX audit_log_kind ON audit_log (kind, seq);

-- Which records an entry concerns beyond its own record_id (the records of a batch), so a record's
-- history finds the batch that created it. An index only: the ids are also in the hashed details.
CREATE TABLE audit_record_refs (
  record_id  TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;

-- Entries arrive unsealed, in the same transaction as the change they record, and the database
-- numbers them; writers never contend for the head. Sealing then links each entry to the one
-- before, in order, and is the only update the database allows: once, from NULL, with content
-- unchanged and prev_hash equal to the sealed hash of the entry before.
CREATE TRIGGER audit_log_insert_unsealed BEFORE INSERT ON audit_log
WHEN NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'audit_log_append_only');
END;

CREATE TRIGGER audit_log_seal_only BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL
  OR NEW.hash IS NULL
  OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.kind IS NOT OLD.kind
  OR NEW.actor IS NOT OLD.actor OR NEW.actor_issuer IS NOT OLD.actor_issuer OR NEW.actor_role IS NOT OLD.actor_role
  OR NEW.actor_depot IS NOT OLD.actor_depot OR NEW.record_id IS NOT OLD.record_id OR NEW.details IS NOT OLD.details
  OR NEW.prev_hash IS NOT (CASE WHEN OLD.seq = 1 THEN 'genesis' ELSE (SELECT hash FROM audit_log WHERE seq = OLD.seq - 1) END)
BEGIN
  SELECT RAISE(ABORT, 'audit_log_append_only');
END;

-- Someone with raw database access can drop these triggers; the hash chain and the signed
-- checkpoints are what make their edits visible.
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END;

-- Signed statements of (entry count, head hash, time): JWS compact, verifiable with /.well-known/jwks.json.
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL,
  at         INTEGER NOT NULL,
  signature  TEXT NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints_append_only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints_append_only'); END;

-- Single-use marks of redeemed reveal tokens: the primary key makes exactly one redeem win.
CREATE TABLE reveal_redemptions (
  jti          TEXT PRIMARY KEY,
  subject      TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  redeemed_at  INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX reveal_redemptions_expiry ON reveal_redemptions (expires_at);

-- The audit trail: one hash chain per database. See docs/storage-schema.md and README "Audit".
CREATE TABLE audit_log (
  seq           INTEGER PRIMARY KEY,  -- chosen by the appender: head + 1, no gaps
  at            INTEGER NOT NULL,     -- ms since the epoch
  kind          TEXT NOT NULL,
  actor         TEXT,                 -- the principal's sub
  actor_issuer  TEXT,
  actor_role    TEXT,
  actor_depot   TEXT,
  record_id     TEXT,
  details       TEXT NOT NULL,        -- canonical JSON, never plaintext contact data
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL         -- SHA-256 over the canonical entry, prev_hash included
);

CREATE INDEX audit_log_actor ON audit_log (actor, seq) WHERE actor IS NOT NULL;
CREATE INDEX audit_log_record ON audit_log (record_id, seq) WHERE record_id IS NOT NULL;
CREATE INDEX audit_log_kind ON audit_log (kind, seq);

-- The database itself refuses a fork or a gap: an entry must extend the current head exactly.
-- A concurrent appender that read an older head fails here and retries with the new one.
CREATE TRIGGER audit_log_extends_head BEFORE INSERT ON audit_log
WHEN NOT (
  (NEW.seq = 1 AND NEW.prev_hash = 'genesis' AND NOT EXISTS (SELECT 1 FROM audit_log))
  OR (
    EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq - 1 AND hash = NEW.prev_hash)
    AND NOT EXISTS (SELECT 1 FROM audit_log WHERE seq >= NEW.seq)
  )
)
BEGIN
  SELECT RAISE(ABORT, 'audit_chain_stale_head');
END;

-- Append-only for the application. Someone with raw database access can drop these; the hash
-- chain and the signed checkpoints are what make that visible.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log_append_only'); END;

-- Signed statements of (entry count, head hash, time): JWS compact, verifiable with /.well-known/jwks.json.
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL,
  at         INTEGER NOT NULL,
  signature  TEXT NOT NULL
);

-- Single-use marks of redeemed reveal tokens: the primary key makes exactly one redeem win.
CREATE TABLE reveal_redemptions (
  jti          TEXT PRIMARY KEY,
  subject      TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  redeemed_at  INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX reveal_redemptions_expiry ON reveal_redemptions (expires_at);

-- A principal is the pair (issuer, subject): two trusted issuers may both issue a `sub` "courier-1",
-- and they are two people (DESIGN "Identity"). Every column that names a person gains its issuer.
-- SQL cannot know TRUSTED_ISSUERS, so rows written before this migration get the issuer '' ("the
-- employee issuer, not yet written down"); the every-minute cron replaces '' with that issuer's `iss`
-- (the TRUSTED_ISSUERS entry marked `employees`, else the first), and until it has, reads take ''
-- to mean the same. See docs/storage-schema.md "Identity".

-- The courier a record is assigned to: `courier` under `courier_issuer`.
ALTER TABLE records ADD COLUMN courier_issuer TEXT;
UPDATE records SET courier_issuer = '' WHERE courier IS NOT NULL;
CREATE INDEX records_courier_issuer_unset ON records (id) WHERE courier_issuer = '';

-- Status rows are keyed by the pair.
CREATE TABLE principal_status_by_issuer (
  issuer       TEXT NOT NULL,
  subject      TEXT NOT NULL,
  kind         TEXT NOT NULL,
  role         TEXT,
  depot        TEXT,
  status       TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
  reason       TEXT,
  changed_by   TEXT NOT NULL,
  changed_at   INTEGER NOT NULL,
  PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
INSERT INTO principal_status_by_issuer (issuer, subject, kind, role, depot, status, reason, changed_by, changed_at)
  SELECT '', subject, kind, role, depot, status, reason, changed_by, changed_at FROM principal_status;
DROP TABLE principal_status;
ALTER TABLE principal_status_by_issuer RENAME TO principal_status;

-- Alerts name their principal by the pair.
ALTER TABLE alerts ADD COLUMN subject_issuer TEXT;
UPDATE alerts SET subject_issuer = '' WHERE subject IS NOT NULL;

-- Policy layers: an employee layer names its employee by the pair (`target_issuer`, `target`); other
-- layers have target_issuer ''. Lookups and refusals get limits of their own (DESIGN "Principals and
-- scopes": every lookup is counted, each under a limit of its own):
--   lookup_limit per lookup_window_seconds, and lookup_daily_limit per 24 h: shipment lookups and
--     (services) phone lookups;
--   miss_limit per hour: employee shipment lookups that find nothing in the employee's scope;
--   refusal_limit per hour: refused asks, redeems and lookups, each audited; past it the answer is
--     429 and further refusals are audited as one entry per minute.
CREATE TABLE policies_by_issuer (
  layer                 TEXT NOT NULL CHECK (layer IN ('default', 'role', 'depot', 'employee')),
  target_issuer         TEXT NOT NULL DEFAULT '',
  target                TEXT NOT NULL,
  mode                  TEXT NOT NULL CHECK (mode IN ('enforce', 'report-only')),
  burst_limit           INTEGER,
  burst_window_seconds  INTEGER,
  daily_limit           INTEGER,
  distinct_limit        INTEGER,
  ring_threshold        INTEGER,
  depot_daily_budget    INTEGER,
  lookup_limit          INTEGER,
  lookup_window_seconds INTEGER,
  lookup_daily_limit    INTEGER,
  miss_limit            INTEGER,
  refusal_limit         INTEGER,
  version               INTEGER NOT NULL,
  updated_by            TEXT NOT NULL,
  updated_at            INTEGER NOT NULL,
  PRIMARY KEY (layer, target_issuer, target),
  CHECK ((layer = 'default') = (target = '')),
  CHECK (layer = 'employee' OR target_issuer = '')
) WITHOUT ROWID;
INSERT INTO policies_by_issuer (layer, target_issuer, target, mode, burst_limit, burst_window_seconds, daily_limit, distinct_limit,
  ring_threshold, depot_daily_budget, version, updated_by, updated_at)
  SELECT layer, '', target, mode, burst_limit, burst_window_seconds, daily_limit, distinct_limit, ring_threshold, depot_daily_budget,
    version, updated_by, updated_at FROM policies;
DROP TABLE policies;
ALTER TABLE policies_by_issuer RENAME TO policies;

-- Default lookup and refusal limits: a scanning clerk's day (a few hundred parcels, one a second at a
-- sorting belt) is never refused, while 60 scans an hour that find nothing of theirs stop them;
-- a sweep of phone numbers by a service token stops after 120 a minute and 20,000 a day, far short of
-- the million a six-digit mask hides (GB/T 41833-2022).
UPDATE policies SET lookup_limit = 300, lookup_window_seconds = 600, lookup_daily_limit = 2000, miss_limit = 60, refusal_limit = 30
  WHERE layer = 'default';
UPDATE policies SET lookup_limit = 600, lookup_window_seconds = 600, lookup_daily_limit = 3000, miss_limit = 60, refusal_limit = 30
  WHERE layer = 'role' AND target IN ('courier', 'clerk', 'supervisor');
UPDATE policies SET lookup_limit = 120, lookup_window_seconds = 60, lookup_daily_limit = 20000, miss_limit = NULL, refusal_limit = 100
  WHERE layer = 'role' AND target = 'service';

-- Entries a principal's limiter object wrote to its own storage first (coalesced lookups and
-- refusals) carry the id they were given there, so a retried flush never writes one twice. Not
-- part of the hashed content: it only deduplicates.
ALTER TABLE audit_log ADD COLUMN entry_id TEXT;
CREATE UNIQUE INDEX audit_log_entry_id ON audit_log (entry_id) WHERE entry_id IS NOT NULL;

-- A honeytoken is renewed the way real records come and go: at its expiry it is erased like any
-- record, and planted again under a new id, created now, with the same contact data. This names
-- the trap it continues; the old id stays listed, so asking for it still springs the trap.
ALTER TABLE honeytokens ADD COLUMN renewed_from TEXT;

-- Reveal limits, layered: default → role → depot → employee (most specific wins), each layer in
-- 'enforce' or 'report-only' mode. A NULL limit leaves that limit to the layers below.
CREATE TABLE policies (
  layer                 TEXT NOT NULL CHECK (layer IN ('default', 'role', 'depot', 'employee')),
  target                TEXT NOT NULL,  -- '' for default; a role, a depot id or an employee sub
  mode                  TEXT NOT NULL CHECK (mode IN ('enforce', 'report-only')),
  burst_limit           INTEGER,
  burst_window_seconds  INTEGER,
  daily_limit           INTEGER,
  distinct_limit        INTEGER,
  ring_threshold        INTEGER,        -- depot layers: employees at quota in a day that raise a ring alert
  depot_daily_budget    INTEGER,        -- depot layers: reveals a whole depot may make in 24 h before a critical alert
  version               INTEGER NOT NULL,
  updated_by            TEXT NOT NULL,
  updated_at            INTEGER NOT NULL,
  PRIMARY KEY (layer, target),
  CHECK ((layer = 'default') = (target = ''))
) WITHOUT ROWID;

-- DESIGN "Default limits"; services (notify) have their own role row.
INSERT INTO policies VALUES ('default', '', 'enforce', 20, 600, 200, 150, 3, 5000, 1, 'migration', 0);
INSERT INTO policies VALUES ('role', 'courier', 'enforce', 30, 600, 400, 300, NULL, NULL, 1, 'migration', 0);
INSERT INTO policies VALUES ('role', 'clerk', 'enforce', 20, 600, 200, 150, NULL, NULL, 1, 'migration', 0);
INSERT INTO policies VALUES ('role', 'supervisor', 'enforce', 60, 600, 600, 400, NULL, NULL, 1, 'migration', 0);
INSERT INTO policies VALUES ('role', 'service', 'enforce', 600, 60, 5000, 5000, NULL, NULL, 1, 'migration', 0);

-- Honeytoken records: ordinary records (encrypted, listed, masked like any other) that no real
-- job ever needs. Only this table, readable by ops, tells them apart.
CREATE TABLE honeytokens (
  record_id   TEXT PRIMARY KEY,
  depot       TEXT,
  label       TEXT,
  planted_by  TEXT NOT NULL,
  planted_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Alerts and their delivery to ALERT_WEBHOOK_URL (an outbox: nothing is lost while it is down).
CREATE TABLE alerts (
  id               TEXT PRIMARY KEY,
  at               INTEGER NOT NULL,
  severity         TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  kind             TEXT NOT NULL,
  subject          TEXT,
  depot            TEXT,
  details          TEXT NOT NULL,
  delivery         TEXT NOT NULL CHECK (delivery IN ('pending', 'delivered', 'not_configured')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  delivered_at     INTEGER,
  last_error       TEXT
) WITHOUT ROWID;

CREATE INDEX alerts_at ON alerts (at);
CREATE INDEX alerts_pending ON alerts (next_attempt_at) WHERE delivery = 'pending';
CREATE INDEX alerts_depot_kind ON alerts (depot, kind, at);

-- Employees (and services) whose status ops changed or detection changed, for listing; the
-- per-principal Durable Object is the authority on status.
CREATE TABLE principal_status (
  subject      TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  role         TEXT,
  depot        TEXT,
  status       TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
  reason       TEXT,
  changed_by   TEXT NOT NULL,
  changed_at   INTEGER NOT NULL
) WITHOUT ROWID;

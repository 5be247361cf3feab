-- The careful-insider detectors (near-quota streaks, rings near quota, work ratio, reveals after
-- legs closed): one row per detector with its mode and tunable settings (JSON, validated by the
-- API against src/detection/insiders/detector-settings.ts). Ops change them through
-- PUT /v1/detectors/{name}; every change is a `detector.changed` audit entry. No contact data.
CREATE TABLE detectors (
  name        TEXT PRIMARY KEY,
  mode        TEXT NOT NULL CHECK (mode IN ('enforce', 'report-only', 'off')),
  settings    TEXT NOT NULL,
  version     INTEGER NOT NULL,
  updated_by  TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO detectors VALUES ('near_quota_streak', 'enforce', '{"share":0.8,"days":2}', 1, 'migration', 0);
INSERT INTO detectors VALUES ('near_quota_ring', 'enforce', '{"share":0.8,"members":3}', 1, 'migration', 0);
INSERT INTO detectors VALUES ('work_ratio', 'enforce', '{"percentile":99,"median_multiple":2,"history_days":14,"min_samples":10,"min_reveals":20}', 1, 'migration', 0);
INSERT INTO detectors VALUES ('after_close', 'enforce', '{"min_after_close":10,"share":0.3}', 1, 'migration', 0);

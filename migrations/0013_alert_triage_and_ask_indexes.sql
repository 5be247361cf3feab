-- Alerts are triaged by ops: acknowledged (someone is on it) and resolved (done), each with who,
-- when and a note. Every alert raised before this is open.
ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved'));
ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE alerts ADD COLUMN acknowledged_note TEXT;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
ALTER TABLE alerts ADD COLUMN resolved_at INTEGER;
ALTER TABLE alerts ADD COLUMN resolved_note TEXT;
CREATE INDEX alerts_unresolved ON alerts (at) WHERE state <> 'resolved';

-- The recorded reveal asks by time, and by depot and time: what the ops dashboard counts per hour
-- and what a policy simulation replays. Partial, so only ask entries pay for them; the queries
-- repeat the same `kind IN (...)` term, which is how SQLite knows it may use them.
CREATE INDEX audit_log_asks_at ON audit_log (at) WHERE kind IN ('reveal.granted', 'reveal.denied');
CREATE INDEX audit_log_asks_depot_at ON audit_log (actor_depot, at) WHERE kind IN ('reveal.granted', 'reveal.denied');

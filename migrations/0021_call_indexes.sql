-- The recorded calls by time, and by depot and time: what a policy simulation replays beside the
-- asks (POST /v1/policies/simulate, `calls`). Partial, as the ask indexes of migration 0013: only
-- call entries pay for them, and the query repeats the same `kind IN (...)` term, which is how
-- SQLite knows it may use them. Without them the replay read every employee entry of up to 15 days
-- (asks, redeems, lookups and calls) through audit_log_employee_at to find the calls among them.
CREATE INDEX audit_log_calls_at ON audit_log (at) WHERE kind IN ('call.granted', 'call.denied', 'call.failed');
CREATE INDEX audit_log_calls_depot_at ON audit_log (actor_depot, at) WHERE kind IN ('call.granted', 'call.denied', 'call.failed');

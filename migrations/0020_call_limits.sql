-- Call limits become policy (DESIGN "Default limits (ops can change every number)"; "Calls instead
-- of numbers": calls have limits of their own). NULL on every existing row: the per-role built-ins
-- (src/limits/policy.ts CALL_DEFAULTS: courier 30 per 10 minutes, 400 a day, 300 records; clerk
-- 20, 200, 150; supervisor 30, 300, 200) apply until ops set one, and the rows' MACs (migration
-- 0014, null columns left out) stay valid.
ALTER TABLE policies ADD COLUMN call_burst_limit INTEGER CHECK (call_burst_limit >= 1);
ALTER TABLE policies ADD COLUMN call_burst_window_seconds INTEGER CHECK (call_burst_window_seconds >= 10);
ALTER TABLE policies ADD COLUMN call_daily_limit INTEGER CHECK (call_daily_limit >= 1);
ALTER TABLE policies ADD COLUMN call_distinct_limit INTEGER CHECK (call_distinct_limit >= 1);

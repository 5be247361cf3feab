-- The plaintext phone becomes the exception (DESIGN "Calls instead of numbers"): a phone reveal for
-- delivery or pickup has its own daily limit per layer. NULL on every existing row: the per-role
-- built-ins (src/limits/policy.ts PLAINTEXT_PHONE_DEFAULTS: courier 10, clerk 0, supervisor 10)
-- apply until ops set one, and the rows' MACs (migration 0014, null columns left out) stay valid.
ALTER TABLE policies ADD COLUMN plaintext_phone_limit INTEGER CHECK (plaintext_phone_limit >= 0);

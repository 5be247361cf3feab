-- Masks to GB/T 41833-2022: the version of the masking rules (src/records/masking.ts MASK_VERSION)
-- each row's masked_* columns were computed with. Rows written before this migration hold version 1
-- masks (138****5678); the every-minute re-mask job (src/records/remask.ts) decrypts each live one,
-- recomputes its masks and sets the current version. New rows are written at the current version.
ALTER TABLE records ADD COLUMN mask_version INTEGER NOT NULL DEFAULT 1;

-- The re-mask job's work list: live rows below the current version, in id order. Partial, so rows
-- written at the current version add no index entry; a new MASK_VERSION replaces this index with
-- one naming the new number (the job's query names MASK_VERSION literally, so that it matches).
CREATE INDEX records_mask_stale ON records (id) WHERE mask_version < 2 AND erased_at IS NULL;

-- The bindings a person made on a record, by when: what a plaintext phone reveal of a delivery or
-- pickup reads beside the record (src/calls/plaintext-phone.ts), to see that a call on the leg was
-- bound at the provider and not only counted. Ended bindings count too (the call was made), which
-- the partial indexes of migration 0012 leave out.
CREATE INDEX calls_by_caller_record ON calls (issuer, subject, record_id, created_at);

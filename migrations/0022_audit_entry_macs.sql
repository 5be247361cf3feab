-- Each audit entry carries the vault's MAC over its content (docs/storage-schema.md "Row MACs"),
-- written with the entry by the worker's code. Until an entry is sealed the triggers do not make
-- it immutable against someone who can drop them, and an INSERT of an unsealed entry needs no
-- trigger dropped at all: the sealer judges each entry's MAC as it links it, and one that fails
-- (written with SQL, by whoever reaches D1 but not the worker's secrets) is linked like any other
-- but recorded as forged by the audit witness, outside D1, and never cited as evidence.
-- Not hashed: the witness keeps the verdict made at sealing, and a later edit of these columns
-- changes nothing that reads them.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
ALTER TABLE audit_log ADD COLUMN mac_key TEXT;

-- How far behind the audit log is. Reveals, refusals and summaries are committed first in each
-- principal's limiter object and reach audit_log by a flush a couple of seconds later (or later
-- still while D1 is unavailable). Each flush records here, in the same batch as its entries, when
-- it landed and how old its oldest entry was, so a reader of the log can be told how fresh it is.
-- One row per object (its limiter name); no contact data.
CREATE TABLE audit_flushes (
  source           TEXT PRIMARY KEY,
  flushed_at       INTEGER NOT NULL,
  entries          INTEGER NOT NULL,
  oldest_entry_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX audit_flushes_by_time ON audit_flushes (flushed_at);

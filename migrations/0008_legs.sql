-- Reveals follow the work (DESIGN "Reveals follow the work"): courier services report a parcel's
-- work as events, and the events open and close legs. No column here holds contact data: shipment
-- ids, employee ids, depots and times only.

-- Every event as reported, numbered per shipment in the order it arrived. Legs are recomputed from
-- a shipment's events sorted by their `at`, so a late or out-of-order event lands where it belongs
-- and an older event never undoes a newer one. The (shipment_id, n) key makes two concurrent
-- writers of one shipment collide instead of both computing legs from the same stale read.
CREATE TABLE shipment_events (
  shipment_id     TEXT NOT NULL,
  n               INTEGER NOT NULL,
  type            TEXT NOT NULL CHECK (type IN ('out_for_delivery', 'delivery_attempted', 'delivered', 'pickup_scheduled', 'picked_up',
                    'return_started', 'returned', 'cancelled')),
  courier         TEXT,
  courier_issuer  TEXT,
  depot           TEXT,
  at              INTEGER NOT NULL,
  received_at     INTEGER NOT NULL,
  PRIMARY KEY (shipment_id, n)
) WITHOUT ROWID;

-- A leg is one holding of a parcel's work: a kind, the parties it covers, who holds it (a courier,
-- by the pair issuer + subject, and/or a depot), when it opened and closed. Moving a leg to another
-- courier closes the old holding and opens a new one, so "moved away from the asker" stays visible.
-- A leg is open at `now` while closed_at IS NULL or close_after > now (close_after = closed_at plus
-- the grace period; equal to closed_at when cancelled or moved). `at` is the event that last changed it.
CREATE TABLE legs (
  shipment_id     TEXT NOT NULL,
  n               INTEGER NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('delivery', 'pickup', 'return')),
  parties         TEXT NOT NULL CHECK (parties IN ('recipient', 'sender', 'both')),
  courier         TEXT,
  courier_issuer  TEXT,
  depot           TEXT,
  opened_at       INTEGER NOT NULL,
  closed_at       INTEGER,
  close_after     INTEGER,
  at              INTEGER NOT NULL,
  PRIMARY KEY (shipment_id, n),
  CHECK ((courier IS NULL) = (courier_issuer IS NULL)),
  CHECK ((closed_at IS NULL) = (close_after IS NULL))
) WITHOUT ROWID;

-- Policy: whether a reveal needs an open leg (1, the default; a report-only layer with 1 over an
-- enforcing 0 records "would refuse" and refuses nothing, for rollout over records created before
-- legs), the grace after delivered / picked_up / returned, how long a closed or moved leg makes an
-- ask "stale" rather than probing, and customer_service reveals per day (NULL: no limit of its own).
-- NULL on a layer defers to the layers below, like every limit.
ALTER TABLE policies ADD COLUMN require_active_leg INTEGER CHECK (require_active_leg IN (0, 1));
ALTER TABLE policies ADD COLUMN leg_grace_seconds INTEGER CHECK (leg_grace_seconds >= 0);
ALTER TABLE policies ADD COLUMN stale_window_seconds INTEGER CHECK (stale_window_seconds >= 0);
ALTER TABLE policies ADD COLUMN case_limit INTEGER CHECK (case_limit >= 0);
UPDATE policies SET require_active_leg = 1, leg_grace_seconds = 1800, stale_window_seconds = 43200 WHERE layer = 'default';

-- Calls instead of numbers (DESIGN "Calls instead of numbers"): one row per privacy-number (AXB)
-- binding the vault asked the telephony provider for. No phone number is stored here but the
-- virtual number X, which belongs to the provider's pool and is what the employee dials: the
-- employee's own phone (A) lives in their token, the customer's (B) only sealed in `records`.
CREATE TABLE calls (
  id                TEXT PRIMARY KEY,              -- call_id, 'call_' + random
  record_id         TEXT NOT NULL,
  shipment_id       TEXT NOT NULL,
  purpose           TEXT NOT NULL,
  -- The leg the call rides on, as (shipment_id, n, opened_at): NULL for customer_service (a case, no leg).
  leg_n             INTEGER,
  leg_opened_at     INTEGER,
  -- The same leg as one value ('<n>:<opened_at>', or 'case' without a leg), for the double-tap index.
  leg_key           TEXT NOT NULL,
  -- Who made it: a principal is the pair (issuer, subject).
  issuer            TEXT NOT NULL,
  subject           TEXT NOT NULL,
  provider          TEXT NOT NULL,
  binding_id        TEXT NOT NULL,                 -- the provider's id of the binding (Alibaba SubsId)
  virtual_number    TEXT NOT NULL,                 -- X, as the provider gave it
  created_at        INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,              -- never after the leg's end nor the policy maximum
  -- Set once the binding is gone (unbound, or expired at the provider).
  ended_at          INTEGER,
  end_reason        TEXT CHECK (end_reason IN ('ended_by_caller', 'ended_by_ops', 'leg_closed', 'expired', 'superseded')),
  -- An unbind that was asked for and has not succeeded yet: the minute cron retries it.
  end_requested_at  INTEGER,
  end_requested_reason TEXT,
  unbind_attempts   INTEGER NOT NULL DEFAULT 0,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CHECK ((leg_n IS NULL) = (leg_opened_at IS NULL))
);

-- A double tap finds the live binding of the same person, record and leg; the unique index makes
-- two taps racing each other land one binding, not two.
CREATE UNIQUE INDEX calls_live_per_leg ON calls (issuer, subject, record_id, leg_key) WHERE ended_at IS NULL;
-- Leg closes (shipment events) and the minute cron look for live bindings by shipment and by expiry.
CREATE INDEX calls_live_by_shipment ON calls (shipment_id) WHERE ended_at IS NULL;
CREATE INDEX calls_live_by_expiry ON calls (expires_at) WHERE ended_at IS NULL;

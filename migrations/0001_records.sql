-- Contact records. Column classes (plaintext / ciphertext / keyed hash / metadata) are documented
-- in docs/storage-schema.md; no column ever holds a plaintext name, phone or address.
CREATE TABLE records (
  id              TEXT PRIMARY KEY,
  shipment_id     TEXT NOT NULL,
  party           TEXT NOT NULL CHECK (party IN ('sender', 'recipient')),
  depot           TEXT NOT NULL,
  courier         TEXT,
  -- Envelope: data key wrapped under key_id; NULL once erased (crypto-shredding).
  key_id          TEXT,
  wrapped_key     TEXT,
  name_ct         TEXT,
  phone_ct        TEXT,
  address_ct      TEXT,
  -- HMAC-SHA-256 of the E.164 phone under a keyring-derived key; NULL once erased.
  phone_index     TEXT,
  masked_name     TEXT,
  masked_phone    TEXT,
  masked_address  TEXT,
  created_by      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  erased_at       INTEGER,
  CHECK ((erased_at IS NULL) = (wrapped_key IS NOT NULL))
);

-- One live record per shipment and party; an erased record frees its slot.
CREATE UNIQUE INDEX records_live_shipment_party ON records (shipment_id, party) WHERE erased_at IS NULL;
-- Exact phone lookup through the blind index.
CREATE INDEX records_phone_index ON records (phone_index) WHERE phone_index IS NOT NULL;

-- Responses of create calls made with an Idempotency-Key, replayed on retry. Bodies hold ids and
-- masked views only.
CREATE TABLE idempotency_keys (
  principal     TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  status        INTEGER NOT NULL,
  body          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  PRIMARY KEY (principal, key)
) WITHOUT ROWID;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- The payment ledger and the revocation list (binding L402_LEDGER).

-- One row per challenge minted: an invoice and the token that paying it unlocks.
CREATE TABLE challenges (
  payment_hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL UNIQUE,
  service TEXT NOT NULL,
  price_msat INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX challenges_by_service_time ON challenges (service, created_at);

-- One row per token seen paid: its first use proves the payment (the preimage).
CREATE TABLE settlements (
  token_id TEXT PRIMARY KEY,
  payment_hash TEXT NOT NULL,
  service TEXT NOT NULL,
  amount_msat INTEGER NOT NULL,
  first_used_at INTEGER NOT NULL
);
CREATE INDEX settlements_by_service_time ON settlements (service, first_used_at);

-- Tokens an operator has revoked.
CREATE TABLE revocations (
  token_id TEXT PRIMARY KEY,
  revoked_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT ''
);

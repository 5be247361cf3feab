-- From here on the database refuses an unsealed entry without a MAC (migration 0022), as it refuses
-- one that arrives sealed: every append the vault makes carries one. An entry without a MAC linked
-- later was inserted with this trigger dropped, and the sealer reports it as forged; one written
-- by the version before, still finishing its requests while this one rolls out, is refused here
-- rather than read later as a forgery (a limiter's entries wait in its outbox and are written again
-- by the new version; another request's write fails, closed, and its caller retries). Apply this
-- migration with the version that writes MACs.
CREATE TRIGGER audit_log_mac_required BEFORE INSERT ON audit_log
WHEN NEW.mac IS NULL AND NEW.hash IS NULL AND NEW.prev_hash IS NULL
BEGIN
  SELECT RAISE(ABORT, 'audit_log_mac_required');
END;

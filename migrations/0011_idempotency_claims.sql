ALTER TABLE `idempotency_keys` ADD `response_tag` text;--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `claim_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- The lease check of a write batch. Inserting (org_id, caller_id, key, claim_id) here writes
-- nothing; it aborts the statement, and so the whole D1 batch (one transaction), unless that
-- claim still holds the key with no response stored: a request that outlived its lease, whose key
-- a retry has taken over, then commits none of its writes.
CREATE VIEW `idempotency_leases` AS
  SELECT `org_id`, `caller_id`, `key`, `claim_id` FROM `idempotency_keys`;
--> statement-breakpoint
CREATE TRIGGER `idempotency_leases_check` INSTEAD OF INSERT ON `idempotency_leases`
BEGIN
  SELECT RAISE(ABORT, 'idempotency_lease_lost')
  WHERE NOT EXISTS (
    SELECT 1 FROM `idempotency_keys`
    WHERE `org_id` = NEW.`org_id` AND `caller_id` = NEW.`caller_id` AND `key` = NEW.`key`
      AND `claim_id` = NEW.`claim_id` AND `response_status` IS NULL
  );
END;

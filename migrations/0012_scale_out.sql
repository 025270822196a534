CREATE TABLE `org_freezes` (
	`org_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`other_database` text NOT NULL,
	`since` text NOT NULL,
	CONSTRAINT "org_freezes_state_check" CHECK("org_freezes"."state" in ('frozen', 'moved', 'importing'))
);
--> statement-breakpoint
CREATE INDEX `audit_outbox_org_idx` ON `audit_outbox` (`org_id`,`event_id`);
--> statement-breakpoint
-- The freeze guard (SPEC §13): a write of any kind to an organisation's rows aborts while this
-- database holds it `frozen` (being moved out) or `moved` (it lives elsewhere now). The check
-- runs inside the writing statement, so it holds for every write batch of every isolate and
-- of any version of the code, with no read before it; the Worker answers the abort
-- ('organisation_frozen') with 503 and Retry-After. Rows being copied in (`importing`) are not
-- guarded. Every table of src/db/org-tables.ts has these three triggers (test/db/org-tables.test.ts).
CREATE TRIGGER `members_frozen_insert` BEFORE INSERT ON `members`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `members_frozen_update` BEFORE UPDATE ON `members`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `members_frozen_delete` BEFORE DELETE ON `members`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `activities_frozen_insert` BEFORE INSERT ON `activities`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `activities_frozen_update` BEFORE UPDATE ON `activities`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `activities_frozen_delete` BEFORE DELETE ON `activities`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_frozen_insert` BEFORE INSERT ON `attributions`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_frozen_update` BEFORE UPDATE ON `attributions`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_frozen_delete` BEFORE DELETE ON `attributions`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `batches_frozen_insert` BEFORE INSERT ON `batches`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `batches_frozen_update` BEFORE UPDATE ON `batches`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `batches_frozen_delete` BEFORE DELETE ON `batches`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `id_counters_frozen_insert` BEFORE INSERT ON `id_counters`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `id_counters_frozen_update` BEFORE UPDATE ON `id_counters`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `id_counters_frozen_delete` BEFORE DELETE ON `id_counters`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `idempotency_keys_frozen_insert` BEFORE INSERT ON `idempotency_keys`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `idempotency_keys_frozen_update` BEFORE UPDATE ON `idempotency_keys`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `idempotency_keys_frozen_delete` BEFORE DELETE ON `idempotency_keys`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_outbox_frozen_insert` BEFORE INSERT ON `audit_outbox`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_outbox_frozen_update` BEFORE UPDATE ON `audit_outbox`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_outbox_frozen_delete` BEFORE DELETE ON `audit_outbox`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `activity_totals_frozen_insert` BEFORE INSERT ON `activity_totals`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `activity_totals_frozen_update` BEFORE UPDATE ON `activity_totals`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `activity_totals_frozen_delete` BEFORE DELETE ON `activity_totals`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `attribution_totals_frozen_insert` BEFORE INSERT ON `attribution_totals`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `attribution_totals_frozen_update` BEFORE UPDATE ON `attribution_totals`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `attribution_totals_frozen_delete` BEFORE DELETE ON `attribution_totals`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `sync_changes_frozen_insert` BEFORE INSERT ON `sync_changes`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `sync_changes_frozen_update` BEFORE UPDATE ON `sync_changes`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `sync_changes_frozen_delete` BEFORE DELETE ON `sync_changes`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `sync_counters_frozen_insert` BEFORE INSERT ON `sync_counters`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `sync_counters_frozen_update` BEFORE UPDATE ON `sync_counters`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = NEW.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;
--> statement-breakpoint
CREATE TRIGGER `sync_counters_frozen_delete` BEFORE DELETE ON `sync_counters`
WHEN EXISTS (SELECT 1 FROM `org_freezes` WHERE `org_id` = OLD.`org_id` AND `state` <> 'importing')
BEGIN
  SELECT RAISE(ABORT, 'organisation_frozen');
END;

ALTER TABLE `activities` ADD `confirmation_status` text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE `activities` ADD `confirmation_by` text;--> statement-breakpoint
ALTER TABLE `activities` ADD `confirmation_at` text;--> statement-breakpoint
ALTER TABLE `activities` ADD `confirmation_reason` text;--> statement-breakpoint
ALTER TABLE `attributions` ADD `confirmation_status` text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE `attributions` ADD `confirmation_by` text;--> statement-breakpoint
ALTER TABLE `attributions` ADD `confirmation_at` text;--> statement-breakpoint
ALTER TABLE `attributions` ADD `confirmation_reason` text;--> statement-breakpoint
CREATE INDEX `attributions_org_confirmation_date_idx` ON `attributions` (`org_id`,`confirmation_status`,`activity_date`,`attribution_id`);--> statement-breakpoint
-- Existing rows (SPEC §11): registrations made before confirmation existed were never confirmed
-- by their mentor, so they, and their activities, start `pending` (the columns' default above);
-- a mentor's own entries are its own word, `confirmed`. Only disputed activities leave the
-- totals, so no total changes.
UPDATE `activities` SET `confirmation_status` = 'confirmed' WHERE `entry_mode` = 'self';

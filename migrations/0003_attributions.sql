CREATE TABLE `attributions` (
	`org_id` text NOT NULL,
	`attribution_id` text NOT NULL,
	`activity_id` text NOT NULL,
	`mentor_id` text NOT NULL,
	`coordinator_id` text NOT NULL,
	`activity_type_id` text NOT NULL,
	`activity_date` text NOT NULL,
	`duration_minutes` integer,
	`location` text,
	`notes` text,
	`proxy` integer NOT NULL,
	`entry_mode` text NOT NULL,
	`batch_id` text,
	`created_by` text NOT NULL,
	`last_event_id` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `attribution_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attributions_org_mentor_type_date_uq` ON `attributions` (`org_id`,`mentor_id`,`activity_type_id`,`activity_date`);--> statement-breakpoint
CREATE INDEX `attributions_org_date_idx` ON `attributions` (`org_id`,`activity_date`,`attribution_id`);--> statement-breakpoint
CREATE INDEX `attributions_org_mentor_date_idx` ON `attributions` (`org_id`,`mentor_id`,`activity_date`,`attribution_id`);--> statement-breakpoint
CREATE INDEX `attributions_org_coord_date_idx` ON `attributions` (`org_id`,`coordinator_id`,`activity_date`,`attribution_id`);--> statement-breakpoint
CREATE INDEX `attributions_org_type_date_idx` ON `attributions` (`org_id`,`activity_type_id`,`activity_date`,`attribution_id`);--> statement-breakpoint
CREATE INDEX `attributions_org_event_idx` ON `attributions` (`org_id`,`last_event_id`);--> statement-breakpoint
CREATE INDEX `attributions_org_batch_idx` ON `attributions` (`org_id`,`batch_id`);--> statement-breakpoint
CREATE TABLE `audit_outbox` (
	`event_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `audit_outbox_created_idx` ON `audit_outbox` (`created_at`,`event_id`);--> statement-breakpoint
CREATE TABLE `batches` (
	`org_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`coordinator_id` text NOT NULL,
	`created_by` text NOT NULL,
	`activity_type_id` text NOT NULL,
	`activity_date` text NOT NULL,
	`duration_minutes` integer,
	`location` text,
	`notes` text,
	`mentor_ids` text NOT NULL,
	`items` text NOT NULL,
	`mentor_count` integer NOT NULL,
	`skipped_count` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`confirmed_at` text,
	PRIMARY KEY(`org_id`, `batch_id`)
);
--> statement-breakpoint
CREATE TABLE `id_counters` (
	`org_id` text NOT NULL,
	`scope` text NOT NULL,
	`day` text NOT NULL,
	`last_value` integer NOT NULL,
	PRIMARY KEY(`org_id`, `scope`, `day`)
);
--> statement-breakpoint
CREATE INDEX `activities_org_attribution_idx` ON `activities` (`org_id`,`attribution_id`);
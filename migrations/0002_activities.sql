CREATE TABLE `activities` (
	`org_id` text NOT NULL,
	`activity_id` text NOT NULL,
	`mentor_id` text NOT NULL,
	`activity_type` text NOT NULL,
	`description` text NOT NULL,
	`contact_id` text,
	`duration_minutes` integer,
	`location` text,
	`notes` text,
	`occurred_at` text NOT NULL,
	`entry_mode` text NOT NULL,
	`attribution_id` text,
	`batch_id` text,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) NOT NULL,
	PRIMARY KEY(`org_id`, `activity_id`),
	FOREIGN KEY (`activity_type`) REFERENCES `activity_types`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "activities_entry_mode_check" CHECK("activities"."entry_mode" in ('self', 'proxy', 'bulk'))
);
--> statement-breakpoint
CREATE INDEX `activities_org_occurred_idx` ON `activities` (`org_id`,`occurred_at`,`activity_id`);--> statement-breakpoint
CREATE INDEX `activities_org_mentor_occurred_idx` ON `activities` (`org_id`,`mentor_id`,`occurred_at`,`activity_id`);--> statement-breakpoint
CREATE INDEX `activities_org_type_occurred_idx` ON `activities` (`org_id`,`activity_type`,`occurred_at`,`activity_id`);--> statement-breakpoint
CREATE INDEX `activities_org_contact_occurred_idx` ON `activities` (`org_id`,`contact_id`,`occurred_at`,`activity_id`);--> statement-breakpoint
CREATE INDEX `activities_org_mode_occurred_idx` ON `activities` (`org_id`,`entry_mode`,`occurred_at`,`activity_id`);
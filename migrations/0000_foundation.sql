CREATE TABLE `activity_types` (
	`id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`category` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `members` (
	`org_id` text NOT NULL,
	`member_id` text NOT NULL,
	`name` text NOT NULL,
	`roles` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) NOT NULL,
	PRIMARY KEY(`org_id`, `member_id`)
);
--> statement-breakpoint
CREATE INDEX `members_org_name_idx` ON `members` (`org_id`,`name`);
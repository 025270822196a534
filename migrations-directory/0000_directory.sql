CREATE TABLE `org_moves` (
	`move_id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`from_database` text NOT NULL,
	`to_database` text NOT NULL,
	`state` text NOT NULL,
	`detail` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	CONSTRAINT "org_moves_state_check" CHECK("org_moves"."state" in ('running', 'done', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `org_moves_org_idx` ON `org_moves` (`org_id`,`started_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `org_moves_one_running_uq` ON `org_moves` (`org_id`) WHERE "org_moves"."state" = 'running';--> statement-breakpoint
CREATE TABLE `organisations` (
	`org_id` text PRIMARY KEY NOT NULL,
	`database` text NOT NULL,
	`jurisdiction` text,
	`placed_at` text NOT NULL,
	`moved_at` text
);
--> statement-breakpoint
CREATE INDEX `organisations_database_idx` ON `organisations` (`database`);
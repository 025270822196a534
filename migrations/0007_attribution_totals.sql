CREATE TABLE `attribution_totals` (
	`org_id` text PRIMARY KEY NOT NULL,
	`total` integer NOT NULL
);

CREATE TABLE `sync_changes` (
	`org_id` text NOT NULL,
	`type` text NOT NULL,
	`record_id` text NOT NULL,
	`audience` text NOT NULL,
	`seq` integer NOT NULL,
	`op` text NOT NULL,
	`changed_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `type`, `record_id`, `audience`)
);
--> statement-breakpoint
CREATE INDEX `sync_changes_feed_idx` ON `sync_changes` (`org_id`,`audience`,`seq`);--> statement-breakpoint
CREATE INDEX `sync_changes_tombstones_idx` ON `sync_changes` (`org_id`,`changed_at`) WHERE "sync_changes"."op" = 'delete';--> statement-breakpoint
CREATE TABLE `sync_counters` (
	`org_id` text PRIMARY KEY NOT NULL,
	`seq` integer DEFAULT 0 NOT NULL,
	`watermark` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE `activities` ADD `client_ref` text;--> statement-breakpoint
CREATE UNIQUE INDEX `activities_org_mentor_client_ref_uq` ON `activities` (`org_id`,`mentor_id`,`client_ref`) WHERE "activities"."client_ref" is not null;--> statement-breakpoint
-- Every record that exists when the feed starts, as an upsert (SPEC §10: a first sync starts with
-- every record the caller may see). Numbered per organisation; each audience's rows are in order.
INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
SELECT `org_id`, `type`, `record_id`, `audience`,
  row_number() OVER (PARTITION BY `org_id` ORDER BY `type`, `record_id`, `audience`),
  'upsert', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM (
  SELECT `org_id`, 'activity_log' AS `type`, `activity_id` AS `record_id`, `mentor_id` AS `audience` FROM `activities`
  UNION ALL SELECT `org_id`, 'activity_log', `activity_id`, '*' FROM `activities`
  UNION ALL SELECT `org_id`, 'attribution', `attribution_id`, `mentor_id` FROM `attributions`
  UNION ALL SELECT `org_id`, 'attribution', `attribution_id`, '*' FROM `attributions`
  UNION ALL SELECT `org_id`, 'member', `member_id`, '@members' FROM `members`
);
--> statement-breakpoint
INSERT INTO `sync_counters` (`org_id`, `seq`, `watermark`)
SELECT `org_id`, max(`seq`), 0 FROM `sync_changes` GROUP BY `org_id`;
--> statement-breakpoint
-- The triggers: each change of a record takes the organisation's next sequence number and moves
-- the record's rows to it, one per audience. A record that leaves a mentor (its mentor changed)
-- keeps a tombstone in that mentor's audience.
CREATE TRIGGER `activities_sync_after_insert` AFTER INSERT ON `activities`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT NEW.`org_id`, 'activity_log', NEW.`activity_id`, `who`.`audience`, `c`.`seq`, 'upsert',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`, (SELECT NEW.`mentor_id` AS `audience` UNION ALL SELECT '*') `who`
  WHERE `c`.`org_id` = NEW.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `activities_sync_after_update` AFTER UPDATE ON `activities`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT NEW.`org_id`, 'activity_log', NEW.`activity_id`, `who`.`audience`, `c`.`seq`, `who`.`op`,
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`, (
    SELECT NEW.`mentor_id` AS `audience`, 'upsert' AS `op`
    UNION ALL SELECT '*', 'upsert'
    UNION ALL SELECT OLD.`mentor_id`, 'delete' WHERE OLD.`mentor_id` <> NEW.`mentor_id`
  ) `who`
  WHERE `c`.`org_id` = NEW.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `activities_sync_after_delete` AFTER DELETE ON `activities`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (OLD.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT OLD.`org_id`, 'activity_log', OLD.`activity_id`, `who`.`audience`, `c`.`seq`, 'delete',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`, (SELECT OLD.`mentor_id` AS `audience` UNION ALL SELECT '*') `who`
  WHERE `c`.`org_id` = OLD.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_sync_after_insert` AFTER INSERT ON `attributions`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT NEW.`org_id`, 'attribution', NEW.`attribution_id`, `who`.`audience`, `c`.`seq`, 'upsert',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`, (SELECT NEW.`mentor_id` AS `audience` UNION ALL SELECT '*') `who`
  WHERE `c`.`org_id` = NEW.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_sync_after_update` AFTER UPDATE ON `attributions`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT NEW.`org_id`, 'attribution', NEW.`attribution_id`, `who`.`audience`, `c`.`seq`, `who`.`op`,
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`, (
    SELECT NEW.`mentor_id` AS `audience`, 'upsert' AS `op`
    UNION ALL SELECT '*', 'upsert'
    UNION ALL SELECT OLD.`mentor_id`, 'delete' WHERE OLD.`mentor_id` <> NEW.`mentor_id`
  ) `who`
  WHERE `c`.`org_id` = NEW.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_sync_after_delete` AFTER DELETE ON `attributions`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (OLD.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT OLD.`org_id`, 'attribution', OLD.`attribution_id`, `who`.`audience`, `c`.`seq`, 'delete',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`, (SELECT OLD.`mentor_id` AS `audience` UNION ALL SELECT '*') `who`
  WHERE `c`.`org_id` = OLD.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `members_sync_after_insert` AFTER INSERT ON `members`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT NEW.`org_id`, 'member', NEW.`member_id`, '@members', `c`.`seq`, 'upsert',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`
  WHERE `c`.`org_id` = NEW.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `members_sync_after_update` AFTER UPDATE ON `members`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT NEW.`org_id`, 'member', NEW.`member_id`, '@members', `c`.`seq`, 'upsert',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`
  WHERE `c`.`org_id` = NEW.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `members_sync_after_delete` AFTER DELETE ON `members`
BEGIN
  INSERT INTO `sync_counters` (`org_id`, `seq`) VALUES (OLD.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `seq` = `seq` + 1;
  INSERT INTO `sync_changes` (`org_id`, `type`, `record_id`, `audience`, `seq`, `op`, `changed_at`)
  SELECT OLD.`org_id`, 'member', OLD.`member_id`, '@members', `c`.`seq`, 'delete',
    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
  FROM `sync_counters` `c`
  WHERE `c`.`org_id` = OLD.`org_id`
  ON CONFLICT (`org_id`, `type`, `record_id`, `audience`) DO UPDATE
  SET `seq` = excluded.`seq`, `op` = excluded.`op`, `changed_at` = excluded.`changed_at`;
END;

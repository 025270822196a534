-- Keeps activity_totals equal to each organisation's number of activities, whatever
-- inserts or deletes them (the API, or SQL run against the database).
INSERT INTO `activity_totals` (`org_id`, `total`)
SELECT `org_id`, count(*) FROM `activities` GROUP BY `org_id`;
--> statement-breakpoint
CREATE TRIGGER `activities_total_after_insert` AFTER INSERT ON `activities`
BEGIN
  INSERT INTO `activity_totals` (`org_id`, `total`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `total` = `total` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `activities_total_after_delete` AFTER DELETE ON `activities`
BEGIN
  UPDATE `activity_totals` SET `total` = `total` - 1 WHERE `org_id` = OLD.`org_id`;
END;

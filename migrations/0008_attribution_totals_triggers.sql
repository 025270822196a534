-- Keeps attribution_totals equal to each organisation's number of attributions.
INSERT INTO `attribution_totals` (`org_id`, `total`)
SELECT `org_id`, count(*) FROM `attributions` GROUP BY `org_id`;
--> statement-breakpoint
CREATE TRIGGER `attributions_total_after_insert` AFTER INSERT ON `attributions`
BEGIN
  INSERT INTO `attribution_totals` (`org_id`, `total`) VALUES (NEW.`org_id`, 1)
  ON CONFLICT (`org_id`) DO UPDATE SET `total` = `total` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `attributions_total_after_delete` AFTER DELETE ON `attributions`
BEGIN
  UPDATE `attribution_totals` SET `total` = `total` - 1 WHERE `org_id` = OLD.`org_id`;
END;

ALTER TABLE `notification_channels` ADD `quiet_hours` text;--> statement-breakpoint
ALTER TABLE `notification_channels` ADD `site_ids` text;--> statement-breakpoint
ALTER TABLE `notification_channels` ADD `pool_ids` text;
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`at` integer NOT NULL,
	`text` text NOT NULL,
	`action` text,
	`href` text,
	`job_id` integer,
	`run_id` integer,
	`tape_id` integer,
	`drive_id` integer,
	`agent_id` text,
	`site_id` integer,
	`pool_id` integer,
	`dedupe_key` text,
	`routed` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_dedupe_key_idx` ON `events` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `events_routed_idx` ON `events` (`routed`,`id`);--> statement-breakpoint
CREATE INDEX `events_at_idx` ON `events` (`at`);--> statement-breakpoint
ALTER TABLE `notification_channels` ADD `min_severity` text DEFAULT 'info' NOT NULL;--> statement-breakpoint
ALTER TABLE `notification_channels` ADD `last_sent_at` integer;--> statement-breakpoint
ALTER TABLE `notification_channels` ADD `last_error` text;--> statement-breakpoint
ALTER TABLE `notification_channels` ADD `last_error_at` integer;--> statement-breakpoint
ALTER TABLE `outbox` DROP COLUMN `event`;--> statement-breakpoint
ALTER TABLE `outbox` DROP COLUMN `payload`;
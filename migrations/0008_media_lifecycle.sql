CREATE TABLE `media_sets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`pool_id` integer NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`started_at` integer NOT NULL,
	`last_written_at` integer,
	`closed_at` integer,
	`expires_at` integer,
	`expired_at` integer,
	FOREIGN KEY (`pool_id`) REFERENCES `pools`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `media_sets_pool_state_idx` ON `media_sets` (`pool_id`,`state`);--> statement-breakpoint
CREATE TABLE `preflight_checks` (
	`job_id` integer PRIMARY KEY NOT NULL,
	`run_at` integer NOT NULL,
	`problem` text,
	`checked_at` integer NOT NULL,
	`raised_at` integer
);
--> statement-breakpoint
ALTER TABLE `jobs` ADD `full_schedule` text;--> statement-breakpoint
ALTER TABLE `pools` ADD `allocation` text DEFAULT 'continue' NOT NULL;--> statement-breakpoint
ALTER TABLE `pools` ADD `allocation_calendar` text;--> statement-breakpoint
ALTER TABLE `pools` ADD `retention` text DEFAULT 'timespan' NOT NULL;--> statement-breakpoint
ALTER TABLE `pools` ADD `generation` text;--> statement-breakpoint
ALTER TABLE `pools` ADD `barcode_prefix` text;--> statement-breakpoint
ALTER TABLE `pools` ADD `compression` text;--> statement-breakpoint
ALTER TABLE `pools` ADD `preflight_lead_minutes` integer DEFAULT 360 NOT NULL;--> statement-breakpoint
ALTER TABLE `tapes` ADD `media_set_id` integer;--> statement-breakpoint
ALTER TABLE `backup_sets` ADD `media_set_id` integer;
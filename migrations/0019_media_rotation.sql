ALTER TABLE `job_runs` ADD `pending_order` text;--> statement-breakpoint
ALTER TABLE `media_sets` ADD `offsite_at` integer;--> statement-breakpoint
ALTER TABLE `pools` ADD `offsite_rotation` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `pools` ADD `offsite_return_days` integer;
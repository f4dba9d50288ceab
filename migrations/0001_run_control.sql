ALTER TABLE `job_runs` ADD `progress_seq` integer DEFAULT -1 NOT NULL;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `control` text DEFAULT 'continue' NOT NULL;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `set_id` integer;
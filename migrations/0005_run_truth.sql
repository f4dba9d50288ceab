ALTER TABLE `job_runs` ADD `totals_estimated` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `retry_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `allow_empty` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `retries` integer DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `retry_delay_minutes` integer DEFAULT 10 NOT NULL;
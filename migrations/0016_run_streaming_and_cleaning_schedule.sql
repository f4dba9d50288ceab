ALTER TABLE `drives` ADD `cleaning_schedule` text;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `streaming` text;
ALTER TABLE `agents` ADD `protocol` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `clock_skew_ms` integer;
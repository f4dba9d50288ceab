CREATE TABLE `health_readings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`drive_id` integer NOT NULL,
	`tape_id` integer,
	`read_at` integer NOT NULL,
	`alerts` text NOT NULL,
	`counters` text,
	FOREIGN KEY (`drive_id`) REFERENCES `drives`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `health_drive_idx` ON `health_readings` (`drive_id`,`read_at`);--> statement-breakpoint
CREATE INDEX `health_tape_idx` ON `health_readings` (`tape_id`,`read_at`);--> statement-breakpoint
ALTER TABLE `drives` ADD `health` text;--> statement-breakpoint
ALTER TABLE `drives` ADD `health_at` integer;--> statement-breakpoint
ALTER TABLE `tapes` ADD `cleaning_uses` integer;--> statement-breakpoint
ALTER TABLE `tapes` ADD `cleaning_max_uses` integer;
CREATE TABLE `user_site_roles` (
	`user_id` integer NOT NULL,
	`site_id` integer NOT NULL,
	`role` text NOT NULL,
	PRIMARY KEY(`user_id`, `site_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `tape_moves` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tape_id` integer NOT NULL,
	`from_site_id` integer,
	`to_site_id` integer NOT NULL,
	`media_set_id` integer,
	`moved_at` integer NOT NULL,
	`actor` text NOT NULL,
	`note` text,
	FOREIGN KEY (`tape_id`) REFERENCES `tapes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tape_moves_tape_idx` ON `tape_moves` (`tape_id`,`moved_at`);--> statement-breakpoint
ALTER TABLE `sites` ADD `time_zone` text;--> statement-breakpoint
ALTER TABLE `sites` ADD `contact` text;--> statement-breakpoint
ALTER TABLE `sites` ADD `retired_at` integer;--> statement-breakpoint
ALTER TABLE `audit_logs` ADD `site_id` integer;--> statement-breakpoint
ALTER TABLE `pools` ADD `site_id` integer REFERENCES sites(id);--> statement-breakpoint
ALTER TABLE `tapes` ADD `site_id` integer REFERENCES sites(id);--> statement-breakpoint
CREATE INDEX `tapes_site_idx` ON `tapes` (`site_id`);--> statement-breakpoint
UPDATE `tapes` SET `site_id` = (SELECT `agents`.`site_id` FROM `changers` JOIN `agents` ON `agents`.`id` = `changers`.`agent_id` WHERE `changers`.`id` = `tapes`.`changer_id`) WHERE `changer_id` IS NOT NULL;--> statement-breakpoint
UPDATE `tapes` SET `site_id` = (SELECT `agents`.`site_id` FROM `drives` JOIN `agents` ON `agents`.`id` = `drives`.`agent_id` WHERE `drives`.`id` = `tapes`.`drive_id`) WHERE `site_id` IS NULL AND `drive_id` IS NOT NULL;

CREATE TABLE `catalog_names` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_names_name_uq` ON `catalog_names` (`name`);--> statement-breakpoint
CREATE INDEX `catalog_set_idx` ON `catalog_entries` (`set_id`);
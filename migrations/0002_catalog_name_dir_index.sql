DROP INDEX `catalog_path_idx`;--> statement-breakpoint
DROP INDEX `catalog_name_idx`;--> statement-breakpoint
CREATE INDEX `catalog_name_dir_idx` ON `catalog_entries` (`name`,`dir`);
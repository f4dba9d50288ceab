CREATE TABLE `guest_backups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`set_id` integer NOT NULL,
	`run_id` integer,
	`source_id` integer,
	`vmid` integer NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`node` text NOT NULL,
	`state` text NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text,
	`archive_path` text NOT NULL,
	`config_path` text,
	`parts` integer NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`set_id`) REFERENCES `backup_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`run_id`) REFERENCES `job_runs`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `guest_backups_guest_idx` ON `guest_backups` (`vmid`,`created_at`);--> statement-breakpoint
CREATE INDEX `guest_backups_set_idx` ON `guest_backups` (`set_id`);--> statement-breakpoint
CREATE TABLE `pve_inventories` (
	`source_id` integer PRIMARY KEY NOT NULL,
	`nodes` text NOT NULL,
	`guests` text NOT NULL,
	`discovered_at` integer,
	`attempted_at` integer NOT NULL,
	`error` text,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `source_secrets` (
	`source_id` integer PRIMARY KEY NOT NULL,
	`wrapped` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE cascade
);

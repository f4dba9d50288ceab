CREATE TABLE `order_report_receipts` (
	`order_id` text NOT NULL,
	`seq` integer NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`order_id`, `seq`),
	FOREIGN KEY (`order_id`) REFERENCES `work_orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `backup_set_segments` ADD `catalog_entries` integer;--> statement-breakpoint
ALTER TABLE `backup_set_segments` ADD `catalog_digest` text;--> statement-breakpoint
ALTER TABLE `backup_set_segments` ADD `catalog_checked` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `backup_sets` ADD `catalog_problem` text;
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`site_id` integer,
	`state` text DEFAULT 'pending' NOT NULL,
	`public_key` text,
	`enrollment_token_hash` text,
	`enrollment_expires_at` integer,
	`hostname` text,
	`version` text,
	`last_seen_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_name_uq` ON `agents` (`name`);--> statement-breakpoint
CREATE INDEX `agents_site_idx` ON `agents` (`site_id`);--> statement-breakpoint
CREATE TABLE `changers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`agent_id` text NOT NULL,
	`name` text NOT NULL,
	`device_path` text NOT NULL,
	`slot_count` integer DEFAULT 0 NOT NULL,
	`import_export_count` integer DEFAULT 0 NOT NULL,
	`inventory` text,
	`last_seen_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `changers_agent_device_uq` ON `changers` (`agent_id`,`device_path`);--> statement-breakpoint
CREATE TABLE `drives` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`agent_id` text NOT NULL,
	`changer_id` integer,
	`changer_index` integer,
	`name` text NOT NULL,
	`device_path` text NOT NULL,
	`vendor` text,
	`model` text,
	`serial` text,
	`generation` text,
	`state` text DEFAULT 'unknown' NOT NULL,
	`loaded_tape_id` integer,
	`alerts` text,
	`last_seen_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`changer_id`) REFERENCES `changers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `drives_agent_device_uq` ON `drives` (`agent_id`,`device_path`);--> statement-breakpoint
CREATE TABLE `sites` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sites_name_uq` ON `sites` (`name`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`name` text NOT NULL,
	`user_id` integer NOT NULL,
	`role` text NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_prefix_uq` ON `api_keys` (`prefix`);--> statement-breakpoint
CREATE INDEX `api_keys_user_idx` ON `api_keys` (`user_id`);--> statement-breakpoint
CREATE TABLE `audit_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`user_id` integer,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`outcome` text NOT NULL,
	`ip` text,
	`request_id` text,
	`details` text
);
--> statement-breakpoint
CREATE INDEX `audit_logs_at_idx` ON `audit_logs` (`at`);--> statement-breakpoint
CREATE INDEX `audit_logs_action_at_idx` ON `audit_logs` (`action`,`at`);--> statement-breakpoint
CREATE INDEX `audit_logs_user_at_idx` ON `audit_logs` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_logs_login_ip_idx` ON `audit_logs` (`action`,`ip`,`at`);--> statement-breakpoint
CREATE INDEX `audit_logs_login_target_idx` ON `audit_logs` (`action`,`target`,`at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`ip` text,
	`user_agent` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`secret` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`email` text,
	`disabled` integer DEFAULT false NOT NULL,
	`last_login_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_uq` ON `users` (`username`);--> statement-breakpoint
CREATE TABLE `job_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`at` integer NOT NULL,
	`level` text NOT NULL,
	`message` text NOT NULL,
	`path` text,
	FOREIGN KEY (`run_id`) REFERENCES `job_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `job_logs_run_idx` ON `job_logs` (`run_id`,`id`);--> statement-breakpoint
CREATE INDEX `job_logs_level_idx` ON `job_logs` (`level`,`at`);--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`kind` text NOT NULL,
	`state` text DEFAULT 'queued' NOT NULL,
	`backup_type` text,
	`triggered_by` text NOT NULL,
	`retry_of` integer,
	`agent_id` text,
	`drive_id` integer,
	`current_tape_id` integer,
	`bytes_done` integer DEFAULT 0 NOT NULL,
	`bytes_total` integer,
	`files_done` integer DEFAULT 0 NOT NULL,
	`files_total` integer,
	`current_path` text,
	`rate_bytes_per_sec` integer,
	`eta_seconds` integer,
	`warnings` integer DEFAULT 0 NOT NULL,
	`error` text,
	`operator_message` text,
	`queued_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`progress_at` integer,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`drive_id`) REFERENCES `drives`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`current_tape_id`) REFERENCES `tapes`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `job_runs_job_idx` ON `job_runs` (`job_id`,`queued_at`);--> statement-breakpoint
CREATE INDEX `job_runs_state_idx` ON `job_runs` (`state`);--> statement-breakpoint
CREATE INDEX `job_runs_finished_idx` ON `job_runs` (`finished_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'backup' NOT NULL,
	`source_id` integer,
	`pool_id` integer,
	`backup_type` text DEFAULT 'full' NOT NULL,
	`compression` text DEFAULT 'zstd' NOT NULL,
	`encryption` text DEFAULT 'none' NOT NULL,
	`encryption_key_id` integer,
	`schedule` text,
	`enabled` integer DEFAULT true NOT NULL,
	`next_run_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`source_id`) REFERENCES `sources`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`pool_id`) REFERENCES `pools`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_name_uq` ON `jobs` (`name`);--> statement-breakpoint
CREATE INDEX `jobs_next_run_idx` ON `jobs` (`enabled`,`next_run_at`);--> statement-breakpoint
CREATE TABLE `sources` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`agent_id` text,
	`paths` text NOT NULL,
	`include` text NOT NULL,
	`exclude` text NOT NULL,
	`options` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sources_name_uq` ON `sources` (`name`);--> statement-breakpoint
CREATE TABLE `work_orders` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`run_id` integer,
	`kind` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	`finished_at` integer,
	`expires_at` integer NOT NULL,
	`result` text,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`run_id`) REFERENCES `job_runs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `work_orders_agent_state_idx` ON `work_orders` (`agent_id`,`state`,`created_at`);--> statement-breakpoint
CREATE INDEX `work_orders_run_idx` ON `work_orders` (`run_id`);--> statement-breakpoint
CREATE TABLE `encryption_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`fingerprint` text NOT NULL,
	`algorithm` text DEFAULT 'AES-256-GCM' NOT NULL,
	`wrapped_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `encryption_keys_name_uq` ON `encryption_keys` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `encryption_keys_fp_uq` ON `encryption_keys` (`fingerprint`);--> statement-breakpoint
CREATE TABLE `pools` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`retention_days` integer DEFAULT 30 NOT NULL,
	`allow_reuse` integer DEFAULT true NOT NULL,
	`encryption_key_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pools_name_uq` ON `pools` (`name`);--> statement-breakpoint
CREATE TABLE `tapes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`barcode` text NOT NULL,
	`label` text,
	`uuid` text,
	`pool_id` integer,
	`state` text DEFAULT 'blank' NOT NULL,
	`generation` text,
	`capacity_bytes` integer,
	`used_bytes` integer DEFAULT 0 NOT NULL,
	`file_count` integer DEFAULT 0 NOT NULL,
	`write_protected` integer DEFAULT false NOT NULL,
	`drive_id` integer,
	`changer_id` integer,
	`slot` integer,
	`location` text,
	`labelled_at` integer,
	`first_written_at` integer,
	`last_written_at` integer,
	`expires_at` integer,
	`load_count` integer,
	`notes` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`pool_id`) REFERENCES `pools`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`drive_id`) REFERENCES `drives`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`changer_id`) REFERENCES `changers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tapes_barcode_uq` ON `tapes` (`barcode`);--> statement-breakpoint
CREATE UNIQUE INDEX `tapes_uuid_uq` ON `tapes` (`uuid`);--> statement-breakpoint
CREATE INDEX `tapes_pool_state_idx` ON `tapes` (`pool_id`,`state`);--> statement-breakpoint
CREATE INDEX `tapes_state_idx` ON `tapes` (`state`);--> statement-breakpoint
CREATE TABLE `notification_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`config` text NOT NULL,
	`secret_config` text,
	`events` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel_id` integer,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`channel_id`) REFERENCES `notification_channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `outbox_due_idx` ON `outbox` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `backup_set_segments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`set_id` integer NOT NULL,
	`sequence` integer NOT NULL,
	`tape_id` integer NOT NULL,
	`file_number` integer NOT NULL,
	`stream_offset` integer DEFAULT 0 NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`blocks` integer DEFAULT 0 NOT NULL,
	`complete` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`set_id`) REFERENCES `backup_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tape_id`) REFERENCES `tapes`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `segments_set_seq_uq` ON `backup_set_segments` (`set_id`,`sequence`);--> statement-breakpoint
CREATE INDEX `segments_tape_idx` ON `backup_set_segments` (`tape_id`);--> statement-breakpoint
CREATE TABLE `backup_sets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`job_id` integer,
	`run_id` integer,
	`pool_id` integer,
	`backup_type` text NOT NULL,
	`base_set_id` integer,
	`state` text DEFAULT 'writing' NOT NULL,
	`compression` text NOT NULL,
	`encryption` text NOT NULL,
	`encryption_key_fingerprint` text,
	`block_size` integer NOT NULL,
	`file_count` integer DEFAULT 0 NOT NULL,
	`source_bytes` integer DEFAULT 0 NOT NULL,
	`tape_bytes` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`verified_at` integer,
	`verify_result` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`run_id`) REFERENCES `job_runs`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`pool_id`) REFERENCES `pools`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `backup_sets_uuid_uq` ON `backup_sets` (`uuid`);--> statement-breakpoint
CREATE INDEX `backup_sets_job_idx` ON `backup_sets` (`job_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `backup_sets_started_idx` ON `backup_sets` (`started_at`);--> statement-breakpoint
CREATE TABLE `catalog_chunks` (
	`set_id` integer NOT NULL,
	`sequence` integer NOT NULL,
	`entries` integer NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`set_id`) REFERENCES `backup_sets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_chunks_uq` ON `catalog_chunks` (`set_id`,`sequence`);--> statement-breakpoint
CREATE TABLE `catalog_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`set_id` integer NOT NULL,
	`dir` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`size` integer NOT NULL,
	`mode` integer NOT NULL,
	`uid` integer NOT NULL,
	`gid` integer NOT NULL,
	`mtime` integer NOT NULL,
	`link_target` text,
	`sha256` text,
	`offset` integer NOT NULL,
	`segment` integer DEFAULT 0 NOT NULL,
	`end_segment` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`set_id`) REFERENCES `backup_sets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `catalog_set_dir_idx` ON `catalog_entries` (`set_id`,`dir`,`name`);--> statement-breakpoint
CREATE INDEX `catalog_path_idx` ON `catalog_entries` (`dir`,`name`,`set_id`);--> statement-breakpoint
CREATE INDEX `catalog_name_idx` ON `catalog_entries` (`name`);
-- The name index also holds set_id, so a name search within one set reads no row per candidate.
DROP INDEX `catalog_name_dir_idx`;--> statement-breakpoint
CREATE INDEX `catalog_name_dir_set_idx` ON `catalog_entries` (`name`,`dir`,`set_id`);--> statement-breakpoint
-- Name search by substring or suffix (glob `*.pdf`, `*invoice*`) without scanning every entry: a
-- trigram index over catalog_entries.name. External content (names are read from catalog_entries,
-- not stored twice), case-sensitive as GLOB is, no positions (detail=none: the glob is re-checked on
-- each candidate name). Triggers keep it in step with every insert and delete, including the rows a
-- deleted set takes with it by cascade. The rebuild indexes an existing catalog (bench/README.md,
-- catalog search, gives its time on 10 million entries).
CREATE VIRTUAL TABLE `catalog_names_fts` USING fts5(name, content='catalog_entries', content_rowid='id', tokenize='trigram case_sensitive 1', detail='none');
--> statement-breakpoint
CREATE TRIGGER `catalog_entries_fts_insert` AFTER INSERT ON `catalog_entries` BEGIN
  INSERT INTO `catalog_names_fts` (rowid, name) VALUES (new.id, new.name);
END;
--> statement-breakpoint
CREATE TRIGGER `catalog_entries_fts_delete` AFTER DELETE ON `catalog_entries` BEGIN
  INSERT INTO `catalog_names_fts` (`catalog_names_fts`, rowid, name) VALUES ('delete', old.id, old.name);
END;
--> statement-breakpoint
CREATE TRIGGER `catalog_entries_fts_update` AFTER UPDATE OF name ON `catalog_entries` BEGIN
  INSERT INTO `catalog_names_fts` (`catalog_names_fts`, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO `catalog_names_fts` (rowid, name) VALUES (new.id, new.name);
END;
--> statement-breakpoint
INSERT INTO `catalog_names_fts` (`catalog_names_fts`) VALUES ('rebuild');

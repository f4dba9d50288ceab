-- The trigram index moves from the entries to their distinct names (catalog_names, migration
-- 0006): a glob then tests each name once instead of every entry, and an ingested entry no
-- longer writes the trigram index (only a name never seen before does). Converts in place:
-- every entry stays as it is; names are filled from them in sorted order, then indexed.
DROP TRIGGER `catalog_entries_fts_insert`;
--> statement-breakpoint
DROP TRIGGER `catalog_entries_fts_delete`;
--> statement-breakpoint
DROP TRIGGER `catalog_entries_fts_update`;
--> statement-breakpoint
DROP TABLE `catalog_names_fts`;
--> statement-breakpoint
INSERT INTO `catalog_names` (`name`) SELECT DISTINCT `name` FROM `catalog_entries` ORDER BY `name`;
--> statement-breakpoint
-- A name's extension, after its last "." (rtrim drops every trailing character but "."), as
-- NAME_EXTENSION (functions/db/schema/sets.ts) writes it: a glob ending in `.c` looks it up.
CREATE INDEX `catalog_names_ext_idx` ON `catalog_names` (substr(name, length(rtrim(name, replace(name, '.', ''))) + 1));
--> statement-breakpoint
-- Every writer of entries (ingest, scans, tests, a cascade) keeps the names exactly the distinct
-- names of the entries. NOT EXISTS rather than OR IGNORE: an outer statement's conflict policy
-- would override a trigger's.
CREATE TRIGGER `catalog_entries_names_insert` AFTER INSERT ON `catalog_entries` BEGIN
  INSERT INTO `catalog_names` (`name`) SELECT new.name
  WHERE NOT EXISTS (SELECT 1 FROM `catalog_names` WHERE `name` = new.name);
END;
--> statement-breakpoint
CREATE TRIGGER `catalog_entries_names_update` AFTER UPDATE OF `name` ON `catalog_entries` BEGIN
  INSERT INTO `catalog_names` (`name`) SELECT new.name
  WHERE NOT EXISTS (SELECT 1 FROM `catalog_names` WHERE `name` = new.name);
  DELETE FROM `catalog_names` WHERE `name` = old.name
  AND NOT EXISTS (SELECT 1 FROM `catalog_entries` WHERE `name` = old.name);
END;
--> statement-breakpoint
-- A name leaves with its last entry (a set deleted, by cascade or dropSetEntries): one probe of
-- the name index per deleted entry, where the trigram index of the entries cost an FTS delete.
CREATE TRIGGER `catalog_entries_names_delete` AFTER DELETE ON `catalog_entries` BEGIN
  DELETE FROM `catalog_names` WHERE `name` = old.name
  AND NOT EXISTS (SELECT 1 FROM `catalog_entries` WHERE `name` = old.name);
END;
--> statement-breakpoint
-- Trigram index over the names: external content (read from catalog_names), case-sensitive as
-- GLOB is, no positions (detail=none).
CREATE VIRTUAL TABLE `catalog_names_fts` USING fts5(name, content='catalog_names', content_rowid='id', tokenize='trigram case_sensitive 1', detail='none');
--> statement-breakpoint
CREATE TRIGGER `catalog_names_fts_insert` AFTER INSERT ON `catalog_names` BEGIN
  INSERT INTO `catalog_names_fts` (rowid, name) VALUES (new.id, new.name);
END;
--> statement-breakpoint
CREATE TRIGGER `catalog_names_fts_delete` AFTER DELETE ON `catalog_names` BEGIN
  INSERT INTO `catalog_names_fts` (`catalog_names_fts`, rowid, name) VALUES ('delete', old.id, old.name);
END;
--> statement-breakpoint
INSERT INTO `catalog_names_fts` (`catalog_names_fts`) VALUES ('rebuild');

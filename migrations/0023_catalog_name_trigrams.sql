CREATE TABLE `catalog_name_trigrams` (
	`term` text PRIMARY KEY NOT NULL
);

--> statement-breakpoint
-- A new name's trigrams, one per position (json_each over a list of length(name) - 1 zeros gives
-- the positions; a trigger may not hold a CTE). NOT EXISTS rather than OR IGNORE: an outer
-- statement's conflict policy would override a trigger's; DISTINCT for a trigram a name repeats.
CREATE TRIGGER `catalog_names_trigrams_insert` AFTER INSERT ON `catalog_names` BEGIN
  INSERT INTO `catalog_name_trigrams` (`term`)
  SELECT DISTINCT substr(new.name, p.key + 1, 3)
  FROM json_each('[' || replace(hex(zeroblob(max(length(new.name) - 2, 0))), '00', '0,') || '0]') p
  WHERE p.key < length(new.name) - 2
  AND NOT EXISTS (SELECT 1 FROM `catalog_name_trigrams` t WHERE t.term = substr(new.name, p.key + 1, 3));
END;
--> statement-breakpoint
-- Converts a catalog in place: the trigrams of every name it holds.
INSERT INTO `catalog_name_trigrams` (`term`)
SELECT DISTINCT substr(n.name, p.key + 1, 3)
FROM `catalog_names` n, json_each('[' || replace(hex(zeroblob(max(length(n.name) - 2, 0))), '00', '0,') || '0]') p
WHERE p.key < length(n.name) - 2;

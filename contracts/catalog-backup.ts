/**
 * A catalog backup set on tape holds one file, `<work dir>/tapebackarr-catalog/tapebackarr-catalog.db`:
 * a SQLite snapshot of the hub's catalog. `drive-agent restore-catalog` finds the newest set
 * whose TOC lists a path ending in CATALOG_PATH_SUFFIX (docs/adr/0013).
 */
export const CATALOG_DIR = "tapebackarr-catalog";
export const CATALOG_FILE = "tapebackarr-catalog.db";
export const CATALOG_PATH_SUFFIX = `${CATALOG_DIR}/${CATALOG_FILE}`;

/**
 * No complete catalog backup set for this many days, while the catalog holds older backups,
 * raises `catalog-backup.missing` (docs/adr/0022); one that completes clears it.
 */
export const CATALOG_BACKUP_MAX_AGE_DAYS = 7;

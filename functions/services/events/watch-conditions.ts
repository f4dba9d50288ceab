import type { ServiceCtx } from "../../deps.ts";
import { watchCatalogBackups } from "../catalog/watch-catalog-backups.ts";
import { watchMissingKeys } from "../encryption-keys/watch-missing-keys.ts";
import { watchRetentionWarnings } from "../retention/watch-retention-warnings.ts";

/**
 * The conditions the scheduler tick watches and tells once when they start and once when they
 * end: retention warnings, sets whose key the hub lost, no recent catalog backup.
 */
export async function watchConditions(ctx: ServiceCtx) {
  const [retention, keys, catalog] = [
    await watchRetentionWarnings(ctx),
    await watchMissingKeys(ctx),
    await watchCatalogBackups(ctx),
  ];
  return { retention, keys, catalog };
}

import { join } from "node:path";
import type { BackupOrderBody } from "../../../contracts/agent-protocol.ts";
import type { CatalogEntryType } from "../../../contracts/catalog-record.ts";
import { findDeletions, manifestUsable } from "../../pipeline/manifest.ts";
import type { SetCatalog } from "../../pipeline/set-catalog.ts";

export type BaseManifest = {
  /** The base set's manifest to compare the walk with; null for a full (or a promoted one). */
  path: string | null;
  /** Why an incremental or differential is written as a full, or null. */
  promoted: string | null;
};

/**
 * The manifest an incremental or differential compares its walk with: the base set's, when this
 * agent has one with each path's state. Without it the set is written as a full, and says why:
 * a narrower set (times only) would miss renamed and moved-in files.
 */
export async function baseManifestOf(order: BackupOrderBody, manifests: string): Promise<BaseManifest> {
  const baseUuid = order.set.baseSetUuid;
  if (order.set.backupType === "full") return { path: null, promoted: null };
  if (!baseUuid)
    return {
      path: null,
      promoted: `this ${order.set.backupType} is written as a full backup: the order names no base set to compare with`,
    };
  const path = join(manifests, `${baseUuid}.manifest`);
  const usable = await manifestUsable(path);
  if (usable === "usable") return { path, promoted: null };
  const why =
    usable === "missing"
      ? "its file list is not on this agent (another agent wrote it, or the agent's state directory was reset)"
      : "its file list was written by an older agent and lacks each file's size, times and inode";
  return {
    path: null,
    promoted: `this ${order.set.backupType} is written as a full backup: it cannot be compared with base set ${baseUuid}, because ${why}`,
  };
}

const KINDS: Record<string, CatalogEntryType> = { d: "dir", f: "file", l: "symlink", o: "other" };

/** Catalogs a deletion marker, on the last segment, for each base path this set's walk lacks. */
export async function recordDeletions(
  order: BackupOrderBody,
  base: string,
  manifests: string,
  catalog: SetCatalog,
): Promise<void> {
  const segment = catalog.segments.length - 1;
  await findDeletions(base, join(manifests, `${order.set.uuid}.manifest`), (name, kind) => {
    catalog.addEntries([
      {
        path: name,
        type: KINDS[kind] ?? "other",
        size: 0,
        mode: 0,
        uid: 0,
        gid: 0,
        mtime: 0,
        linkTarget: null,
        sha256: null,
        offset: 0,
        segment,
        endSegment: segment,
        deleted: true,
      },
    ]);
  });
}

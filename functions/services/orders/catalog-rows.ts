import { CATALOG_ENTRY_TYPES } from "../../../contracts/agent-protocol.ts";
import { AppError } from "../../errors.ts";
import { splitPath } from "../catalog/paths.ts";

const TYPES = new Set<string>(CATALOG_ENTRY_TYPES);
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_PATH = 4096;

/** [dir, name, type, size, mode, uid, gid, mtime, linkTarget, sha256, offset, segment, endSegment, deleted 0/1] */
export type CatalogRow = [
  string,
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  string | null,
  string | null,
  number,
  number,
  number,
  0 | 1,
];

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= max && !v.includes("\u0000");

function bad(index: number, field: string): never {
  throw new AppError("validation_failed", `Invalid catalog entry ${index}: ${field}`, { index, field });
}

/**
 * Checks every entry of a chunk against the CatalogEntry tuple (contracts/agent-protocol.ts)
 * and splits its path into directory and name, the way the catalog stores and browses them.
 */
export function catalogRows(entries: unknown[]): CatalogRow[] {
  const rows: CatalogRow[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!Array.isArray(e) || e.length !== 13) bad(i, "must be a 13-element array");
    const [path, type, size, mode, uid, gid, mtime, link, sha, offset, segment, endSegment, deleted] = e;
    if (!isText(path, MAX_PATH)) bad(i, "path");
    if (typeof type !== "string" || !TYPES.has(type)) bad(i, "type");
    if (!isCount(size) || !isCount(mode) || !isCount(uid) || !isCount(gid)) bad(i, "size/mode/uid/gid");
    if (typeof mtime !== "number" || !Number.isSafeInteger(mtime)) bad(i, "mtime");
    if (link !== null && !isText(link, MAX_PATH)) bad(i, "linkTarget");
    if (sha !== null && (typeof sha !== "string" || !SHA256.test(sha))) bad(i, "sha256");
    if (!isCount(offset) || !isCount(segment) || !isCount(endSegment) || endSegment < segment)
      bad(i, "offset/segment");
    if (typeof deleted !== "boolean") bad(i, "deleted");
    const { dir, name } = splitPath(path);
    rows[i] = [
      dir,
      name,
      type,
      size,
      mode,
      uid,
      gid,
      mtime,
      link,
      sha,
      offset,
      segment,
      endSegment,
      deleted ? 1 : 0,
    ];
  }
  return rows;
}

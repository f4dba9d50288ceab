import type { CATALOG_ENTRY_TYPES, CatalogEntry } from "./agent-protocol.ts";

/** What kind of filesystem object a catalog entry describes. */
export type CatalogEntryType = (typeof CATALOG_ENTRY_TYPES)[number];

/**
 * One catalog entry by name, as code handles it. On the wire (catalog chunks) it travels as the
 * compact positional CatalogEntry tuple; toWireEntry converts at that edge only, and
 * the per-segment catalog digest is computed over the wire tuple's JSON.
 */
export type CatalogRecord = {
  /** As stored in tar: relative, '/'-separated. */
  path: string;
  type: CatalogEntryType;
  size: number;
  /** Permission and special bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Unix seconds. */
  mtime: number;
  linkTarget: string | null;
  /** sha256 of the content (files only). */
  sha256: string | null;
  /** Byte offset of the tar header in the set's uncompressed stream. */
  offset: number;
  /** Segment (tape sequence) holding the header. */
  segment: number;
  /** Segment holding the last byte. */
  endSegment: number;
  /** Deleted since the base set (incrementals). */
  deleted: boolean;
};

export function toWireEntry(r: CatalogRecord): CatalogEntry {
  return [
    r.path,
    r.type,
    r.size,
    r.mode,
    r.uid,
    r.gid,
    r.mtime,
    r.linkTarget,
    r.sha256,
    r.offset,
    r.segment,
    r.endSegment,
    r.deleted,
  ];
}

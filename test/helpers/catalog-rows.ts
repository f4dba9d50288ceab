import type { catalogEntries } from "../../functions/db/schema/index.ts";

/**
 * A catalog row for a 5-byte file `dir/name` of the set, at tar offset 0 of its first segment,
 * with `fields` on top.
 */
export const fileEntry = (
  setId: number,
  dir: string,
  name: string,
  fields: Partial<typeof catalogEntries.$inferInsert> = {},
): typeof catalogEntries.$inferInsert => ({
  setId,
  dir,
  name,
  type: "file",
  size: 5,
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtime: 1,
  sha256: "a".repeat(64),
  offset: 0,
  segment: 0,
  endSegment: 0,
  ...fields,
});

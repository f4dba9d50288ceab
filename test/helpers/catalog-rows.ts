import { backupSets, type catalogEntries } from "../../functions/db/schema/index.ts";
import type { TestHub } from "./hub.ts";

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

/** A complete, unencrypted full set started at `fields.startedAt` (default now), with `fields` on top; its id. */
export async function insertSet(
  hub: TestHub,
  fields: Partial<typeof backupSets.$inferInsert> = {},
): Promise<number> {
  const startedAt = fields.startedAt ?? new Date();
  const [set] = await hub.ctx.db
    .insert(backupSets)
    .values({
      uuid: crypto.randomUUID(),
      backupType: "full",
      state: "complete",
      compression: "none",
      encryption: "none",
      blockSize: 65536,
      createdAt: startedAt,
      ...fields,
      startedAt,
    })
    .returning({ id: backupSets.id });
  if (!set) throw new Error("no set inserted");
  return set.id;
}

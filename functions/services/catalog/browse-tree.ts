import { and, eq, gt } from "drizzle-orm";
import type { z } from "zod";
import { backupSets, catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import type { browseQuery } from "./browse-set.ts";
import { chainOf } from "./set-chain.ts";

/**
 * One directory of the tree as it was after a set ran: the set's chain merged (later versions
 * win, deleted paths gone), each entry with the set holding its version, a page at a time.
 */
export async function browseTree(ctx: ServiceCtx, setId: number, query: z.output<typeof browseQuery>) {
  const set = getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) }),
    "Backup set",
    setId,
  );
  const chain = await chainOf(ctx, set);
  const byName = new Map<string, typeof catalogEntries.$inferSelect>();
  for (const member of chain.sets) {
    const rows = await ctx.db
      .select()
      .from(catalogEntries)
      .where(
        and(
          eq(catalogEntries.setId, member.id),
          eq(catalogEntries.dir, query.dir),
          query.after === undefined ? undefined : gt(catalogEntries.name, query.after),
        ),
      );
    for (const row of rows) {
      if (row.deleted) byName.delete(row.name);
      else byName.set(row.name, row);
    }
  }
  // Byte order, as SQLite compares names, so `after` pages the same way.
  const names = [...byName.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const items = names.slice(0, query.limit).map((n) => byName.get(n) as typeof catalogEntries.$inferSelect);
  return {
    dir: query.dir,
    items,
    nextAfter: names.length > query.limit ? (items.at(-1)?.name ?? null) : null,
    /** The sets merged, oldest first. */
    chain: chain.sets.map((s) => ({
      id: s.id,
      backupType: s.backupType,
      startedAt: s.startedAt,
      keyFingerprint: s.encryption === "none" ? null : s.encryptionKeyFingerprint,
    })),
    warnings: chain.broken ? [chain.broken] : [],
  };
}

import { and, inArray, isNotNull, ne, notInArray, sql } from "drizzle-orm";
import { backupSets, encryptionKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type ActiveCondition, settleConditions } from "../events/settle-conditions.ts";

/** Sets in these states hold data someone may restore or verify. */
const KEPT_STATES = ["complete", "incomplete"] as const;

const NAMED_SETS = 5;

/**
 * Encrypted sets the hub can no longer restore or verify because it does not hold their key
 * (a set found on a scanned tape, a key deleted on another catalog): one `key.missing` per
 * fingerprint while any such set is kept, one `key.back` once the key is imported again or the
 * sets are gone.
 */
export async function watchMissingKeys(ctx: ServiceCtx) {
  const held = ctx.db.select({ fp: encryptionKeys.fingerprint }).from(encryptionKeys);
  const rows = await ctx.db
    .select({
      fingerprint: backupSets.encryptionKeyFingerprint,
      count: sql<number>`count(*)`,
      ids: sql<string>`group_concat(${backupSets.id})`,
    })
    .from(backupSets)
    .where(
      and(
        ne(backupSets.encryption, "none"),
        isNotNull(backupSets.encryptionKeyFingerprint),
        inArray(backupSets.state, [...KEPT_STATES]),
        notInArray(backupSets.encryptionKeyFingerprint, held),
      ),
    )
    .groupBy(backupSets.encryptionKeyFingerprint)
    .limit(200);
  const active: ActiveCondition[] = rows.map((row) => {
    const ids = row.ids
      .split(",")
      .map(Number)
      .sort((a, b) => a - b);
    const named = ids.slice(0, NAMED_SETS).map((id) => `#${id}`);
    const more = ids.length > NAMED_SETS ? ` and ${ids.length - NAMED_SETS} more` : "";
    const sets = Number(row.count) === 1 ? "set" : "sets";
    return {
      key: `fp:${row.fingerprint}`,
      event: {
        text: `${row.count} backup ${sets} (${named.join(", ")}${more}) cannot be restored or verified here: the hub no longer holds encryption key ${String(row.fingerprint).slice(0, 16)}…`,
        action:
          "Import the key from its key sheet (Keys → Import), or restore with the passphrase the tape's TOC was sealed with.",
        href: "/keys",
      },
    };
  });
  return settleConditions(
    ctx,
    {
      name: "key",
      raised: "key.missing",
      cleared: "key.back",
      clearedText: (text) => `The key is held again or its sets are gone: ${text}`,
    },
    active,
  );
}

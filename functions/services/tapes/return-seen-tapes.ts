import { and, inArray, sql } from "drizzle-orm";
import { tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { moveTapeState } from "./move-tape-state.ts";
import { stateOnReturn } from "./state-on-return.ts";

const AWAY = ["offsite", "exported"] as const;

/**
 * Tapes marked offsite or exported that an agent now reports in a drive or a storage slot are
 * back (put in by hand, then an inventory): each is returned, audited, as an import would.
 */
export async function returnSeenTapes(ctx: ServiceCtx, barcodes: string[]): Promise<void> {
  if (barcodes.length === 0) return;
  const back = await ctx.db.query.tapes.findMany({
    // One bound value however many cartridges the library holds (D1 binds at most 100 per statement).
    where: and(
      sql`${tapes.barcode} in (select value from json_each(${JSON.stringify(barcodes)}))`,
      inArray(tapes.state, [...AWAY]),
    ),
  });
  for (const tape of back)
    await moveTapeState(ctx, tape.id, AWAY, await stateOnReturn(ctx, tape), "seen in the library again", {
      location: null,
    });
}

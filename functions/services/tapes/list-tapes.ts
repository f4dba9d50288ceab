import { eq, like } from "drizzle-orm";
import { z } from "zod";
import { TAPE_STATES, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { siteFilter, siteWhere } from "../sites/site-scope.ts";
import { shownCapacity } from "./native-capacity.ts";

/** The states a tape can be in (the catalog's own list). */
export { TAPE_STATES };

export const tapeFilter = z.object({
  poolId: z.coerce.number().int().positive().optional(),
  state: z.enum(TAPE_STATES).optional(),
  barcode: z.string().trim().toUpperCase().max(16).optional(),
  ...siteFilter.shape,
});

export async function listTapes(ctx: ServiceCtx, page: PageRequest, filter: z.output<typeof tapeFilter>) {
  const rows = await ctx.db.query.tapes.findMany(
    pageWhere(
      tapes.id,
      page,
      "asc",
      filter.poolId ? eq(tapes.poolId, filter.poolId) : undefined,
      filter.state ? eq(tapes.state, filter.state) : undefined,
      siteWhere(ctx, { column: tapes.siteId }, filter.site),
      filter.barcode ? like(tapes.barcode, `${filter.barcode.replace(/[%_]/g, "")}%`) : undefined,
    ),
  );
  // The capacity a page shows: the reported one, else the generation's, marked nominal.
  return toPage(
    rows.map((t) => ({ ...t, ...shownCapacity(t) })),
    page,
  );
}

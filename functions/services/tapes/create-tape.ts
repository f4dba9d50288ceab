import { eq } from "drizzle-orm";
import { z } from "zod";
import { tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getPool } from "../pools/get-pool.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { optionalText } from "../shared/input-schemas.ts";
import { checkPlacement } from "../sites/active-site.ts";
import { isCleaningBarcode } from "./media-type.ts";

export const LTO_GENERATIONS = ["LTO-5", "LTO-6", "LTO-7", "LTO-8", "LTO-9", "LTO-10"] as const;

const barcode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{1,16}$/, "use 1-16 letters and digits, as printed on the cartridge label");

export const createTapeInput = z.object({
  barcode,
  poolId: z.number().int().positive().nullish(),
  generation: z.enum(LTO_GENERATIONS).nullish(),
  capacityBytes: z.number().int().positive().nullish(),
  location: optionalText(200),
  notes: optionalText(2000),
  /** The site where the cartridge is; later changes are recorded moves (move-tapes.ts). */
  siteId: z.number().int().positive().nullish(),
});

export async function createTape(ctx: ServiceCtx, input: z.output<typeof createTapeInput>) {
  if (input.poolId && isCleaningBarcode(input.barcode))
    throw conflict(`${input.barcode} is a cleaning cartridge; it never joins a pool`);
  if (input.poolId) await getPool(ctx, input.poolId);
  await checkPlacement(ctx, input.siteId, "tape");
  const existing = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, input.barcode) });
  if (existing) throw conflict(`Tape ${input.barcode} is already registered`);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(tapes)
    .values({
      ...input,
      ...(isCleaningBarcode(input.barcode) ? { state: "cleaning" as const } : {}),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return getOrThrow(row, "Tape", input.barcode);
}

import { and, count, eq, like } from "drizzle-orm";
import { z } from "zod";
import { backupSetSegments, TAPE_STATES, tapes } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";
import { conflict } from "../errors.ts";
import { getPool } from "./pools.ts";
import { getOrThrow, optionalText, type PageRequest, pageWhere, patchSchema, toPage } from "./shared.ts";

/** The states a tape can be in (the catalog's own list). */
export { TAPE_STATES };

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
});

/** Tape state here is bookkeeping (offsite, retired); writing a label is a drive operation. */
export const updateTapeInput = patchSchema(
  createTapeInput.omit({ barcode: true }).extend({ state: z.enum(TAPE_STATES) }),
);

export const tapeFilter = z.object({
  poolId: z.coerce.number().int().positive().optional(),
  state: z.enum(TAPE_STATES).optional(),
  barcode: z.string().trim().toUpperCase().max(16).optional(),
});

export async function listTapes(ctx: ServiceCtx, page: PageRequest, filter: z.output<typeof tapeFilter>) {
  const rows = await ctx.db.query.tapes.findMany(
    pageWhere(
      tapes.id,
      page,
      "asc",
      filter.poolId ? eq(tapes.poolId, filter.poolId) : undefined,
      filter.state ? eq(tapes.state, filter.state) : undefined,
      filter.barcode ? like(tapes.barcode, `${filter.barcode.replace(/[%_]/g, "")}%`) : undefined,
    ),
  );
  return toPage(rows, page);
}

export async function getTape(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, id) }), "Tape", id);
}

export async function createTape(ctx: ServiceCtx, input: z.output<typeof createTapeInput>) {
  if (input.poolId) await getPool(ctx, input.poolId);
  const existing = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, input.barcode) });
  if (existing) throw conflict(`Tape ${input.barcode} is already registered`);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(tapes)
    .values({ ...input, createdAt: now, updatedAt: now })
    .returning();
  return getOrThrow(row, "Tape", input.barcode);
}

export async function updateTape(ctx: ServiceCtx, id: number, input: z.output<typeof updateTapeInput>) {
  if (input.poolId) await getPool(ctx, input.poolId);
  const [row] = await ctx.db
    .update(tapes)
    .set({ ...input, updatedAt: ctx.now() })
    .where(eq(tapes.id, id))
    .returning();
  return getOrThrow(row, "Tape", id);
}

/** Only a tape the catalog knows no data on may be forgotten; one with sets is retired instead. */
export async function deleteTape(ctx: ServiceCtx, id: number) {
  const tape = await getTape(ctx, id);
  const [segments] = await ctx.db
    .select({ n: count() })
    .from(backupSetSegments)
    .where(and(eq(backupSetSegments.tapeId, id)));
  if ((segments?.n ?? 0) > 0) {
    throw conflict(
      `Tape ${tape.barcode} holds ${segments?.n} backup set segment(s); retire it instead of deleting it`,
    );
  }
  await ctx.db.delete(tapes).where(eq(tapes.id, id));
  return tape;
}

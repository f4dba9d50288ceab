import { and, count, eq, ne } from "drizzle-orm";
import { type Role, users } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

export async function assertAnotherAdmin(ctx: ServiceCtx, exceptId: number): Promise<void> {
  const [row] = await ctx.db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, "admin" satisfies Role), eq(users.disabled, false), ne(users.id, exceptId)));
  if (!row || row.n === 0)
    throw new AppError("conflict", "This is the last active admin; make another admin first");
}

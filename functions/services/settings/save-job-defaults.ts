import { settings } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { JOB_DEFAULTS_KEY, type JobDefaults } from "./job-defaults.ts";

export async function saveJobDefaults(ctx: ServiceCtx, input: JobDefaults): Promise<JobDefaults> {
  const now = ctx.now();
  const saved = await ctx.db
    .insert(settings)
    .values({ key: JOB_DEFAULTS_KEY, value: input, secret: false, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: input, updatedAt: now } })
    .returning({ secret: settings.secret });
  if (saved[0]?.secret) throw new AppError("internal", `settings key ${JOB_DEFAULTS_KEY} is a secret row`);
  return input;
}

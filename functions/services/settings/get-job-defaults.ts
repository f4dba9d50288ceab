import { eq } from "drizzle-orm";
import { settings } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { JOB_DEFAULTS, JOB_DEFAULTS_KEY, type JobDefaults, jobDefaultsInput } from "./job-defaults.ts";

export async function getJobDefaults(ctx: ServiceCtx): Promise<JobDefaults> {
  const row = await ctx.db.query.settings.findFirst({ where: eq(settings.key, JOB_DEFAULTS_KEY) });
  const parsed = jobDefaultsInput.safeParse(row?.value);
  return parsed.success ? parsed.data : JOB_DEFAULTS;
}

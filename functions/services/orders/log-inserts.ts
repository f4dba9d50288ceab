import { sql } from "drizzle-orm";
import { jsonParts } from "../../db/limits.ts";
import type { ServiceCtx } from "../../deps.ts";
import type { Statement } from "./once-at-most.ts";

export type LogRow = [at: number, level: string, message: string, path: string | null];

/** Inserts a run's log lines as JSON parts (one bound value each, D1's limits), for one batch. */
export function logInserts(ctx: ServiceCtx, runId: number, rows: LogRow[]): Statement[] {
  return jsonParts(rows).map((json) =>
    ctx.db.run(sql`insert into job_logs (run_id, at, level, message, path)
      select ${runId}, value->>0, value->>1, value->>2, value->>3 from json_each(${json})`),
  );
}

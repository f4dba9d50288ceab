import { sql } from "drizzle-orm";
import { AppError } from "../../errors.ts";
import { VERSION } from "../../version.ts";
import type { ApiRouter } from "./router.ts";

export function registerHealthRoutes(api: ApiRouter): void {
  api.route(
    {
      method: "GET",
      path: "/health",
      permission: "public",
      tag: "health",
      summary: "Liveness and catalog reachability",
    },
    async (c) => {
      const { db, now } = c.get("deps");
      try {
        await db.run(sql`select 1`);
      } catch {
        throw new AppError("unavailable", "The catalog database does not answer");
      }
      return c.json({ status: "ok", version: VERSION, time: now().toISOString() });
    },
  );
}

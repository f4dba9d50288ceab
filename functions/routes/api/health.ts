import { AppError } from "../../errors.ts";
import { catalogAnswers } from "../../services/health/catalog-answers.ts";
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
      if (!(await catalogAnswers({ db })))
        throw new AppError("unavailable", "The catalog database does not answer");
      return c.json({ status: "ok", version: VERSION, time: now().toISOString() });
    },
  );
}

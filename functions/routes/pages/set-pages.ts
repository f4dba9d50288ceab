import { startVerify } from "../../services/verifies/start-verify.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { ok } from "./form.ts";
import type { PageRouter } from "./router.ts";

/** What a finished run's page offers for its set beyond browsing it. */
export function registerSetPages(pages: PageRouter): void {
  pages.route(
    {
      method: "POST",
      path: "/sets/:id/verify",
      params: idParams,
      permission: "operate",
      summary: "Read a set back and check every checksum",
      audit: "set.verify",
    },
    async (c, { params }) => {
      const started = await startVerify(serviceCtx(c), params.id, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${started.run.id}`);
      return ok(c, `Verify queued as run ${started.run.id}`, 202);
    },
  );
}

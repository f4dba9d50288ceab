import { requestEject } from "../../services/tapes-eject.ts";
import { serviceCtx } from "../api/context.ts";
import { ok } from "./form.ts";
import type { PageRouter } from "./router.ts";

/** Drive actions started from a tape's page. */
export function registerDrivePages(pages: PageRouter): void {
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id/eject",
      permission: "operate",
      summary: "Eject a tape from the drive holding it",
      audit: "tape.eject",
    },
    async (c) => {
      const order = await requestEject(serviceCtx(c), Number(c.req.param("id")));
      return ok(c, `Ejecting ${order.tape} from ${order.drive}…`, 202);
    },
  );
}

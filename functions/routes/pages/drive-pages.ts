import { requestEject } from "../../services/tapes/eject-tape.ts";
import { serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { ok } from "./form.ts";
import type { PageRouter } from "./router.ts";

/** Drive actions started from a tape's page. */
export function registerDrivePages(pages: PageRouter): void {
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id/eject",
      params: idParams,
      permission: "operate",
      summary: "Eject a tape from the drive holding it",
      audit: "tape.eject",
    },
    async (c, { params }) => {
      const order = await requestEject(serviceCtx(c), params.id);
      return ok(c, `Ejecting ${order.tape} from ${order.drive}…`, 202);
    },
  );
}

import { renderDocument } from "../../../views/html.ts";
import { PassportPage } from "../../../views/pages/passport.tsx";
import { getPassports } from "../../services/passports/get-passports.ts";
import { serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import type { PageRouter } from "./router.ts";

/** Printable tape passports: one tape, or every tape of a pool or media set going offsite together. */
export function registerPassportPages(pages: PageRouter): void {
  pages.route(
    {
      method: "GET",
      path: "/tapes/:id/passport",
      params: idParams,
      permission: "read",
      summary: "Tape passport",
    },
    async (c, { params }) => {
      const model = await getPassports(serviceCtx(c), c.get("deps").assets, { tapeId: params.id });
      const barcode = model.tapes[0]?.barcode ?? "";
      return c.html(renderDocument(PassportPage({ title: `Tape passport ${barcode}`, ...model })));
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/pools/:id/passports",
      params: idParams,
      permission: "read",
      summary: "The passports of every tape of a pool",
    },
    async (c, { params }) => {
      const model = await getPassports(serviceCtx(c), c.get("deps").assets, { poolId: params.id });
      return c.html(
        renderDocument(
          PassportPage({ title: `Tape passports of pool ${model.tapes[0]?.pool ?? ""}`, ...model }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/media-sets/:id/passports",
      params: idParams,
      permission: "read",
      summary: "The passports of every tape of a media set",
    },
    async (c, { params }) => {
      const model = await getPassports(serviceCtx(c), c.get("deps").assets, { mediaSetId: params.id });
      return c.html(
        renderDocument(PassportPage({ title: `Tape passports of media set #${params.id}`, ...model })),
      );
    },
  );
}

import { renderDocument } from "../../../views/html.ts";
import { TapePage } from "../../../views/pages/tape.tsx";
import { TapesPage } from "../../../views/pages/tapes.tsx";
import { listPools } from "../../services/pools/list-pools.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { createTape, createTapeInput } from "../../services/tapes/create-tape.ts";
import { getTapeDetail } from "../../services/tapes/get-tape-detail.ts";
import { labelTapeInput, requestLabel } from "../../services/tapes/label-tape.ts";
import { listTapes, TAPE_STATES, tapeFilter } from "../../services/tapes/list-tapes.ts";
import { updateTape, updateTapeInput } from "../../services/tapes/update-tape.ts";
import { serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, num, ok, parseForm, queryFields, siteChoice, siteField } from "./form.ts";
import { cursorQuery, type PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

const ALL = { limit: 500 };

/** The tapes list, one tape's page, and what an operator changes on them. */
export function registerTapePages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/tapes", permission: "read", summary: "Tapes with filters", query: cursorQuery },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const filter = parseForm(tapeFilter, queryFields(c));
      const [tapes, pools, sites, choice] = await Promise.all([
        listTapes(ctx, { limit: 100, cursor: query.cursor }, filter),
        listPools(ctx, ALL),
        listSites(ctx),
        siteChoice(c),
      ]);
      return c.html(
        renderDocument(
          TapesPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            tapes: tapes.items,
            pools: pools.items,
            filter,
            sites: sites.items,
            siteChoice: choice,
            states: TAPE_STATES,
            nextCursor: tapes.nextCursor,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes",
      permission: "operate",
      summary: "Register a tape",
      audit: "tape.create",
      site: [{ of: "site", body: "siteId" }],
    },
    async (c) => {
      const f = await formFields(c);
      const tape = await createTape(
        serviceCtx(c),
        parseForm(createTapeInput, {
          barcode: f.barcode,
          poolId: num(f.poolId),
          siteId: siteField(f.siteId),
        }),
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Tape ${tape.barcode} registered`, 201);
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/tapes/:id",
      params: idParams,
      permission: "read",
      summary: "One tape: where it is, its sets",
    },
    async (c, { params }) => {
      const ctx = serviceCtx(c);
      const [detail, pools] = await Promise.all([getTapeDetail(ctx, params.id), listPools(ctx, ALL)]);
      return c.html(
        renderDocument(
          TapePage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            pools: pools.items,
            ...detail,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id",
      params: idParams,
      permission: "operate",
      summary: "Move a tape to a pool, mark it offsite or retired",
      audit: "tape.update",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const tape = await updateTape(
        serviceCtx(c),
        params.id,
        parseForm(updateTapeInput, { poolId: num(f.poolId), state: f.state, location: f.location ?? null }),
      );
      return ok(c, `Tape ${tape.barcode}: ${tape.state}`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id/label",
      params: idParams,
      permission: "operate",
      summary: "Label a tape",
      audit: "tape.label",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(labelTapeInput, { poolId: num(f.poolId), force: f.force === "on" });
      const order = await requestLabel(serviceCtx(c), params.id, input);
      return ok(c, `Labelling ${order.tape} in ${order.drive}…`, 202);
    },
  );
}

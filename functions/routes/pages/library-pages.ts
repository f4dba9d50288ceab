import { renderDocument } from "../../../views/html.ts";
import { DrivePage } from "../../../views/pages/drive.tsx";
import { LibraryLive, LibraryPage } from "../../../views/pages/library.tsx";
import { cleanDrive, cleanDriveInput } from "../../services/drives/clean-drive.ts";
import { getDriveHealth } from "../../services/drives/get-drive-health.ts";
import { cleaningScheduleInput, setCleaningSchedule } from "../../services/drives/set-cleaning-schedule.ts";
import { exportTapes, exportTapesInput } from "../../services/library/export-tapes.ts";
import { getLibrary } from "../../services/library/get-library.ts";
import {
  labelBlankCartridges,
  labelBlankCartridgesInput,
} from "../../services/library/label-blank-cartridges.ts";
import { operateChanger, operateChangerInput } from "../../services/library/operate-changer.ts";
import { listPools } from "../../services/pools/list-pools.ts";
import { scanLibrary } from "../../services/scans/scan-library.ts";
import { eraseTape, eraseTapeInput } from "../../services/tapes/erase-tape.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { can, formFields, num, ok, parseForm } from "./form.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

/** The library page (changers), a drive's health page, and the changer and care actions. */
export function registerLibraryPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/library", permission: "read", summary: "Changers and their slots" },
    async (c) => {
      const ctx = serviceCtx(c);
      const [library, pools] = await Promise.all([getLibrary(ctx), listPools(ctx, { limit: 500 })]);
      return c.html(
        renderDocument(
          LibraryPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            library,
            pools: pools.items,
          }),
        ),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/partials/library",
      permission: "read",
      summary: "Changer slots and orders (polled)",
    },
    async (c) => c.html(LibraryLive({ library: await getLibrary(serviceCtx(c)) }).value),
  );
  pages.route(
    { method: "GET", path: "/drives/:id", params: idParams, permission: "read", summary: "A drive's health" },
    async (c, { params }) => {
      const health = await getDriveHealth(serviceCtx(c), params.id);
      return c.html(
        renderDocument(DrivePage({ layout: await layoutFor(c), canOperate: can(c, "operate"), ...health })),
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/drives/:id/cleaning-schedule",
      params: idParams,
      permission: "operate",
      summary: "Set when the hub cleans a drive unasked",
      audit: "drive.cleaning_schedule",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(cleaningScheduleInput, {
        cron: f.cron?.trim() || null,
        everyHours: f.everyHours ? Number(f.everyHours) : null,
        everyTerabytes: f.everyTerabytes ? Number(f.everyTerabytes) : null,
      });
      const set = await setCleaningSchedule(serviceCtx(c), params.id, input);
      return ok(
        c,
        set.cleaningSchedule
          ? `Cleaning schedule of ${set.drive} saved`
          : `${set.drive} is cleaned only when it asks`,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/library/:id/operate",
      params: idParams,
      permission: "operate",
      summary: "Rescan, import or move in a changer",
      audit: "changer.operate",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(operateChangerInput, {
        op: f.op,
        slot: num(f.slot),
        from: num(f.from),
        to: num(f.to),
        driveId: num(f.driveId),
      });
      const order = await operateChanger(serviceCtx(c), params.id, input);
      return ok(c, `${input.op} queued on ${order.changer} through ${order.drive}…`, 202);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/library/:id/export",
      params: idParams,
      permission: "operate",
      summary: "Export a pool's or a media set's tapes to the mail slots",
      audit: "changer.export",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(exportTapesInput, {
        poolId: num(f.poolId),
        mediaSetId: num(f.mediaSetId),
        location: f.location,
      });
      const order = await exportTapes(serviceCtx(c), params.id, input);
      return ok(c, `Exporting ${order.tapes.join(", ")} to the mail slots of ${order.changer}…`, 202);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/library/:id/label-blank",
      params: idParams,
      permission: "operate",
      summary: "Label every blank cartridge into a pool",
      audit: "changer.label_blank",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const done = await labelBlankCartridges(
        serviceCtx(c),
        params.id,
        parseForm(labelBlankCartridgesInput, { poolId: num(f.poolId) }),
      );
      const refused = done.refused.map((r) => `${r.barcode}: ${r.reason}`).join("; ");
      return ok(
        c,
        `Labelling ${done.labelled.length} cartridge(s) into ${done.pool} in ${done.drive}${refused ? `; refused ${refused}` : ""}`,
        202,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/library/:id/rebuild",
      params: idParams,
      permission: "operate",
      summary: "Rebuild the catalog from every cartridge",
      audit: "changer.rebuild",
    },
    async (c, { params }) => {
      const started = await scanLibrary(serviceCtx(c), params.id, principalOf(c).username);
      return ok(
        c,
        `Scanning ${started.queued.length} cartridge(s) of ${started.changer} in ${started.drive?.name}…`,
        202,
      );
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/drives/:id/clean",
      params: idParams,
      permission: "operate",
      summary: "Clean a drive",
      audit: "drive.clean",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const order = await cleanDrive(
        serviceCtx(c),
        params.id,
        parseForm(cleanDriveInput, { barcode: f.barcode }),
      );
      return ok(c, `Cleaning ${order.drive} with ${order.cartridge}…`, 202);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/tapes/:id/erase",
      params: idParams,
      permission: "operate",
      summary: "Erase a tape",
      audit: "tape.erase",
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const input = parseForm(eraseTapeInput, { confirm: f.confirm ?? "", long: f.long === "on" });
      const order = await eraseTape(serviceCtx(c), params.id, input);
      return ok(c, `Erasing ${order.tape} (${order.long ? "long" : "short"}) in ${order.drive}…`, 202);
    },
  );
}

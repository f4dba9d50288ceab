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
import { setChangerCleaningSchedule } from "../../services/library/set-changer-cleaning-schedule.ts";
import { libraryScanProgress } from "../../services/scans/library-scan-progress.ts";
import { scanLibrary } from "../../services/scans/scan-library.ts";
import { eraseTape, eraseTapeInput } from "../../services/tapes/erase-tape.ts";
import { getTapeHealth } from "../../services/tapes/get-tape-health.ts";
import { auditTarget, principalOf, serviceCtx } from "./context.ts";
import { type ApiRouter, idParams } from "./router.ts";

const accepted = { status: 202, description: "{ orderId, changer, drive, ... }" };

/** Changers (inventory, moves, import/export, batch labelling) and drive and tape care. */
export function registerLibraryRoutes(api: ApiRouter): void {
  const tag = "library";
  api.route(
    {
      method: "GET",
      path: "/changers",
      permission: "read",
      tag,
      summary: "Changers with their slots, and recent changer orders",
    },
    async (c) => c.json(await getLibrary(serviceCtx(c))),
  );
  api.route(
    {
      method: "POST",
      path: "/changers/:id/operations",
      permission: "operate",
      tag,
      summary: "Inventory, load, unload, transfer or import from the mail slots, through a free drive",
      params: idParams,
      body: operateChangerInput,
      audit: "changer.operate",
      success: accepted,
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { ...body });
      return c.json(await operateChanger(serviceCtx(c), params.id, body), 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/changers/:id/export",
      permission: "operate",
      tag,
      summary: "Move tapes (a pool's, a media set's) to the mail slots and record them offsite at a location",
      params: idParams,
      body: exportTapesInput,
      audit: "changer.export",
      success: accepted,
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { ...body });
      return c.json(await exportTapes(serviceCtx(c), params.id, body), 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/changers/:id/label-blank",
      permission: "operate",
      tag,
      summary:
        "Label every blank barcoded cartridge of the changer into a pool (CLN and data cartridges left out)",
      params: idParams,
      body: labelBlankCartridgesInput,
      audit: "changer.label_blank",
      success: { status: 202, description: "{ labelled, skipped, refused }" },
    },
    async (c, { params, body }) => {
      const result = await labelBlankCartridges(serviceCtx(c), params.id, body);
      auditTarget(c, params.id, {
        poolId: body.poolId,
        labelled: result.labelled.map((l) => l.barcode),
        refused: result.refused,
      });
      return c.json(result, 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/changers/:id/rebuild",
      permission: "operate",
      tag,
      summary: "Rebuild the catalog from every cartridge of the changer (resumes after an interruption)",
      params: idParams,
      audit: "changer.rebuild",
      success: { status: 202, description: "{ cartridges, queued, incompleteSets }" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      return c.json(await scanLibrary(serviceCtx(c), params.id, principalOf(c).username), 202);
    },
  );
  api.route(
    {
      method: "GET",
      path: "/changers/:id/rebuild",
      permission: "read",
      tag,
      summary: "Where a rebuild from the whole library stands: each cartridge scanned, scanning or to scan",
      params: idParams,
    },
    async (c, { params }) => c.json(await libraryScanProgress(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path: "/drives/:id/clean",
      permission: "operate",
      tag: "drives",
      summary: "Clean the drive with a cleaning cartridge (CLN) of its changer",
      params: idParams,
      body: cleanDriveInput,
      audit: "drive.clean",
      success: accepted,
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { barcode: body.barcode ?? null });
      return c.json(await cleanDrive(serviceCtx(c), params.id, body), 202);
    },
  );
  api.route(
    {
      method: "PUT",
      path: "/changers/:id/cleaning-schedule",
      permission: "operate",
      tag,
      summary:
        "The same cleaning schedule for every drive of the changer (see PUT /drives/:id/cleaning-schedule)",
      params: idParams,
      body: cleaningScheduleInput,
      audit: "changer.cleaning_schedule",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { ...body });
      return c.json(await setChangerCleaningSchedule(serviceCtx(c), params.id, body));
    },
  );
  api.route(
    {
      method: "PUT",
      path: "/drives/:id/cleaning-schedule",
      permission: "operate",
      tag: "drives",
      summary:
        "When the hub cleans the drive unasked: a cron schedule, every N hours of use, every N TB written (all null: never)",
      params: idParams,
      body: cleaningScheduleInput,
      audit: "drive.cleaning_schedule",
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { ...body });
      return c.json(await setCleaningSchedule(serviceCtx(c), params.id, body));
    },
  );
  api.route(
    {
      method: "GET",
      path: "/drives/:id/health",
      permission: "read",
      tag: "drives",
      summary: "The drive's TapeAlert flags and error counters, latest and over time",
      params: idParams,
    },
    async (c, { params }) => c.json(await getDriveHealth(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "GET",
      path: "/tapes/:id/health",
      permission: "read",
      tag: "tapes",
      summary: "Health readings taken while the tape was loaded, and whether to retire it",
      params: idParams,
    },
    async (c, { params }) => c.json(await getTapeHealth(serviceCtx(c), params.id)),
  );
  api.route(
    {
      method: "POST",
      path: "/tapes/:id/erase",
      permission: "operate",
      tag: "tapes",
      summary: "Erase a tape (short: reads blank; long: whole tape); refused while it holds retained sets",
      params: idParams,
      body: eraseTapeInput,
      audit: "tape.erase",
      success: accepted,
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { long: body.long });
      return c.json(await eraseTape(serviceCtx(c), params.id, body), 202);
    },
  );
}

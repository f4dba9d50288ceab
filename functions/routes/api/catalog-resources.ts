import * as jobs from "../../services/jobs.ts";
import * as pools from "../../services/pools.ts";
import * as sources from "../../services/sources.ts";
import * as tapes from "../../services/tapes.ts";
import { requestEject } from "../../services/tapes-eject.ts";
import { labelTapeInput, requestLabel } from "../../services/tapes-label.ts";
import { auditTarget, serviceCtx } from "./context.ts";
import { crudRoutes } from "./crud.ts";
import { type ApiRouter, idParams } from "./router.ts";

/** Pools, tapes, sources and jobs at CRUD level. Operators configure them; everyone signed in reads them. */
export function registerCatalogResources(api: ApiRouter): void {
  crudRoutes(api, {
    path: "/pools",
    noun: "pool",
    tag: "pools",
    read: "read",
    write: "operate",
    list: pools.listPools,
    get: pools.getPool,
    createInput: pools.createPoolInput,
    create: pools.createPool,
    updateInput: pools.updatePoolInput,
    update: pools.updatePool,
    remove: pools.deletePool,
  });
  crudRoutes(api, {
    path: "/tapes",
    noun: "tape",
    tag: "tapes",
    read: "read",
    write: "operate",
    filter: tapes.tapeFilter,
    list: tapes.listTapes,
    get: tapes.getTape,
    createInput: tapes.createTapeInput,
    create: tapes.createTape,
    updateInput: tapes.updateTapeInput,
    update: tapes.updateTape,
    remove: tapes.deleteTape,
  });
  api.route(
    {
      method: "POST",
      path: "/tapes/:id/label",
      permission: "operate",
      tag: "tapes",
      summary:
        "Write a new label on the tape (in a drive or changer of an agent); refuses a tape with data unless force",
      params: idParams,
      body: labelTapeInput,
      audit: "tape.label",
      success: { status: 202, description: "{ orderId, tape, drive }" },
    },
    async (c, { params, body }) => {
      auditTarget(c, params.id, { force: body.force });
      return c.json(await requestLabel(serviceCtx(c), params.id, body), 202);
    },
  );
  api.route(
    {
      method: "POST",
      path: "/tapes/:id/eject",
      permission: "operate",
      tag: "tapes",
      summary:
        "Rewind and unload the tape from the drive holding it (back to a changer slot); refused while the drive is busy",
      params: idParams,
      audit: "tape.eject",
      success: { status: 202, description: "{ orderId, tape, drive }" },
    },
    async (c, { params }) => {
      auditTarget(c, params.id);
      return c.json(await requestEject(serviceCtx(c), params.id), 202);
    },
  );
  crudRoutes(api, {
    path: "/sources",
    noun: "source",
    tag: "sources",
    read: "read",
    write: "operate",
    list: sources.listSources,
    get: sources.getSource,
    createInput: sources.createSourceInput,
    create: sources.createSource,
    updateInput: sources.updateSourceInput,
    update: sources.updateSource,
    remove: sources.deleteSource,
  });
  crudRoutes(api, {
    path: "/jobs",
    noun: "job",
    tag: "jobs",
    read: "read",
    write: "operate",
    list: jobs.listJobs,
    get: jobs.getJob,
    createInput: jobs.createJobInput,
    create: jobs.createJob,
    updateInput: jobs.updateJobInput,
    update: jobs.updateJob,
    remove: jobs.deleteJob,
  });
}

import { createJob } from "../../services/jobs/create-job.ts";
import { deleteJob } from "../../services/jobs/delete-job.ts";
import { getJob } from "../../services/jobs/get-job.ts";
import { createJobInput, updateJobInput } from "../../services/jobs/job-input.ts";
import { listJobs } from "../../services/jobs/list-jobs.ts";
import { updateJob } from "../../services/jobs/update-job.ts";
import { createPool, createPoolInput } from "../../services/pools/create-pool.ts";
import { deletePool } from "../../services/pools/delete-pool.ts";
import { getPool } from "../../services/pools/get-pool.ts";
import { listPools } from "../../services/pools/list-pools.ts";
import { updatePool, updatePoolInput } from "../../services/pools/update-pool.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { createSource, createSourceInput } from "../../services/sources/create-source.ts";
import { deleteSource } from "../../services/sources/delete-source.ts";
import { getSource } from "../../services/sources/get-source.ts";
import { listSources } from "../../services/sources/list-sources.ts";
import { updateSource, updateSourceInput } from "../../services/sources/update-source.ts";
import { createTape, createTapeInput } from "../../services/tapes/create-tape.ts";
import { deleteTape } from "../../services/tapes/delete-tape.ts";
import { requestEject } from "../../services/tapes/eject-tape.ts";
import { getTape } from "../../services/tapes/get-tape.ts";
import { labelTapeInput, requestLabel } from "../../services/tapes/label-tape.ts";
import { listTapes, tapeFilter } from "../../services/tapes/list-tapes.ts";
import { updateTape, updateTapeInput } from "../../services/tapes/update-tape.ts";
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
    site: [{ of: "site", body: "siteId" }],
    filter: siteFilter,
    list: listPools,
    get: getPool,
    createInput: createPoolInput,
    create: createPool,
    updateInput: updatePoolInput,
    update: updatePool,
    remove: deletePool,
  });
  crudRoutes(api, {
    path: "/tapes",
    noun: "tape",
    tag: "tapes",
    read: "read",
    write: "operate",
    filter: tapeFilter,
    site: [{ of: "site", body: "siteId" }],
    list: listTapes,
    get: getTape,
    createInput: createTapeInput,
    create: createTape,
    updateInput: updateTapeInput,
    update: updateTape,
    remove: deleteTape,
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
    site: [{ of: "agent", body: "agentId" }],
    filter: siteFilter,
    list: listSources,
    get: getSource,
    createInput: createSourceInput,
    create: createSource,
    updateInput: updateSourceInput,
    update: updateSource,
    remove: deleteSource,
  });
  crudRoutes(api, {
    path: "/jobs",
    noun: "job",
    tag: "jobs",
    read: "read",
    write: "operate",
    site: [
      { of: "source", body: "sourceId" },
      { of: "encryption-key", body: "encryptionKeyId" },
    ],
    filter: siteFilter,
    list: listJobs,
    get: getJob,
    createInput: createJobInput,
    create: createJob,
    updateInput: updateJobInput,
    update: updateJob,
    remove: deleteJob,
  });
}

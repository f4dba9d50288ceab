import { JobGuests } from "../../../contracts/proxmox.ts";
import { renderDocument } from "../../../views/html.ts";
import { JobPage, JobsPage } from "../../../views/pages/jobs.tsx";
import { NewJobPage } from "../../../views/pages/new-job.tsx";
import { GuestSelectionPreview } from "../../../views/partials/guest-selection-fields.tsx";
import { SchedulePreview } from "../../../views/partials/schedule-preview.tsx";
import { listEncryptionKeys } from "../../services/encryption-keys/list-encryption-keys.ts";
import { previewGuestSelection } from "../../services/guests/preview-guest-selection.ts";
import { createJob } from "../../services/jobs/create-job.ts";
import { getJobView } from "../../services/jobs/get-job-view.ts";
import { createJobInput, updateJobInput } from "../../services/jobs/job-input.ts";
import { listJobs } from "../../services/jobs/list-jobs.ts";
import { updateJob } from "../../services/jobs/update-job.ts";
import { listPools } from "../../services/pools/list-pools.ts";
import { queueRun } from "../../services/runs/queue-run.ts";
import { describeSchedule } from "../../services/schedules/describe-schedule.ts";
import { getScheduleZone } from "../../services/settings/get-schedule-zone.ts";
import { assertAtSite } from "../../services/sites/assert-at-site.ts";
import { listSites } from "../../services/sites/list-sites.ts";
import { siteFilter } from "../../services/sites/site-scope.ts";
import { listSources } from "../../services/sources/list-sources.ts";
import { principalOf, serviceCtx } from "../api/context.ts";
import { idParams } from "../api/router.ts";
import { actingAt, can, formFields, num, ok, parseForm, siteChoice, siteField } from "./form.ts";
import { guestChoiceForm } from "./guest-pages.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

const ALL = { limit: 500 };

const issueWords = (i: { path: PropertyKey[]; message: string }) =>
  `${i.path.filter((p) => p !== "selection").join(" ")} ${i.message}`.trim();

/** The job form's fields as the services take them; backup settings travel only in a backup job's form. */
function jobForm(f: Record<string, string>) {
  const keyId = num(f.encryptionKeyId);
  const backup = f.backupType !== undefined;
  return {
    name: f.name,
    sourceId: num(f.sourceId),
    // No mode (a select, never empty): the form had no guest fields, and an edit keeps the job's.
    guests: f.guestMode === undefined ? undefined : guestChoiceForm(f, "guest"),
    poolId: num(f.poolId),
    backupType: f.backupType,
    compression: f.compression,
    encryption: backup ? (keyId ? "aes-256-gcm" : "none") : undefined,
    encryptionKeyId: backup ? (keyId ?? null) : undefined,
    schedule: f.schedule ?? null,
    fullSchedule: backup ? f.fullSchedule || null : undefined,
    allowEmpty: backup ? f.allowEmpty === "on" : undefined,
    afterBackups: f.afterBackupsOffered ? f.afterBackups === "on" : undefined,
    retries: num(f.retries),
    retryDelayMinutes: num(f.retryDelayMinutes),
  };
}

/** The jobs list, the new-job form, a job's page and "run now"; sources have their own page. */
export function registerJobPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/jobs", permission: "read", summary: "Jobs", query: siteFilter },
    async (c, { query }) => {
      const ctx = serviceCtx(c);
      const [jobs, sources, pools, scheduleZone, sites] = await Promise.all([
        listJobs(ctx, ALL, query),
        listSources(ctx, ALL),
        listPools(ctx, ALL),
        getScheduleZone(ctx),
        listSites(ctx),
      ]);
      return c.html(
        renderDocument(
          JobsPage({
            layout: await layoutFor(c),
            canOperate: can(c, "operate"),
            jobs: jobs.items,
            sources: sources.items,
            pools: pools.items,
            scheduleZone,
            sites: sites.items,
            site: query.site ?? null,
          }),
        ),
      );
    },
  );
  // Before /jobs/:id, so "new" is this page and not a job id.
  pages.route(
    { method: "GET", path: "/jobs/new", permission: "operate", summary: "The new-job form" },
    async (c) => {
      // Sources, pools and keys the user may use here, not those of sites they only read.
      const ctx = actingAt(c);
      const [sources, pools, keys, choice] = await Promise.all([
        listSources(ctx, ALL),
        listPools(ctx, ALL),
        listEncryptionKeys(ctx),
        siteChoice(c),
      ]);
      return c.html(
        renderDocument(
          NewJobPage({
            layout: await layoutFor(c),
            sources: sources.items,
            pools: pools.items,
            keys: keys.items,
            siteChoice: choice,
          }),
        ),
      );
    },
  );
  pages.route(
    { method: "GET", path: "/jobs/:id", params: idParams, permission: "read", summary: "A job and its runs" },
    async (c, { params }) => {
      const view = await getJobView(serviceCtx(c), actingAt(c), params.id);
      return c.html(
        renderDocument(JobPage({ layout: await layoutFor(c), canOperate: can(c, "operate"), ...view })),
      );
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/partials/schedule-preview",
      permission: "read",
      summary: "A schedule in words with its next runs (as typed)",
    },
    // Any text is a question here: a schedule that is not one is answered in words, not with a 400.
    async (c) => {
      const ctx = serviceCtx(c);
      const preview = describeSchedule(c.req.query("schedule"), ctx.now(), await getScheduleZone(ctx));
      return c.html(SchedulePreview({ preview }).value);
    },
  );
  pages.route(
    {
      method: "GET",
      path: "/partials/guest-selection",
      permission: "read",
      summary: "The guests a job's selection names now, by its Proxmox source's last discovery",
    },
    // Like the schedule preview: what is typed is a question, answered in words, not with a 400.
    async (c) => {
      const query = c.req.query();
      const sourceId = Number(query.sourceId);
      if (!Number.isInteger(sourceId) || sourceId <= 0) return c.html("");
      const chosen = JobGuests.nullable().safeParse(guestChoiceForm(query, "guest"));
      const preview = chosen.success
        ? await previewGuestSelection(serviceCtx(c), sourceId, chosen.data)
        : { state: "invalid" as const, message: `Guests: ${chosen.error.issues.map(issueWords).join("; ")}` };
      return c.html(GuestSelectionPreview({ preview }).value);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/jobs",
      permission: "operate",
      summary: "Create a job",
      audit: "job.create",
      // A job is where its source is: the site chosen and the source are both checked, and must agree.
      site: [
        { of: "site", body: "siteId" },
        { of: "source", body: "sourceId" },
        { of: "encryption-key", body: "encryptionKeyId" },
      ],
    },
    async (c) => {
      const f = await formFields(c);
      const input = parseForm(createJobInput, {
        ...jobForm(f),
        kind: f.kind,
        encryption: num(f.encryptionKeyId) ? "aes-256-gcm" : "none",
        encryptionKeyId: num(f.encryptionKeyId),
        allowEmpty: f.allowEmpty === "on",
      });
      await assertAtSite(serviceCtx(c), siteField(f.siteId), {
        of: "source",
        id: input.sourceId,
        noun: "job",
      });
      const job = await createJob(serviceCtx(c), input);
      c.header("HX-Redirect", `/jobs/${job.id}`);
      return ok(c, `Job ${job.name} created`, 201);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/jobs/:id",
      params: idParams,
      permission: "operate",
      summary: "Edit a job",
      audit: "job.update",
      // As the API declares it: a key of a site the user may not operate at is a 403, not the service's 409.
      site: [
        { of: "source", body: "sourceId" },
        { of: "encryption-key", body: "encryptionKeyId" },
      ],
    },
    async (c, { params }) => {
      const f = await formFields(c);
      const job = await updateJob(
        serviceCtx(c),
        params.id,
        parseForm(updateJobInput, { ...jobForm(f), enabled: f.enabled === "on" }),
      );
      c.header("HX-Refresh", "true");
      return ok(c, `Job ${job.name} saved`);
    },
  );
  pages.route(
    {
      method: "POST",
      path: "/jobs/:id/run",
      params: idParams,
      permission: "operate",
      summary: "Run a job now",
      audit: "job.run",
    },
    async (c, { params }) => {
      const run = await queueRun(serviceCtx(c), params.id, principalOf(c).username);
      c.header("HX-Redirect", `/runs/${run.id}`);
      return ok(c, `Run ${run.id} queued`, 202);
    },
  );
}

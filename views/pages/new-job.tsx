import type { SiteChoice } from "../../functions/services/sites/sites-to-act-at.ts";
import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field, HxForm, Select } from "../partials/forms.tsx";
import { HelpLink } from "../partials/help-link.tsx";
import { type JobChoices, JobSettings } from "../partials/job-settings.tsx";
import { SiteSelect } from "../partials/site-select.tsx";

export interface NewJobModel extends JobChoices {
  layout: Omit<LayoutModel, "title" | "current">;
  /** The sites the job may be at: where its source's agent is. */
  siteChoice: SiteChoice;
}

/** The new-job form, its schedule previewed in words; what is missing first is said with a link. */
export function NewJobPage(model: NewJobModel): SafeHtml {
  return (
    <Layout {...model.layout} title="New job" current="/jobs">
      <h1>New job</h1>
      <p>
        <a href="/jobs">← All jobs</a> · A catalog job backs up the hub's own catalog to tape:{" "}
        <HelpLink topic="catalogBackup">catalog backup and restore on a new machine</HelpLink>
      </p>
      {model.pools.length === 0 ? (
        <div class="alert warn">
          A job writes to a pool and there is none yet: create one on <a href="/pools">Pools</a>.
        </div>
      ) : null}
      {model.sources.length === 0 ? (
        <div class="alert warn">
          A backup job reads a source and there is none yet: add one on <a href="/sources">Sources</a>.
        </div>
      ) : null}
      <section class="card">
        <HxForm action="/jobs" id="new-job" submit="Create job">
          <Field label="Name" name="name" required />
          <Select
            label="Kind"
            name="kind"
            options={[
              { value: "backup", label: "backup: write the source to the pool" },
              { value: "verify", label: "verify: read back the pool's least recently verified set" },
              {
                value: "catalog",
                label: "catalog: back up the hub's catalog to the pool (for restore-catalog)",
              },
            ]}
          />
          <SiteSelect
            label="Site (its source's; a verify or catalog job is at no site)"
            choice={model.siteChoice}
          />
          <JobSettings {...model} />
        </HxForm>
      </section>
    </Layout>
  );
}

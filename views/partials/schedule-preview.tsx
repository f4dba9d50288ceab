import type { SchedulePreview as Preview } from "../../functions/services/schedules/describe-schedule.ts";
import { formatWhen } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";

/** What a typed schedule means: in words with its next runs, or what is wrong with it. */
export function SchedulePreview(props: { preview: Preview; id?: string }): SafeHtml {
  const { preview } = props;
  const body = !preview.ok ? (
    <div class="alert error" role="alert">
      {preview.message}
    </div>
  ) : preview.next.length === 0 ? (
    <span class="muted">manual: runs only on "Run now"</span>
  ) : (
    <span class="muted">
      {preview.words}, next: {preview.next.map((d) => formatWhen(d, preview.zone)).join(", ")}
    </span>
  );
  return (
    <div class="schedule-preview" aria-live="polite">
      {body}
    </div>
  );
}

/** The schedule field of a job form, previewed in words as it is typed (htmx, no script of ours). */
export function ScheduleField(props: { id: string; value?: string | undefined }): SafeHtml {
  const target = `schedule-preview-${props.id}`;
  return (
    <div class="stack">
      <label>
        Schedule (cron: minute hour day month weekday; empty = manual)
        <input
          name="schedule"
          type="text"
          value={props.value}
          placeholder="0 22 * * *"
          hx-get="/partials/schedule-preview"
          hx-trigger="load, input changed delay:300ms"
          hx-target={`#${target}`}
          hx-swap="innerHTML"
          aria-describedby={target}
        />
      </label>
      <div id={target}></div>
    </div>
  );
}

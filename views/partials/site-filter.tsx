import { h, type SafeHtml } from "../html.ts";

/**
 * The `site` select of a list page: a GET form that reloads the page with ?site=<id> (empty: every
 * site the viewer may see). Without sites it shows nothing.
 */
export function SiteFilter(props: {
  action: string;
  sites: { id: number; name: string }[];
  current: number | null;
}): SafeHtml | null {
  if (props.sites.length === 0) return null;
  return (
    <form class="site-filter" method="get" action={props.action}>
      <label>
        Site{" "}
        <select name="site" onchange="this.form.requestSubmit()">
          <option value="" selected={props.current === null}>
            Every site
          </option>
          {props.sites.map((s) => (
            <option value={String(s.id)} selected={props.current === s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>{" "}
      <button type="submit">Show</button>
    </form>
  );
}

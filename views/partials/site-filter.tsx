import { h, type SafeHtml } from "../html.ts";

/**
 * The `site` select of a list page: a GET form that reloads the page with ?site=<id> (empty: every
 * site the viewer may see). A plain form, no inline script (the pages' CSP allows none).
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
        <select name="site">
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

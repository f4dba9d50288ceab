import { h, type SafeHtml } from "../html.ts";

/**
 * The `site` select of a list page. Changing it fetches the page for ?site=<id> (empty: every site
 * the viewer may see) and swaps the page's content in place, the URL pushed so it can be shared
 * and Back returns; the select keeps focus (same id). Without script it is a GET form with a Show
 * button. The page's other filters ride along as hidden fields; a page of results (cursor) does not.
 */
export function SiteFilter(props: {
  action: string;
  sites: { id: number; name: string }[];
  current: number | null;
  /** The page's other filters, kept when the site changes. */
  keep?: Record<string, string | number | null | undefined>;
}): SafeHtml | null {
  if (props.sites.length === 0) return null;
  const kept = Object.entries(props.keep ?? {}).filter(
    (entry): entry is [string, string | number] => entry[1] != null && entry[1] !== "",
  );
  return (
    <form
      class="site-filter"
      method="get"
      action={props.action}
      hx-get={props.action}
      hx-trigger="change"
      hx-target="main"
      hx-select="main"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      {kept.map(([name, value]) => (
        <input type="hidden" name={name} value={String(value)} />
      ))}
      <label>
        Site{" "}
        <select name="site" id="site-filter">
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
      <noscript>
        <button type="submit">Show</button>
      </noscript>
    </form>
  );
}

import { formatTime } from "../format.ts";
import { h, raw, type SafeHtml } from "../html.ts";

/**
 * A moment on a page: `<time datetime>` with the UTC text, which /assets/local-time.js rewrites
 * in the hub's zone (when set) or the browser's own, naming the zone. Without script, UTC stays.
 */
export function Time(props: { at: Date | string | null | undefined }): SafeHtml {
  if (!props.at) return raw("–");
  const at = new Date(props.at);
  if (Number.isNaN(at.getTime())) return raw("–");
  return <time datetime={at.toISOString()}>{formatTime(at)}</time>;
}

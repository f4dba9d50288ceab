import type { AttentionItem } from "../../functions/services/attention/needs-operator.ts";
import { h, type SafeHtml } from "../html.ts";

const LABELS: Record<AttentionItem["kind"], string> = {
  "waiting-for-tape": "Insert a tape",
  "drive-alert": "Drive alert",
  "drive-health": "Drive health",
  "drive-cleaned": "Drive cleaned",
  "cleaning-spent": "Cleaning cartridge",
  "failed-run": "Failed",
  "agent-offline": "Agent offline",
  "agent-link": "Agent link",
  "set-incomplete": "Catalog short",
  preflight: "Tape needed soon",
  offsite: "Offsite rotation",
};

/**
 * The strip under the navigation that says what needs an operator. The layout renders it
 * empty and htmx fills it on load and every 15 s, so every page shows it without a query.
 */
export function Attention(props: { items: AttentionItem[] | null }): SafeHtml {
  const items = props.items ?? [];
  return (
    <div
      id="attention"
      hx-get="/partials/attention"
      hx-trigger={props.items === null ? "load, every 15s" : "every 15s"}
      hx-swap="outerHTML"
    >
      {items.length === 0 ? null : (
        <section class="attention" role="status" aria-label="Needs an operator">
          <ul>
            {items.map((item) => (
              <li class={`attention-${item.kind}`}>
                <strong>{LABELS[item.kind]}</strong> <a href={item.href}>{item.text}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

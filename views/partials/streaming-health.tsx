import type { StreamingHealth } from "../../contracts/agent-protocol.ts";
import type { StreamingVerdict } from "../../contracts/lto-speeds.ts";
import { formatRate } from "../format.ts";
import { Fragment, h, type SafeHtml } from "../html.ts";

/**
 * How well the drive streamed during a backup: its stops for data, the feed rate against the
 * drive's floor, and, when it shoe-shined, what would help. Nothing before the first write.
 */
export function StreamingHealthPanel(props: {
  health: StreamingHealth | null | undefined;
  verdict: StreamingVerdict | null;
}): SafeHtml | null {
  const { health, verdict } = props;
  if (!health) return null;
  return (
    <div id="run-streaming" data-shoe-shining={verdict?.shoeShining ? "yes" : "no"}>
      <h3>Streaming</h3>
      <p class="muted">
        drive stopped for data {health.waits} times · fed at {formatRate(health.feedBytesPerSec)} · streams
        from{" "}
        {health.minBytesPerSec === null
          ? "(no floor: the drive cannot shoe-shine)"
          : formatRate(health.minBytesPerSec)}
      </p>
      {verdict && verdict.advice.length > 0 ? (
        <div class={`alert ${verdict.shoeShining ? "warn" : "info"}`} role="status">
          <p>
            {verdict.shoeShining ? "Shoe-shining: " : ""}
            {verdict.words}.
          </p>
          <p>What would help:</p>
          <ul>
            {verdict.advice.map((a) => (
              <li>{a}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

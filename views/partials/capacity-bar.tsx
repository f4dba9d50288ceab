import { formatBytes, percent } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";

/**
 * How full something is, as a <meter> with the figures beside it (no inline style); `nominal`:
 * the capacity is the LTO generation's published figure, not the cartridge's own.
 */
export function CapacityBar(props: {
  label: string;
  used: number;
  capacity: number | null;
  nominal?: boolean;
}): SafeHtml {
  const pct = percent(props.used, props.capacity);
  return (
    <div class="capacity">
      <meter
        min="0"
        max="100"
        low="70"
        high="90"
        optimum="0"
        value={String(pct ?? 0)}
        aria-label={`${props.label}: ${pct === null ? "capacity unknown" : `${pct}% used`}`}
      ></meter>
      <span class="muted">
        {formatBytes(props.used)}
        {props.capacity
          ? ` of ${formatBytes(props.capacity)}${props.nominal ? " nominal" : ""} (${pct}%)`
          : " used, capacity unknown"}
      </span>
    </div>
  );
}

/** A tape's capacity bar, as the tape lists, the tape page, the pools and the retention calendar show it. */
export function TapeCapacityBar(tape: {
  barcode: string;
  usedBytes: number;
  capacityBytes: number | null;
  capacityNominal?: boolean;
}): SafeHtml {
  return CapacityBar({
    label: `Tape ${tape.barcode}`,
    used: tape.usedBytes,
    capacity: tape.capacityBytes,
    nominal: tape.capacityNominal ?? false,
  });
}

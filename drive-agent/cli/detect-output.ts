import type { DetectedChanger, DetectedDrive } from "../runtime/detect.ts";

/** `drive-agent detect` for a person: one line per drive and changer, and how to enroll them. */
export function describeDetected(found: { drives: DetectedDrive[]; changers: DetectedChanger[] }): string {
  const who = (d: DetectedChanger) =>
    [d.vendor, d.model, d.revision].filter(Boolean).join(" ") + (d.serial ? `, serial ${d.serial}` : "");
  const lines = [
    ...found.drives.map((d) => `drive   ${d.device} (${d.sgDevice ?? "no sg node"}) ${who(d)} [${d.hctl}]`),
    ...found.changers.map((c) => `changer ${c.device} ${who(c)} [${c.hctl}]`),
  ];
  if (lines.length === 0)
    return "No tape drives or changers found (is the st module loaded? sg for changers).";
  return lines.join("\n");
}

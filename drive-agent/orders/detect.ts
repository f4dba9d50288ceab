import type { OrderResult } from "../../contracts/agent-protocol.ts";
import type { AgentConfig, ChangerSetup, DriveSetup } from "../config.ts";
import { readLibrary } from "../drives/vtl/library.ts";
import { detectHardware } from "../runtime/detect.ts";
import { devicePathOf } from "../runtime/hardware.ts";
import { writeAgentConfig } from "../runtime/state-dir.ts";

export type Hardware = { drives: DriveSetup[]; changers: ChangerSetup[] };

/**
 * What the host has now, kept as close to the enrolled setup as it allows: a drive still there
 * keeps its setup (its sg node, its changer); a new st drive joins the host's changer; a virtual
 * library's drives are read from the library itself. `sysRoot` lets tests give a fake /sys.
 */
export async function rescanHardware(current: Hardware, sysRoot?: string): Promise<Hardware> {
  const libraries = [
    ...new Set(current.drives.flatMap((d) => (d.kind === "vtl" ? [d.library] : []))),
    ...current.changers.flatMap((c) => (c.kind === "vtl" ? [c.library] : [])),
  ];
  if (libraries.length > 0) {
    const drives: DriveSetup[] = [];
    for (const library of new Set(libraries)) {
      for (const d of (await readLibrary(library)).drives) {
        const kept = current.drives.find(
          (s) => s.kind === "vtl" && s.library === library && s.index === d.index,
        );
        drives.push(kept ?? { kind: "vtl", library, index: d.index });
      }
    }
    return { drives, changers: current.changers };
  }
  const found = await detectHardware(sysRoot);
  const changers: ChangerSetup[] = [...current.changers];
  for (const c of found.changers)
    if (!changers.some((k) => k.kind === "mtx" && k.device === c.device))
      changers.push({ kind: "mtx", device: c.device });
  const changerDevice = changers.find((c) => c.kind === "mtx")?.device ?? null;
  const drives = found.drives.map((d, i): DriveSetup => {
    const kept = current.drives.find((s) => s.kind === "st" && s.device === d.device);
    if (kept?.kind === "st") return { ...kept, sgDevice: kept.sgDevice ?? d.sgDevice };
    return {
      kind: "st",
      device: d.device,
      sgDevice: d.sgDevice,
      changerDevice,
      changerIndex: changerDevice ? i : null,
    };
  });
  return { drives, changers };
}

/**
 * The detect order: rescans, writes the agent's config so a restart keeps what was found, and
 * changes the running agent's drives in place (its next heartbeat reports them). A rescan that
 * finds no drive at all leaves the setup as it was: a host whose sysfs is unreadable has not
 * lost its drives.
 */
export async function executeDetect(
  config: AgentConfig,
  stateDir: string,
  sysRoot?: string,
): Promise<OrderResult> {
  let found: Hardware;
  try {
    found = await rescanHardware(config, sysRoot);
  } catch (error) {
    return {
      state: "failed",
      error: `drive detection failed: ${(error as Error).message}`,
      retryable: false,
    };
  }
  const before = config.drives.map(devicePathOf);
  const after = found.drives.map(devicePathOf);
  if (after.length === 0)
    return {
      state: "failed",
      error: "drive detection found no tape drive on this host; the enrolled drives are kept",
      retryable: false,
    };
  const hardware = {
    drives: after,
    added: after.filter((p) => !before.includes(p)),
    missing: before.filter((p) => !after.includes(p)),
  };
  await writeAgentConfig(stateDir, { ...config, drives: found.drives, changers: found.changers });
  config.drives.splice(0, config.drives.length, ...found.drives);
  config.changers.splice(0, config.changers.length, ...found.changers);
  return { state: "completed", hardware, summary: { files: after.length } };
}

/** TapeAlert flag names in parameter-code order, exactly as sg_logs (sg3-utils) prints them. */
const tapeAlertNames = [
  "Read warning",
  "Write warning",
  "Hard error",
  "Media",
  "Read failure",
  "Write failure",
  "Media life",
  "Not data grade",
  "Write protect",
  "No removal",
  "Cleaning media",
  "Unsupported format",
  "Recoverable mechanical cartridge failure",
  "Unrecoverable mechanical cartridge failure",
  "Memory chip in cartridge failure",
  "Forced eject",
  "Read only format",
  "Tape directory corrupted on load",
  "Nearing media life",
  "Cleaning required",
  "Cleaning requested",
  "Expired cleaning media",
  "Invalid cleaning tape",
  "Retension requested",
  "Dual port interface error",
  "Cooling fan failing",
  "Power supply failure",
  "Power consumption",
  "Drive maintenance",
  "Hardware A",
  "Hardware B",
  "Interface",
  "Eject media",
  "Microcode update fail",
  "Drive humidity",
  "Drive temperature",
  "Drive voltage",
  "Predictive failure",
  "Diagnostics required",
  "Obsolete (28h)",
  "Obsolete (29h)",
  "Obsolete (2Ah)",
  "Obsolete (2Bh)",
  "Obsolete (2Ch)",
  "Obsolete (2Dh)",
  "Obsolete (2Eh)",
  "Reserved (2Fh)",
  "Reserved (30h)",
  "Reserved (31h)",
  "Lost statistics",
  "Tape directory invalid at unload",
  "Tape system area write failure",
  "Tape system area read failure",
  "No start of data",
  "Loading failure",
  "Unrecoverable unload failure",
  "Automation interface failure",
  "Firmware failure",
  "WORM medium - integrity check failed",
  "WORM medium - overwrite attempted",
];

/** SSC severity: C(ritical) flags stop a job, W(arning) ones are reported; the rest are informational. */
const critical = new Set([
  4, 5, 6, 9, 13, 14, 16, 20, 22, 23, 30, 31, 33, 38, 51, 52, 53, 54, 55, 56, 58, 59,
]);
const information = new Set([10, 11, 12, 19]);

export type TapeAlert = { code: number; name: string; severity: "critical" | "warning" | "information" };
export type TapeAlertPage = {
  device: { vendor: string; product: string; revision: string } | null;
  active: TapeAlert[];
  flagsSeen: number;
};

/** Parses `sg_logs -p 0x2e <sg>`; only flags set to 1 are returned as active. */
export function parseTapeAlerts(output: string): TapeAlertPage {
  if (!/Tape alert page/i.test(output)) throw new Error("sg_logs output has no 'Tape alert page' header");
  const inquiry = /^ {4}(.{8}) {2}(.{16}) {2}(.{1,4})\s*$/m.exec(output);
  const active: TapeAlert[] = [];
  let flagsSeen = 0;
  for (const line of output.split("\n")) {
    const reserved = /^\s+Reserved parameter code 0x([0-9a-f]+), flag: ([01])$/i.exec(line);
    const named = reserved ? null : /^\s+(.+): ([01])$/.exec(line);
    if (!reserved && !named) continue;
    flagsSeen++;
    const code = reserved?.[1]
      ? Number.parseInt(reserved[1], 16)
      : tapeAlertNames.indexOf(named?.[1] ?? "") + 1;
    if (code < 1 || (reserved ?? named)?.[2] !== "1") continue;
    active.push({
      code,
      name: tapeAlertNames[code - 1] ?? `Reserved (${code.toString(16)}h)`,
      severity: severityOf(code),
    });
  }
  const device =
    inquiry?.[1] && inquiry[2] && inquiry[3]
      ? { vendor: inquiry[1].trim(), product: inquiry[2].trim(), revision: inquiry[3].trim() }
      : null;
  return { device, active, flagsSeen };
}

/** The flag with its sg_logs name and SSC severity, as the vtl reports one it was told to set. */
export function tapeAlertOf(code: number): TapeAlert {
  return {
    code,
    name: tapeAlertNames[code - 1] ?? `Reserved (${code.toString(16)}h)`,
    severity: severityOf(code),
  };
}

function severityOf(code: number): TapeAlert["severity"] {
  if (critical.has(code)) return "critical";
  return information.has(code) || code > 59 ? "information" : "warning";
}

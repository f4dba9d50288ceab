import { readdir, readFile, realpath } from "node:fs/promises";
import { basename, join } from "node:path";

export type DetectedDrive = {
  /** The non-rewinding device, /dev/nstN. */
  device: string;
  /** Its SCSI generic node (TapeAlert, cartridge memory), or null when sg is not loaded. */
  sgDevice: string | null;
  hctl: string;
  vendor: string | null;
  model: string | null;
  revision: string | null;
  serial: string | null;
};

export type DetectedChanger = Omit<DetectedDrive, "device" | "sgDevice"> & { device: string };

/** SCSI peripheral device type (SPC) of a medium changer; tapes are found by their st class. */
const CHANGER = 8;

/**
 * The tape drives and changers of this host, from sysfs: /sys/class/scsi_tape/nstN/device is the
 * SCSI device (vendor, model, rev, vpd_pg80 with the serial, scsi_generic/sgN), and a changer is
 * the scsi_generic node whose device has type 8. `sysRoot` lets tests give a fake tree.
 */
export async function detectHardware(
  sysRoot = "/sys",
): Promise<{ drives: DetectedDrive[]; changers: DetectedChanger[] }> {
  const tapeClass = join(sysRoot, "class", "scsi_tape");
  const drives: DetectedDrive[] = [];
  for (const name of (await list(tapeClass)).filter((n) => /^nst\d+$/.test(n)).sort(byNumber)) {
    const device = join(tapeClass, name, "device");
    const sg = (await list(join(device, "scsi_generic"))).find((n) => /^sg\d+$/.test(n));
    drives.push({
      device: `/dev/${name}`,
      sgDevice: sg ? `/dev/${sg}` : null,
      ...(await identity(device)),
    });
  }
  const sgClass = join(sysRoot, "class", "scsi_generic");
  const changers: DetectedChanger[] = [];
  for (const name of (await list(sgClass)).filter((n) => /^sg\d+$/.test(n)).sort(byNumber)) {
    const device = join(sgClass, name, "device");
    if (Number((await text(join(device, "type"))) ?? -1) !== CHANGER) continue;
    changers.push({ device: `/dev/${name}`, ...(await identity(device)) });
  }
  return { drives, changers };
}

async function identity(device: string) {
  const resolved = await realpath(device).catch(() => device);
  return {
    hctl: basename(resolved),
    vendor: await text(join(device, "vendor")),
    model: await text(join(device, "model")),
    revision: await text(join(device, "rev")),
    serial: await unitSerial(device),
  };
}

/** VPD page 0x80 (unit serial number): a 4-byte header, then the serial in ASCII. */
async function unitSerial(device: string): Promise<string | null> {
  const page = await readFile(join(device, "vpd_pg80")).catch(() => null);
  if (!page || page.length < 4 || page[1] !== 0x80) return null;
  const length = page.readUInt16BE(2);
  const serial = page
    .subarray(4, 4 + length)
    .toString("ascii")
    .replace(/\0/g, "")
    .trim();
  return serial || null;
}

async function text(path: string): Promise<string | null> {
  const value = await readFile(path, "utf8").then(
    (t) => t.trim(),
    () => null,
  );
  return value ? value : null;
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

const byNumber = (a: string, b: string) => Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, ""));

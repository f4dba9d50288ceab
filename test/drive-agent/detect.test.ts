import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../drive-agent/cli/cli.ts";
import { rescanHardware } from "../../drive-agent/orders/detect.ts";
import { detectHardware } from "../../drive-agent/runtime/detect.ts";

/**
 * A fake /sys as the kernel lays it out: class entries are symlinks into the SCSI device tree,
 * whose device directory holds vendor, model, rev, type, vpd_pg80 and scsi_generic/sgN.
 */
let sys: string;

async function scsiDevice(
  hctl: string,
  fields: { vendor: string; model: string; rev: string; type: number; serial?: string; sg: string },
) {
  const dir = join(
    sys,
    "devices",
    "pci0000:00",
    "host0",
    `target${hctl.split(":").slice(0, 3).join(":")}`,
    hctl,
  );
  await mkdir(join(dir, "scsi_generic", fields.sg), { recursive: true });
  // sysfs pads vendor to 8 and model to 16 characters.
  await writeFile(join(dir, "vendor"), `${fields.vendor.padEnd(8)}\n`);
  await writeFile(join(dir, "model"), `${fields.model.padEnd(16)}\n`);
  await writeFile(join(dir, "rev"), `${fields.rev}\n`);
  await writeFile(join(dir, "type"), `${fields.type}\n`);
  if (fields.serial) {
    const serial = Buffer.from(fields.serial, "ascii");
    await writeFile(
      join(dir, "vpd_pg80"),
      Buffer.concat([Buffer.from([fields.type, 0x80, 0, serial.length]), serial]),
    );
  }
  const sgClass = join(sys, "class", "scsi_generic", fields.sg);
  await mkdir(sgClass, { recursive: true });
  await symlink(dir, join(sgClass, "device"));
  return dir;
}

async function tapeNodes(name: string, device: string) {
  for (const node of [
    name,
    `${name}l`,
    `${name}m`,
    `${name}a`,
    `n${name}`,
    `n${name}l`,
    `n${name}m`,
    `n${name}a`,
  ]) {
    const dir = join(sys, "class", "scsi_tape", node);
    await mkdir(dir, { recursive: true });
    await symlink(device, join(dir, "device"));
  }
}

beforeEach(async () => {
  sys = await mkdtemp(join(tmpdir(), "tapebackarr-sys-"));
  const drive0 = await scsiDevice("0:0:0:0", {
    vendor: "IBM",
    model: "ULT3580-HH9",
    rev: "N9A1",
    type: 1,
    serial: "10WT123456",
    sg: "sg1",
  });
  const drive1 = await scsiDevice("0:0:1:0", {
    vendor: "HP",
    model: "Ultrium 6-SCSI",
    rev: "35GD",
    type: 1,
    sg: "sg2",
  });
  await scsiDevice("0:0:2:0", {
    vendor: "QUANTUM",
    model: "Scalar i3-i6",
    rev: "230G",
    type: 8,
    serial: "QU1234ABC",
    sg: "sg3",
  });
  await scsiDevice("1:0:0:0", { vendor: "ATA", model: "Samsung SSD", rev: "1B6Q", type: 0, sg: "sg0" });
  await tapeNodes("st0", drive0);
  await tapeNodes("st1", drive1);
});
afterEach(() => rm(sys, { recursive: true, force: true }));

describe("drive-agent detect on a fake /sys tree", () => {
  it("lists each tape drive once by its non-rewinding node, with its sg node, vendor, model and serial", async () => {
    const found = await detectHardware(sys);
    expect(found.drives).toEqual([
      {
        device: "/dev/nst0",
        sgDevice: "/dev/sg1",
        hctl: "0:0:0:0",
        vendor: "IBM",
        model: "ULT3580-HH9",
        revision: "N9A1",
        serial: "10WT123456",
      },
      {
        device: "/dev/nst1",
        sgDevice: "/dev/sg2",
        hctl: "0:0:1:0",
        vendor: "HP",
        model: "Ultrium 6-SCSI",
        revision: "35GD",
        serial: null,
      },
    ]);
  });

  it("finds the changer among the SCSI generic nodes by its device type, and not the disk", async () => {
    expect((await detectHardware(sys)).changers).toEqual([
      {
        device: "/dev/sg3",
        hctl: "0:0:2:0",
        vendor: "QUANTUM",
        model: "Scalar i3-i6",
        revision: "230G",
        serial: "QU1234ABC",
      },
    ]);
  });

  it("rescans an enrolled host: a drive still there keeps its setup, a new one joins the changer, a vanished one leaves", async () => {
    const enrolled = {
      drives: [
        // nst0 was enrolled by hand with its sg node and changer slot; nst5 has since been unplugged.
        {
          kind: "st" as const,
          device: "/dev/nst0",
          sgDevice: "/dev/sg1",
          changerDevice: "/dev/sg3",
          changerIndex: 0,
        },
        {
          kind: "st" as const,
          device: "/dev/nst5",
          sgDevice: null,
          changerDevice: "/dev/sg3",
          changerIndex: 1,
        },
      ],
      changers: [{ kind: "mtx" as const, device: "/dev/sg3" }],
    };
    expect(await rescanHardware(enrolled, sys)).toEqual({
      drives: [
        enrolled.drives[0],
        { kind: "st", device: "/dev/nst1", sgDevice: "/dev/sg2", changerDevice: "/dev/sg3", changerIndex: 1 },
      ],
      changers: [{ kind: "mtx", device: "/dev/sg3" }],
    });
  });

  it("finds nothing, without failing, on a host with no tape class", async () => {
    expect(await detectHardware(join(sys, "nowhere"))).toEqual({ drives: [], changers: [] });
  });

  it("prints one line per drive and changer, and the same as JSON", async () => {
    let code: unknown;
    const out = await captureStdout(async () => {
      code = await runCli(["detect", "--sys", sys]);
    });
    expect(code).toBe(0);
    expect(out).toMatch(
      /^drive {3}\/dev\/nst0 \(\/dev\/sg1\) IBM ULT3580-HH9 N9A1, serial 10WT123456 \[0:0:0:0\]$/m,
    );
    expect(out).toMatch(/^changer \/dev\/sg3 QUANTUM Scalar i3-i6 230G, serial QU1234ABC \[0:0:2:0\]$/m);
    const json = JSON.parse(await captureStdout(() => runCli(["detect", "--sys", sys, "--json"])));
    expect(json.drives).toHaveLength(2);
  });
});

/** What `run` printed on stdout (the CLI's output goes there). */
async function captureStdout(run: () => Promise<unknown>): Promise<string> {
  let text = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return text;
}

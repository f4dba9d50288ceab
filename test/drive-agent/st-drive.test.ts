import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeLabel } from "../../contracts/label.ts";
import { StDrive } from "../../drive-agent/drives/st/st-drive.ts";
import type { CommandRequest, RunCommand } from "../../drive-agent/exec.ts";
import { readTapeLabel } from "../../drive-agent/tape/label-tape.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/** Records every argv and answers from fixtures, standing in for mt/sg3-utils on a host with no drive. */
function recordingRunner(answers: Record<string, { stdout?: string; stderr?: string; exitCode?: number }>) {
  const calls: string[][] = [];
  const run: RunCommand = async (request: CommandRequest) => {
    calls.push([...request.argv]);
    const key = (request.argv[0] === "mt" ? request.argv[3] : request.argv[0]) ?? "";
    const answer = answers[key] ?? {};
    return { exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" };
  };
  return { run, calls };
}

describe("st drive", () => {
  it("refuses a rewinding device, which would rewind after every command", () => {
    expect(() => new StDrive({ device: "/dev/st0" })).toThrow(/non-rewinding/);
  });

  it("drives the tape with mt on the non-rewinding device", async () => {
    const { run, calls } = recordingRunner({});
    const drive = new StDrive({ device: "/dev/nst0", run });
    await drive.rewind();
    await drive.forwardSpaceFiles(2);
    await drive.backSpaceFiles(1);
    await drive.spaceToEndOfData();
    await drive.writeFileMarks(1);
    await drive.locate(4096);
    await drive.setBlockSize(65536);
    await drive.unload();
    await drive.eject();
    expect(calls.map((argv) => argv.slice(3).join(" "))).toEqual([
      "rewind",
      "fsf 2",
      "bsf 1",
      "eod",
      "weof 1",
      "seek 4096",
      "setblk 65536",
      "offline",
      "eject",
    ]);
    expect(calls.every((argv) => argv[0] === "mt" && argv[1] === "-f" && argv[2] === "/dev/nst0")).toBe(true);
  });

  it("reports status from mt and the barcode from cartridge memory", async () => {
    const { run } = recordingRunner({ status: { stdout: fixture("mt/status-lto9-eot.txt") } });
    const withMam: RunCommand = async (request) =>
      request.argv[0] === "sg_read_attr"
        ? { exitCode: 0, stdout: fixture("sg/sg-read-attr-lto9.txt"), stderr: "" }
        : run(request);
    const drive = new StDrive({ device: "/dev/nst0", sgDevice: "/dev/sg1", run: withMam });
    const status = await drive.status();
    expect(status).toMatchObject({
      fileNumber: 3,
      blockNumber: 120034,
      generation: "LTO-9",
      barcode: "TB0001L9",
      // The cartridge's own word (MAM "Maximum capacity in partition"), before any table.
      capacityBytes: 17166336 * 1024 * 1024,
    });
    expect(status.flags.eot).toBe(true);
  });

  it("without cartridge memory, takes the capacity from the density's generation", async () => {
    const { run } = recordingRunner({ status: { stdout: fixture("mt/status-lto9-eot.txt") } });
    const status = await new StDrive({ device: "/dev/nst0", run }).status();
    expect(status).toMatchObject({ generation: "LTO-9", barcode: null, capacityBytes: 18e12 });
  });

  it("with no tape in the drive, reports no capacity", async () => {
    const { run } = recordingRunner({ status: { stdout: fixture("mt/status-no-tape.txt") } });
    expect((await new StDrive({ device: "/dev/nst0", run }).status()).capacityBytes).toBeNull();
  });

  it("reads TapeAlert flags through sg_logs on the drive's sg node", async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (request) => {
      calls.push([...request.argv]);
      return { exitCode: 0, stdout: fixture("sg/sg-logs-tapealert-cleaning.txt"), stderr: "" };
    };
    const drive = new StDrive({ device: "/dev/nst0", sgDevice: "/dev/sg1", run });
    const alerts = await drive.tapeAlerts();
    expect(calls).toEqual([["sg_logs", "-p", "0x2e", "/dev/sg1"]]);
    expect(alerts.active.map((a) => a.name)).toEqual(["Nearing media life", "Cleaning required"]);
  });

  it("maps a busy device to a retryable error and a missing tape to an operator error", async () => {
    const busy = new StDrive({
      device: "/dev/nst0",
      run: async () => ({ exitCode: 2, stdout: "", stderr: "/dev/nst0: Device or resource busy" }),
    });
    await expect(busy.rewind()).rejects.toMatchObject({ code: "DRIVE_BUSY", recovery: "retry" });
    const empty = new StDrive({
      device: "/dev/nst0",
      run: async () => ({ exitCode: 2, stdout: "", stderr: "/dev/nst0: No medium found" }),
    });
    await expect(empty.rewind()).rejects.toMatchObject({ code: "NO_CARTRIDGE", recovery: "operator" });
  });

  it("reads a label through the device in variable-block mode, steering the tape with mt", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tapebackarr-st-"));
    try {
      // A regular file stands in for the device node: st's data path is plain read(2).
      const device = join(dir, "nst0");
      await writeFile(
        device,
        Buffer.from(
          encodeLabel({
            label: "ST-1",
            uuid: "u-1",
            pool: "p",
            timestamp: 1,
            encryptionFingerprint: "",
            compression: "",
          }),
        ),
      );
      const { run, calls } = recordingRunner({
        status: { stdout: fixture("mt/status-lto6-eof.txt").replace("File number=2", "File number=1") },
      });
      const identity = await readTapeLabel(new StDrive({ device, sgDevice: "/dev/sg9", run }));
      expect(identity).toMatchObject({
        kind: "labelled",
        label: { label: "ST-1", uuid: "u-1" },
        filesOnTape: 1,
      });
      expect(calls.filter((argv) => argv[0] === "mt").map((argv) => argv.slice(3).join(" "))).toEqual([
        "rewind",
        "setblk 0",
        "rewind",
        "setblk 65536",
        "eod",
        "status",
        "rewind",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

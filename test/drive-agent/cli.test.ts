import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { runCommand } from "../../drive-agent/exec.ts";
import { listChildProcesses } from "./helpers/child-processes.ts";
import { createSourceTree } from "./helpers/vtl-fixture.ts";
import { writeTestSet } from "./helpers/write-test-set.ts";

const launcher = new URL("../../drive-agent/bin/drive-agent.js", import.meta.url).pathname;

/** Runs the real launcher as a user would: a separate process, through its shebang. */
const agent = (...args: string[]) => runCommand({ argv: [launcher, ...args], timeoutMs: 30_000 });

let root: string;
let lib: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tapebackarr-cli-"));
  lib = join(root, "lib");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("drive-agent CLI", () => {
  it("prints usage for --help", async () => {
    const result = await agent("--help");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("drive-agent vtl init <dir>");
    expect(result.stdout).toContain("drive-agent read-label <drive>");
    expect((await agent("help")).stdout).toBe(result.stdout);
  });

  it("prints a command's usage for <command> --help, enroll and run included, and exits 0", async () => {
    const enroll = await agent("enroll", "--help");
    expect(enroll.exitCode).toBe(0);
    expect(enroll.stdout).toMatch(/^Usage: drive-agent enroll --hub URL --token T/);
    expect(enroll.stdout).toMatch(/^ {2}--vtl DIR +a virtual tape library directory/m);
    // run --help must print and exit, not start an agent.
    const run = await agent("run", "--help", "--state-dir", join(root, "nowhere"));
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Usage: drive-agent run \[--state-dir DIR\]/);
    expect(run.stderr).toBe("");
  });

  it("creates a library with vtl init and shows it with vtl ls", async () => {
    const init = await agent("vtl", "init", lib, "--drives", "2", "--slots", "8", "--capacity", "256MiB");
    expect(init.exitCode).toBe(0);
    expect(init.stdout).toContain("2 drive(s), 8 slot(s) + 1 import/export, 8 cartridge(s) of 256 MiB");
    const ls = await agent("vtl", "ls", lib, "--json");
    const inventory = JSON.parse(ls.stdout);
    expect(inventory.slots).toHaveLength(9);
    expect(inventory.cartridges[0]).toMatchObject({ barcode: "TB0001L9", capacityBytes: 256 * 1024 * 1024 });
  });

  it("refuses to initialise over an existing library", async () => {
    const again = await agent("vtl", "init", lib, "--capacity", "1MiB");
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("already holds a virtual library");
  });

  it("loads a cartridge, reports a blank tape, labels it and reads the label back", async () => {
    expect((await agent("vtl", "load", lib, "--slot", "2", "--drive", "1")).stdout).toBe(
      "Loaded TB0002L9 from slot 2 into drive 1\n",
    );
    expect((await agent("read-label", lib, "--drive", "1")).stdout).toContain("blank tape");
    const label = await agent("label", lib, "--drive", "1", "--label", "WEEKLY-001", "--pool", "weekly");
    expect(label.exitCode).toBe(0);
    expect(label.stdout).toMatch(/wrote label "WEEKLY-001" uuid [0-9a-f-]{36} at file 0/);
    const read = JSON.parse((await agent("read-label", lib, "--drive", "1", "--json")).stdout);
    expect(read).toMatchObject({
      kind: "labelled",
      label: { label: "WEEKLY-001", pool: "weekly", form: "full" },
    });
  });

  it("shows drive status with position, density and flags", async () => {
    const status = await agent("status", lib, "--drive", "1");
    expect(status.stdout).toContain("cartridge TB0002L9 online");
    expect(status.stdout).toContain("position: file 0, block 0");
    expect(status.stdout).toContain("0x60 (LTO-9)");
    const json = JSON.parse((await agent("status", lib, "--drive", "1", "--json")).stdout);
    expect(json.flags).toMatchObject({ bot: true, online: true, writeProtected: false });
  });

  it("lists the sets on a tape from their TOCs", async () => {
    const drive = await VtlDrive.open({ dir: lib, index: 1 });
    try {
      await drive.spaceToEndOfData();
      const src = await createSourceTree(root);
      await writeTestSet(drive, { src, workDir: root, setId: "nightly-1", jobName: "file server" });
    } finally {
      await drive.close();
    }
    const ls = await agent("ls", lib, "--drive", "1");
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toContain('label "WEEKLY-001"');
    expect(ls.stdout).toMatch(/set nightly-1 \(job file server\) files 1\+2: \d+ entries/);
    const json = JSON.parse((await agent("ls", lib, "--drive", "1", "--json")).stdout);
    expect(json.sets[0].toc.files.map((f: { path: string }) => f.path)).toContain("docs/report <script>.txt");
  });

  it("refuses to label over data without --force and exits 1 with the reason", async () => {
    const result = await agent("label", lib, "--drive", "1", "--label", "OTHER");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('is labelled "WEEKLY-001" and holds 3 tape file(s); pass --force');
    const json = JSON.parse((await agent("label", lib, "--drive", "1", "--label", "OTHER", "--json")).stdout);
    expect(json.error).toMatchObject({ code: "TAPE_NOT_BLANK", recovery: "operator" });
  });

  it("tells a second process the drive is busy with exit code 75 while another holds it", async () => {
    const holder = await VtlDrive.open({ dir: lib, index: 1 });
    try {
      const result = await agent("status", lib, "--drive", "1", "--json");
      expect(result.exitCode).toBe(75);
      expect(JSON.parse(result.stdout).error).toMatchObject({ code: "DRIVE_BUSY", recovery: "retry" });
    } finally {
      await holder.close();
    }
  });

  it("ejects the cartridge back to its slot", async () => {
    const result = await agent("eject", lib, "--drive", "1");
    expect(result.stdout).toContain("rewound and ejected TB0002L9 and returned it to its slot");
    const inventory = JSON.parse((await agent("vtl", "ls", lib, "--json")).stdout);
    expect(inventory.slots[1]).toMatchObject({ slot: 2, barcode: "TB0002L9" });
    expect(inventory.drives[1]).toMatchObject({ full: false });
  });

  it("write-protects a cartridge so label refuses it, then clears the tab", async () => {
    expect((await agent("vtl", "protect", lib, "TB0003L9")).stdout).toBe("TB0003L9 is now write-protected\n");
    await agent("vtl", "load", lib, "--slot", "3", "--drive", "0");
    const refused = await agent("label", lib, "--drive", "0", "--label", "WP-1", "--json");
    expect(refused.exitCode).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: "WRITE_PROTECTED", recovery: "operator" });
    await agent("vtl", "protect", lib, "TB0003L9", "--off");
    expect((await agent("label", lib, "--drive", "0", "--label", "WP-1")).exitCode).toBe(0);
    expect((await agent("vtl", "unload", lib, "--drive", "0")).stdout).toBe(
      "Unloaded TB0003L9 from drive 0 into slot 3\n",
    );
  });

  it("exits 2 on an unknown command and 1 on an empty drive", async () => {
    expect((await agent("frobnicate")).exitCode).toBe(2);
    const empty = await agent("read-label", lib, "--drive", "0");
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toContain("no cartridge loaded");
  });

  it("leaves no agent, tar or other child process running", async () => {
    expect(await listChildProcesses()).toEqual([]);
  });
});

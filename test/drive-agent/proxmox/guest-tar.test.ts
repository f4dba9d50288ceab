import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestOutcome } from "../../../contracts/proxmox.ts";
import { guestRestoreArgv } from "../../../drive-agent/orders/restore/guest-restore.ts";
import type { PveGuest } from "../../../drive-agent/proxmox/discover.ts";
import { archiveName, guestTarStream, vzdumpArgv } from "../../../drive-agent/proxmox/guest-tar.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";

const guest = (vmid: number, type: "qemu" | "lxc", name: string): PveGuest => ({
  vmid,
  type,
  name,
  node: "pve1",
  status: "running",
  tags: [],
  pool: null,
  template: false,
  maxdiskBytes: null,
  disks: [],
});
const tools = { vzdump: "vzdump", qmrestore: "qmrestore", pct: "pct", partBytes: 1 << 20 };
const AT = new Date("2026-12-01T02:03:04Z");

describe("a guest's vzdump stream as tar members", () => {
  let root: string;
  let vzdump: string;
  const archive = randomBytes(2 * 4096 + 100);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-guest-tar-"));
    await writeFile(join(root, "archive-100"), archive);
    vzdump = join(root, "vzdump");
    await writeFile(
      vzdump,
      `#!/bin/sh\nif [ -f '${root}/archive-'"$1" ]; then cat '${root}/archive-'"$1"; else printf 'x'; echo "ERROR: Backup of VM $1 failed - no such VM" >&2; exit 255; fi\n`,
    );
    await chmod(vzdump, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    expect(await listChildProcesses()).toEqual([]);
  });

  it("vzdump streams to stdout with its compression off; names are vzdump's own", () => {
    expect(vzdumpArgv("vzdump", 100, "stop")).toEqual([
      "vzdump",
      "100",
      "--stdout",
      "1",
      "--mode",
      "stop",
      "--compress",
      "0",
    ]);
    expect(archiveName(guest(100, "qemu", "a"), AT)).toBe("vzdump-qemu-100-2026_12_01-02_03_04.vma");
    expect(archiveName(guest(101, "lxc", "b"), AT)).toBe("vzdump-lxc-101-2026_12_01-02_03_04.tar");
  });

  it("qmrestore and pct restore read stdin; --force only when told, --unique for a new id", () => {
    const spec = {
      target: "pve" as const,
      type: "qemu" as const,
      fromVmid: 100,
      vmid: 100,
      archiveName: "x",
      storage: null,
      overwrite: false,
      pve: null,
      sha256: null,
    };
    expect(guestRestoreArgv(tools, spec)).toEqual(["qmrestore", "-", "100"]);
    expect(guestRestoreArgv(tools, { ...spec, vmid: 200, storage: "local-lvm", overwrite: true })).toEqual([
      "qmrestore",
      "-",
      "200",
      "--storage",
      "local-lvm",
      "--force",
      "1",
      "--unique",
      "1",
    ]);
    expect(guestRestoreArgv(tools, { ...spec, type: "lxc", fromVmid: 101, vmid: 101 })).toEqual([
      "pct",
      "restore",
      "101",
      "-",
    ]);
  });

  it("GNU tar reads the stream: config, parts of 4 KiB and guest.json per guest; a failing guest is recorded, not fatal", async () => {
    const outcomes: GuestOutcome[] = [];
    const chunks: Buffer[] = [];
    for await (const chunk of guestTarStream({
      guests: [guest(100, "qemu", "web"), guest(102, "qemu", "broken")],
      config: async (g) => `name: ${g.name}\n`,
      mode: "snapshot",
      vzdump,
      partBytes: 4096,
      blockSize: 65536,
      signal: new AbortController().signal,
      now: () => AT,
      log: () => undefined,
      onGuest: (o) => outcomes.push(o),
    }))
      chunks.push(chunk);
    const stream = Buffer.concat(chunks);
    expect(stream.length % 65536).toBe(0);
    const dir = "proxmox/pve1/qemu-100";
    const listed = execFileSync("tar", ["-t", "-f", "-"], { input: stream, encoding: "utf8" })
      .trim()
      .split("\n");
    expect(listed).toEqual([
      `${dir}/guest.conf`,
      `${dir}/vzdump-qemu-100-2026_12_01-02_03_04.vma.000000`,
      `${dir}/vzdump-qemu-100-2026_12_01-02_03_04.vma.000001`,
      `${dir}/vzdump-qemu-100-2026_12_01-02_03_04.vma.000002`,
      `${dir}/guest.json`,
      "proxmox/pve1/qemu-102/guest.conf",
      "proxmox/pve1/qemu-102/vzdump-qemu-102-2026_12_01-02_03_04.vma.000000",
      "proxmox/pve1/qemu-102/guest.json",
    ]);
    const joined = execFileSync("tar", ["-xO", "-f", "-", "--wildcards", `${dir}/vzdump-*`], {
      input: stream,
    });
    expect(joined.equals(archive)).toBe(true);
    expect(outcomes.map((o) => [o.vmid, o.state, o.bytes, o.parts])).toEqual([
      [100, "completed", archive.length, 3],
      [102, "failed", 1, 1],
    ]);
    expect(outcomes[0]?.sha256).toBe(createHash("sha256").update(archive).digest("hex"));
    expect(outcomes[1]?.error).toContain("vzdump exited 255: ERROR: Backup of VM 102 failed - no such VM");
  });
});

import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initLibrary, libraryPaths } from "../../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { createBackupExecutor } from "../../../drive-agent/orders/backup.ts";
import { LONGEST_NAME, NEWLINE_NAME } from "../../helpers/every-type-tree.ts";
import { listChildProcesses } from "../helpers/child-processes.ts";
import {
  backupOrder,
  createTree,
  executorContext,
  FakeReporter,
  labelAll,
  openLibraryDrive,
} from "./helpers.ts";

/** The `sh test-stream:<name>` blocks of docs/tape-format.md (the encrypted-set section). */
async function documentedCommands(): Promise<Map<string, string>> {
  const doc = await readFile(new URL("../../../docs/tape-format.md", import.meta.url), "utf8");
  const blocks = new Map<string, string>();
  for (const match of doc.matchAll(/^```sh test-stream:([\w-]+)\n([\s\S]*?)^```$/gm))
    if (match[1] && match[2]) blocks.set(match[1], match[2]);
  return blocks;
}

describe("docs/tape-format.md, compressed and encrypted sets", () => {
  let root: string;
  let env: Record<string, string>;
  let names: string[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tapebackarr-stream-doc-"));
    const dir = join(root, "lib");
    await initLibrary({ dir, drives: 1, slots: 1, capacityBytes: 64 << 20 });
    const tapes = await labelAll(dir, ["TB0001L9"]);
    const src = await createTree(root);
    // Names that broke line-based recipes and NAME_MAX-sized temporary names.
    await writeFile(join(src, NEWLINE_NAME), "a newline in my name\n");
    await writeFile(join(src, LONGEST_NAME), "the longest name\n");
    const drive = await openLibraryDrive(dir);
    const key = randomBytes(32);
    const reporter = new FakeReporter();
    try {
      const order = backupOrder(tapes.TB0001L9 as never, src, {
        compression: "zstd",
        encryption: { algorithm: "aes-256-gcm", keyFingerprint: "doc", dataKeyJwe: "x" },
      });
      const exec = createBackupExecutor({ plainChunkBytes: 1 << 20, progressIntervalMs: 50 });
      await exec(order, executorContext(drive.drive, reporter, join(root, "work"), { dataKey: key }));
    } finally {
      await drive.close();
    }
    names = reporter.entries().map((e) => e[0]);
    await writeFile(join(root, "key"), key);
    env = { CART: libraryPaths(dir).cartridge("TB0001L9"), KEY: join(root, "key") };
  });

  afterAll(async () => {
    expect(await listChildProcesses()).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  const runBlock = async (name: string) => {
    // One output directory: the seek block uses the script the decrypt block wrote.
    const out = join(root, "out");
    await mkdir(out, { recursive: true });
    const script = (await documentedCommands()).get(name) ?? "exit 99";
    return runCommand({
      // --norc: bash reads bashrc when its stdin is a socket (as a Node pipe is).
      argv: ["bash", "--norc", "-euo", "pipefail", "-c", script],
      env: { ...env, OUT: out },
      timeoutMs: 60_000,
    });
  };

  it("decrypts a whole set with the documented script, the key file, zstd and tar", async () => {
    const result = await runBlock("decrypt");
    expect(result.stderr).toBe("");
    expect(
      result.stdout
        .split("\n")
        .filter(Boolean)
        .map((n) => n.replace(/\/$/, "")),
    ).toEqual(names.map((n) => n.replace(/\\/g, "\\\\").replace(/\n/g, "\\n"))); // tar -t escapes
  });

  it("restores one file starting at the chunk that holds it", async () => {
    const result = await runBlock("seek");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/: OK\n$/);
  });
});

import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupOrderBody, TapeTarget } from "../../contracts/agent-protocol.ts";
import { documentedBlocks } from "../../contracts/doc-blocks.ts";
import { initLibrary, libraryPaths } from "../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../drive-agent/exec.ts";
import { createBackupExecutor } from "../../drive-agent/orders/backup.ts";
import { labelTape } from "../../drive-agent/tape/label-tape.ts";
import { createEveryTypeTree, LONGEST_NAME, NEWLINE_NAME } from "../helpers/every-type-tree.ts";
import { listChildProcesses } from "./helpers/child-processes.ts";
import { backupOrder, executorContext, FakeReporter, openLibraryDrive } from "./pipeline/helpers.ts";

/** The `sh test:<name>` blocks of docs/tape-format.md, in order (the parser tape passports use). */
async function documentedCommands(): Promise<Map<string, string>> {
  return documentedBlocks(await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8"));
}

const NAME_250 = `${"m".repeat(246)}.txt`;
const SET_A = randomUUID();
const SET_B = randomUUID();
const SPAN = randomUUID();
const launcher = new URL("../../drive-agent/bin/drive-agent.js", import.meta.url).pathname;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Real sets, as the agent writes them: a plain set and a zstd set of the same tree on DOC-001
 * (label, set, TOC, set, TOC), and a plain set that spans T2 and T3.
 */
describe("docs/tape-format.md on sets the drive-agent wrote", () => {
  let root: string;
  let dir: string;
  let src: string;
  let env: Record<string, string>;
  /** A block's own environment on top (the spanning set is on other cartridges). */
  const envFor: Record<string, Record<string, string>> = {};

  const expectations: Record<string, (stdout: string) => void> = {
    label: (out) => expect(out).toMatch(/^TAPEBACKARR\|DOC-001\|[0-9a-f-]{36}\|monthly\|\d+\|\|\n$/),
    toc: (out) => {
      expect(out).toContain(`${SET_A}\ndoc job\n`);
      expect(out).toContain(`${src}/docs/report <script>.txt\n`);
      expect(out).toContain(`${src}/docs/sub dir/notes.md\n`);
      expect(out).toContain(`${src}/${NEWLINE_NAME}\n`);
    },
    "tar-list": (out) =>
      expect(out).toMatch(
        new RegExp(
          `-rw-r--r-- .* 70000 2026-11-01 \\d\\d:\\d\\d ${escapeRe(src)}/docs/report <script>\\.txt`,
        ),
      ),
    "dd-tar": (out) =>
      expect(out.split("\n")).toEqual(
        expect.arrayContaining([
          `${src}/hello.txt`,
          `${src}/docs/sub dir/notes.md`,
          `${src}/${LONGEST_NAME}`,
        ]),
      ),
    verify: (out) => {
      for (const name of [
        "hello.txt",
        "docs/report\\ \\<script\\>.txt",
        NAME_250,
        LONGEST_NAME,
        "sparse.img",
      ])
        expect(out).toContain(`OK ${src}/${name}\n`);
      expect(out).toContain(`OK $'${src}/line\\nbreak.txt'\n`);
      expect(out).not.toContain("FAILED");
    },
    "verify-zstd": (out) => expect(out).toBe(`all files of set ${SET_B} match\n`),
    "seek-restore": (out) => expect(out).toBe("hello tape\n"),
    span: (out) => {
      expect(out).toMatch(/^tape 1: \d+ files, continues: true\ntape 2: \d+ files, continues: false\n/);
      expect(out).toMatch(/every file of the set matches\n$/);
    },
    "agent-restore": (out) => {
      expect(out).toMatch(
        new RegExp(`^set ${SET_A} \\(job doc job\\): restored 1 to .*, skipped 0, failed 0\\nhello tape\\n`),
      );
      expect(out).toMatch(
        new RegExp(`set ${SET_B} \\(job doc job\\): verified \\d+, skipped 0, failed 0\\n$`),
      );
    },
    "all-sets": (out) =>
      expect(out).toMatch(
        new RegExp(
          `^file 1: set ${SET_A} \\(\\d+ files, .*\\)\\nfile 3: set ${SET_B} \\(\\d+ files, .*\\)\\n$`,
        ),
      ),
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tapebackarr-format-doc-"));
    dir = join(root, "lib");
    await initLibrary({
      dir,
      drives: 1,
      slots: 4,
      cartridges: 3,
      capacityBytes: 16 << 20,
      earlyWarningBytes: 6 << 20,
    });
    const tapes: Record<string, TapeTarget> = {};
    const drive = await openLibraryDrive(dir);
    try {
      for (const [barcode, label, pool] of [
        ["TB0003L9", "T3", "weekly"],
        ["TB0002L9", "T2", "weekly"],
        ["TB0001L9", "DOC-001", "monthly"],
      ] as const) {
        await drive.swap(barcode);
        const uuid = randomUUID();
        await labelTape(drive.drive, { label, uuid, pool });
        tapes[barcode] = { barcode, label, uuid, nextFile: 1 };
      }
      const source = await createDocTree(root);
      src = source.slice(1);
      const backup = createBackupExecutor({ progressIntervalMs: 50, tapePollMs: 10 });
      const write = async (tape: TapeTarget, from: string, overrides: Partial<BackupOrderBody>) => {
        await drive.swap(tape.barcode);
        const order = backupOrder(tape, from, { job: { id: 1, name: "doc job" }, ...overrides });
        const ctx = executorContext(drive.drive, new FakeReporter(), join(root, `work-${order.set.uuid}`), {
          changer: drive.changer,
        });
        const result = await backup(order, ctx);
        if (result.state !== "completed") throw new Error(`backup ${result.state}: ${result.error}`);
      };
      const doc = tapes.TB0001L9 as TapeTarget;
      await write(doc, source, { set: { ...backupOrder(doc, source).set, uuid: SET_A } });
      await write({ ...doc, nextFile: 3 }, source, {
        compression: "zstd",
        set: { ...backupOrder(doc, source).set, uuid: SET_B },
      });
      const big = join(root, "big");
      await mkdir(big);
      for (let i = 0; i < 14; i++) await writeFile(join(big, `part-${i}.bin`), randomBytes(1 << 20));
      const t2 = tapes.TB0002L9 as TapeTarget;
      await write(t2, big, {
        set: { ...backupOrder(t2, big).set, uuid: SPAN },
        continuationTapes: [tapes.TB0003L9 as TapeTarget],
      });
      // The agent restores from drive 0: leave DOC-001 there.
      await drive.swap("TB0001L9");
    } finally {
      await drive.close();
    }
    const cartridge = libraryPaths(dir).cartridge;
    env = {
      CART: cartridge("TB0001L9"),
      FILE: `${src}/hello.txt`,
      AGENT: launcher,
    };
    envFor.span = { CART: cartridge("TB0002L9"), CART2: cartridge("TB0003L9") };
  });

  afterAll(async () => {
    expect(await listChildProcesses()).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  it("has an assertion for every tested command block and a block for every assertion", async () => {
    expect([...(await documentedCommands()).keys()].sort()).toEqual(Object.keys(expectations).sort());
  });

  it("copies a tape with the documented copy:tape block (mt and dd stand in for the st driver), and the tested blocks read the copy as they read the tape", async () => {
    const doc = await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8");
    const block = documentedBlocks(doc, "copy").get("tape") ?? "exit 99";
    const copy = join(root, "copy");
    const bin = join(root, "st-bin");
    await mkdir(bin);
    // The st driver's semantics over the cartridge: each read of /dev/nst0 returns the next tape
    // file and stops at its file mark; at the end of data a read returns nothing.
    await writeFile(
      join(bin, "mt"),
      `#!/bin/bash\n[ "$1" = -f ] && [ "$2" = /dev/nst0 ] || exit 2\ncase "$3" in rewind) echo 0 > "$TAPE_POS";; setblk) [ "$4" = 0 ] || exit 2;; *) exit 2;; esac\n`,
      { mode: 0o755 },
    );
    await writeFile(
      join(bin, "dd"),
      `#!/bin/bash\n[ "$1" = if=/dev/nst0 ] || exec /usr/bin/dd "$@"\nn=$(cat "$TAPE_POS"); f=$(printf "%s/file-%04d" "$TAPE_CART" "$n"); out=\${2#of=}\nif [ -e "$f" ]; then cat "$f" > "$out"; echo $((n + 1)) > "$TAPE_POS"; else : > "$out"; fi\n`,
      { mode: 0o755 },
    );
    const script = block.replace("CART=/restore/tape;", `CART=${copy};`);
    expect(script).not.toBe(block);
    const copied = await runCommand({
      argv: ["bash", "--norc", "-euo", "pipefail", "-c", script],
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        TAPE_CART: env.CART as string,
        TAPE_POS: join(root, "st-pos"),
      },
      cwd: root,
      timeoutMs: 60_000,
    });
    expect(copied.stderr).toBe("");
    expect(copied.exitCode).toBe(0);
    const files = async (d: string) => (await readdir(d)).filter((f) => f.startsWith("file-")).sort();
    expect(await files(copy)).toEqual(await files(env.CART as string));
    for (const f of await files(copy))
      expect((await readFile(join(copy, f))).equals(await readFile(join(env.CART as string, f))), f).toBe(
        true,
      );
    for (const name of ["label", "toc"]) {
      const read = await runCommand({
        argv: ["bash", "--norc", "-euo", "pipefail", "-c", (await documentedCommands()).get(name) as string],
        env: { ...env, CART: copy },
        cwd: root,
        timeoutMs: 60_000,
      });
      expect(read.exitCode, read.stderr).toBe(0);
      expectations[name]?.(read.stdout);
    }
  });

  it.each(Object.keys(expectations))("runs the documented %s commands as written", async (name) => {
    const script = (await documentedCommands()).get(name) ?? "exit 99";
    const out = join(root, `out-${name}`);
    await mkdir(out);
    const result = await runCommand({
      // --norc: bash reads bashrc when its stdin is a socket (as a Node pipe is).
      argv: ["bash", "--norc", "-euo", "pipefail", "-c", script],
      env: { ...env, ...envFor[name], OUT: out },
      cwd: root,
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expectations[name]?.(result.stdout);
  });
});

/** The tree the recipes read: plain names, markup, every special type, long and newline names. */
async function createDocTree(root: string): Promise<string> {
  const src = await createEveryTypeTree(root);
  await mkdir(join(src, "docs", "sub dir"), { recursive: true });
  await writeFile(join(src, "hello.txt"), "hello tape\n");
  await writeFile(join(src, "docs", "report <script>.txt"), "x".repeat(70_000), { mode: 0o644 });
  await writeFile(join(src, "docs", "sub dir", "notes.md"), "# notes\n");
  await writeFile(join(src, NAME_250), "two hundred and fifty\n");
  const when = new Date("2026-11-01T12:00:00Z");
  for (const path of ["hello.txt", "docs/report <script>.txt", "docs/sub dir/notes.md"])
    await utimes(join(src, path), when, when);
  return src;
}

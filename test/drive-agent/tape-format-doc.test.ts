import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libraryPaths } from "../../drive-agent/drives/vtl/library.ts";
import { runCommand } from "../../drive-agent/exec.ts";
import { labelTape } from "../../drive-agent/tape/label-tape.ts";
import {
  createSourceTree,
  createTestLibrary,
  openLoadedDrive,
  type TestLibrary,
} from "./helpers/vtl-fixture.ts";
import { writeTestSet } from "./helpers/write-test-set.ts";

/** The `sh test:<name>` blocks of docs/tape-format.md, in order. */
async function documentedCommands(): Promise<Map<string, string>> {
  const doc = await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8");
  const blocks = new Map<string, string>();
  for (const match of doc.matchAll(/^```sh test:([\w-]+)\n([\s\S]*?)^```$/gm)) {
    if (match[1] && match[2]) blocks.set(match[1], match[2]);
  }
  return blocks;
}

const expectations: Record<string, (stdout: string) => void> = {
  label: (out) => expect(out).toMatch(/^TAPEBACKARR\|DOC-001\|[0-9a-f-]{36}\|monthly\|\d+\|\|\n$/),
  toc: (out) => {
    expect(out).toContain("set-a\ndoc job\n");
    expect(out).toContain("docs/report <script>.txt");
    expect(out).toContain("docs/sub dir/notes.md");
  },
  "tar-list": (out) =>
    expect(out).toMatch(/-rw-r--r-- .* 70000 2026-11-01 \d\d:\d\d \.\/docs\/report <script>\.txt/),
  "dd-tar": (out) =>
    expect(out.split("\n")).toEqual(expect.arrayContaining(["./hello.txt", "./docs/sub dir/notes.md"])),
  verify: (out) => {
    expect(out).toContain("hello.txt: OK");
    expect(out).toContain("docs/report <script>.txt: OK");
    expect(out).toContain("docs/sub dir/notes.md: OK");
  },
  "seek-restore": (out) => expect(out).toBe("hello tape\n"),
  "agent-restore": (out) => {
    expect(out).toMatch(/^set set-a \(job doc job\): restored 1 to .*, skipped 0, failed 0\nhello tape\n/);
    expect(out).toMatch(/set set-b \(job .*\): verified \d+, skipped 0, failed 0\n$/);
  },
  "all-sets": (out) =>
    expect(out).toMatch(/^file 1: set set-a \(\d+ files, .*\)\nfile 3: set set-b \(\d+ files, .*\)\n$/),
};

const launcher = new URL("../../drive-agent/bin/drive-agent.js", import.meta.url).pathname;

describe("docs/tape-format.md", () => {
  let library: TestLibrary;
  let cart: string;

  beforeAll(async () => {
    library = await createTestLibrary();
    const drive = await openLoadedDrive(library);
    try {
      await labelTape(drive, { label: "DOC-001", pool: "monthly" });
      await drive.spaceToEndOfData();
      const src = await createSourceTree(library.root);
      await writeTestSet(drive, { src, workDir: library.root, setId: "set-a", jobName: "doc job" });
      await writeTestSet(drive, { src, workDir: library.root, setId: "set-b" });
    } finally {
      await drive.close();
    }
    cart = libraryPaths(library.dir).cartridge("TB0001L9");
  });

  afterAll(async () => {
    await library.cleanup();
  });

  it("has an assertion for every tested command block and a block for every assertion", async () => {
    expect([...(await documentedCommands()).keys()].sort()).toEqual(Object.keys(expectations).sort());
  });

  it.each(Object.keys(expectations))(
    "runs the documented %s commands against a vtl tape's plain files",
    async (name) => {
      const script = (await documentedCommands()).get(name) ?? "";
      const out = join(library.root, `out-${name}`);
      await mkdir(out);
      const result = await runCommand({
        argv: ["bash", "-euo", "pipefail", "-c", script],
        env: { CART: cart, OUT: out, AGENT: launcher },
        cwd: library.root,
        timeoutMs: 30_000,
      });
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expectations[name]?.(result.stdout);
    },
  );
});

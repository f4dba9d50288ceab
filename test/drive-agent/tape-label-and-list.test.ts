import { describe, expect, it } from "vitest";
import { DEFAULT_BLOCK_SIZE } from "../../drive-agent/drives/drive.ts";
import type { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { runCommand } from "../../drive-agent/exec.ts";
import { labelTape, readTapeLabel } from "../../drive-agent/tape/label-tape.ts";
import { listTape } from "../../drive-agent/tape/list-tape.ts";
import { listChildProcesses } from "./helpers/child-processes.ts";
import { createSourceTree, loadedDriveForEachTest, type TestLibrary } from "./helpers/vtl-fixture.ts";
import { writeGoShortLabel, writePlainTar, writeTestSet } from "./helpers/write-test-set.ts";

let library: TestLibrary;
let drive: VtlDrive;
loadedDriveForEachTest((fixture) => ({ library, drive } = fixture));

const run = async (...argv: [string, ...string[]]) => {
  const result = await runCommand({ argv, timeoutMs: 30_000 });
  expect(result.exitCode).toBe(0);
  return result.stdout;
};

describe("labels on tape", () => {
  it("writes a label to a blank tape and reads the same label back", async () => {
    const written = await labelTape(drive, { label: "WEEKLY-001", pool: "weekly", compression: "zstd" });
    const identity = await readTapeLabel(drive);
    expect(identity).toEqual({ kind: "labelled", label: written.label, filesOnTape: 1 });
    expect((await drive.status()).flags.bot).toBe(true);
  });

  it("reads the short label of an older Go TapeBackarr tape", async () => {
    await writeGoShortLabel(drive, "GO-TAPE-7", 1700000000);
    const identity = await readTapeLabel(drive);
    expect(identity).toMatchObject({
      kind: "labelled",
      label: { label: "GO-TAPE-7", timestamp: 1700000000, form: "short" },
    });
  });

  it("refuses to relabel a tape holding data unless forced, and then says what it replaced", async () => {
    await labelTape(drive, { label: "OLD" });
    await drive.spaceToEndOfData();
    await drive.write(Buffer.alloc(DEFAULT_BLOCK_SIZE, 1));
    await drive.writeFileMarks(1);
    await expect(labelTape(drive, { label: "NEW" })).rejects.toMatchObject({ code: "TAPE_NOT_BLANK" });
    expect(await readTapeLabel(drive)).toMatchObject({ label: { label: "OLD" }, filesOnTape: 2 });
    const forced = await labelTape(drive, { label: "NEW", force: true });
    expect(forced.previous).toMatchObject({ kind: "labelled", label: { label: "OLD" } });
    expect(await readTapeLabel(drive)).toMatchObject({ label: { label: "NEW" }, filesOnTape: 1 });
  });

  it("calls a tape that starts with tar data foreign, not blank", async () => {
    const src = await createSourceTree(library.root);
    await writeTestSet(drive, { src, workDir: library.root, setId: "plain" });
    expect(await readTapeLabel(drive)).toMatchObject({ kind: "foreign", filesOnTape: 2 });
  });
});

describe("vtl tape files as plain files", () => {
  it("lets tar -tf and dd read a vtl tape's label and data files directly", async () => {
    await labelTape(drive, { label: "PLAIN-1" });
    await drive.spaceToEndOfData();
    const src = await createSourceTree(library.root);
    await writeTestSet(drive, { src, workDir: library.root, setId: "s1" });
    const label = await run("dd", `if=${drive.tapeFilePath(0)}`, "bs=512", "count=1", "status=none");
    expect(label.replace(/\0+$/, "")).toMatch(/^TAPEBACKARR\|PLAIN-1\|/);
    const names = (await run("tar", "-tf", drive.tapeFilePath(1))).split("\n");
    expect(names).toEqual(expect.arrayContaining(["./hello.txt", "./docs/report <script>.txt"]));
    const viaDd = await runCommand({
      argv: ["bash", "-c", `dd if='${drive.tapeFilePath(1)}' bs=64k status=none | tar -tf -`],
    });
    expect(viaDd.stdout.split("\n")).toEqual(names);
  });
});

describe("listing a tape", () => {
  it("lists every set from its TOC after the label", async () => {
    await labelTape(drive, { label: "LIST-1" });
    await drive.spaceToEndOfData();
    const src = await createSourceTree(library.root);
    await writeTestSet(drive, { src, workDir: library.root, setId: "a" });
    await writeTestSet(drive, { src, workDir: library.root, setId: "b" });
    const before = drive.counters().blocksRead;
    const listing = await listTape(drive);
    expect(listing.sets.map((s) => [s.toc.setId, s.dataFile, s.tocFile])).toEqual([
      ["a", 1, 2],
      ["b", 3, 4],
    ]);
    expect(listing.plainFiles).toEqual([]);
    // Label and TOCs only: spacing over data files reads none of their blocks.
    expect(drive.counters().blocksRead - before).toBeLessThanOrEqual(2 + 2 * 2);
  });

  it("lists an interrupted set, whose data file has no TOC, with tar", async () => {
    await labelTape(drive, { label: "CUT-1" });
    await drive.spaceToEndOfData();
    const src = await createSourceTree(library.root);
    await writeTestSet(drive, { src, workDir: library.root, setId: "whole" });
    await writePlainTar(drive, src, library.root, "cut.tar");
    const listing = await listTape(drive);
    expect(listing.sets.map((s) => s.toc.setId)).toEqual(["whole"]);
    expect(listing.plainFiles.map((p) => p.file)).toEqual([3]);
    expect(listing.plainFiles[0]?.entries.some((e) => e.endsWith("./hello.txt"))).toBe(true);
  });

  it("lists a plain tar tape with tar when it has no label and no TOC", async () => {
    await writePlainTar(drive, await createSourceTree(library.root), library.root, "p.tar");
    const listing = await listTape(drive);
    expect(listing.identity.kind).toBe("foreign");
    expect(listing.sets).toEqual([]);
    expect(listing.plainFiles).toHaveLength(1);
    expect(listing.plainFiles[0]?.entries.join("\n")).toContain("./docs/sub dir/notes.md");
    expect(listing.plainFiles[0]?.tarError).toBeNull();
    expect(await listChildProcesses()).toEqual([]);
  });
});

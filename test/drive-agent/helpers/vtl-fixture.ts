import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { initLibrary, loadCartridge } from "../../../drive-agent/drives/vtl/library.ts";
import { VtlDrive } from "../../../drive-agent/drives/vtl/vtl-drive.ts";

export type TestLibrary = { root: string; dir: string; cleanup(): Promise<void> };

/** A fresh library in its own temp dir: `cleanup` removes it all. */
export async function createTestLibrary(
  options: { drives?: number; slots?: number; capacityBytes?: number; earlyWarningBytes?: number } = {},
): Promise<TestLibrary> {
  const root = await mkdtemp(join(tmpdir(), "tapebackarr-vtl-"));
  const dir = join(root, "lib");
  await initLibrary({
    dir,
    drives: options.drives ?? 2,
    slots: options.slots ?? 4,
    capacityBytes: options.capacityBytes ?? 64 << 20,
    earlyWarningBytes: options.earlyWarningBytes,
  });
  return { root, dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Loads slot 1 into drive 0 and opens it. */
export async function openLoadedDrive(library: TestLibrary, slot = 1, index = 0): Promise<VtlDrive> {
  await loadCartridge({ dir: library.dir, slot, drive: index });
  return VtlDrive.open({ dir: library.dir, index });
}

/**
 * Gives each test of the file a fresh library with slot 1 loaded in drive 0 (handed to `use`
 * before the test), and closes the drive and removes the library after it.
 */
export function loadedDriveForEachTest(use: (fixture: { library: TestLibrary; drive: VtlDrive }) => void) {
  let fixture: { library: TestLibrary; drive: VtlDrive } | undefined;
  beforeEach(async () => {
    const library = await createTestLibrary();
    fixture = { library, drive: await openLoadedDrive(library) };
    use(fixture);
  });
  afterEach(async () => {
    await fixture?.drive.close();
    await fixture?.library.cleanup();
  });
}

/** A small tree to back up, with names an operator's shell and an HTML page must both survive. */
export async function createSourceTree(root: string): Promise<string> {
  const src = join(root, "src");
  await mkdir(join(src, "docs", "sub dir"), { recursive: true });
  await writeFile(join(src, "hello.txt"), "hello tape\n");
  await writeFile(join(src, "docs", "report <script>.txt"), "x".repeat(70_000));
  await writeFile(join(src, "docs", "sub dir", "notes.md"), "# notes\n");
  const when = new Date("2026-11-01T12:00:00Z");
  for (const path of ["hello.txt", "docs/report <script>.txt", "docs/sub dir/notes.md"])
    await utimes(join(src, path), when, when);
  return src;
}

import { cp, mkdir, mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ManifestBaseline,
  ManifestWriter,
  manifestUsable,
  writeUnread,
} from "../../../drive-agent/pipeline/manifest.ts";
import { walkSources } from "../../../drive-agent/pipeline/walk-source.ts";

let root: string;
let src: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tb-accurate-"));
  src = join(root, "src");
  await mkdir(join(src, "bash"), { recursive: true });
  for (const name of ["a.txt", "b.txt", "c.txt"]) await writeFile(join(src, "bash", name), name);
  await writeFile(join(src, "top.txt"), "top");
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** Walks src against the base manifest (none: a full), writes this walk's manifest, returns what was listed. */
async function walk(manifest: string, base: string | null): Promise<string[]> {
  const writer = await ManifestWriter.create(manifest);
  const baseline = base ? new ManifestBaseline(base) : null;
  const listed: string[] = [];
  await walkSources({
    paths: [src],
    include: [],
    exclude: [],
    baseline,
    onPresent: (name, state) => writer.add(name, state),
    onListed: (name) => {
      listed.push(name.slice(src.length - 1).replace(/^\//, ""));
      return true;
    },
    drained: async () => undefined,
    onWarning: () => undefined,
    signal: new AbortController().signal,
  });
  await baseline?.close();
  await writer.close();
  return listed;
}

describe("an accurate incremental walk", () => {
  it("lists nothing when nothing changed since the base manifest", async () => {
    expect((await walk(join(root, "1"), null)).length).toBe(6);
    expect(await walk(join(root, "2"), join(root, "1"))).toEqual([]);
  });

  it("lists a renamed directory whole, whatever the times of its files", async () => {
    await walk(join(root, "1"), null);
    await rename(join(src, "bash"), join(src, "bash-renamed"));
    expect(await walk(join(root, "2"), join(root, "1"))).toEqual([
      "",
      "bash-renamed",
      "bash-renamed/a.txt",
      "bash-renamed/b.txt",
      "bash-renamed/c.txt",
    ]);
  });

  it("lists a file copied in with an old mtime (cp -p) and a file changed back to its old mtime", async () => {
    const old = new Date("2001-01-01T00:00:00Z");
    await writeFile(join(root, "outside.txt"), "from elsewhere");
    await utimes(join(root, "outside.txt"), old, old);
    await utimes(join(src, "top.txt"), old, old);
    await walk(join(root, "1"), null);
    await cp(join(root, "outside.txt"), join(src, "bash", "old.txt"), { preserveTimestamps: true });
    await writeFile(join(src, "top.txt"), "tip");
    await utimes(join(src, "top.txt"), old, old);
    expect(await walk(join(root, "2"), join(root, "1"))).toEqual(["bash", "bash/old.txt", "top.txt"]);
  });

  it("lists again a file tar could not read whole for the base, though nothing about it changed", async () => {
    await walk(join(root, "1"), null);
    await writeUnread(join(root, "1"), new Set([`${src.slice(1)}/bash/b.txt`]));
    expect(await walk(join(root, "2"), join(root, "1"))).toEqual(["bash/b.txt"]);
  });

  it("says a manifest of names only (an older agent's) cannot serve as a base, and a missing one is missing", async () => {
    await writeFile(join(root, "old"), "fsrc/top.txt\0");
    expect(await manifestUsable(join(root, "old"))).toBe("names-only");
    expect(await manifestUsable(join(root, "none"))).toBe("missing");
    await walk(join(root, "1"), null);
    expect(await manifestUsable(join(root, "1"))).toBe("usable");
  });
});

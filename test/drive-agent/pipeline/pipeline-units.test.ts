import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CatalogChunk, CatalogEntry } from "../../../contracts/agent-protocol.ts";
import { canonicalEntryLine, canonicalWireLine, SegmentDigests } from "../../../contracts/catalog-digest.ts";
import { toWireEntry } from "../../../contracts/catalog-record.ts";
import type { TocFile } from "../../../contracts/toc.ts";
import { runCommand } from "../../../drive-agent/exec.ts";
import { chunkJson } from "../../../drive-agent/pipeline/catalog-batch.ts";
import { decryptChunk, encryptChunk, uuidBytes } from "../../../drive-agent/pipeline/chunk-format.ts";
import { paddingFor } from "../../../drive-agent/pipeline/drive-writer.ts";
import { EntrySpool } from "../../../drive-agent/pipeline/entry-spool.ts";
import { compileGlobs } from "../../../drive-agent/pipeline/glob.ts";
import { LineSpool } from "../../../drive-agent/pipeline/line-spool.ts";
import { NameSpool } from "../../../drive-agent/pipeline/name-spool.ts";
import { SetCatalog } from "../../../drive-agent/pipeline/set-catalog.ts";
import { memberPath, type TarHeader } from "../../../drive-agent/pipeline/tar-framer.ts";
import { type TarMember, TarParser } from "../../../drive-agent/pipeline/tar-parser.ts";
import { parseTarDiagnostic } from "../../../drive-agent/pipeline/tar-process.ts";

async function tarOf(format: "gnu" | "posix"): Promise<Buffer> {
  const root = await mkdtemp(join(tmpdir(), "tapebackarr-tar-"));
  try {
    const long = join(root, "d".repeat(120));
    await mkdir(long);
    await writeFile(join(long, "ünïcødé <b>.txt"), randomBytes(5000));
    await writeFile(join(root, "empty"), "");
    await symlink("x".repeat(150), join(root, "long-link"));
    const out = await runCommand({
      argv: ["bash", "-c", `tar -c --format=${format} -C "${root}" . | base64 -w0`],
      timeoutMs: 10_000,
    });
    return Buffer.from(out.stdout, "base64");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe("the tar header parser", () => {
  it.each(["gnu", "posix"] as const)(
    "reads %s long names, long link targets, unicode and content hashes whatever the buffer boundaries",
    async (format) => {
      const tar = await tarOf(format);
      const whole: TarMember[] = [];
      new TarParser((m) => whole.push(m)).push(tar);
      const file = whole.find((m) => m.path.endsWith("ünïcødé <b>.txt"));
      expect(file?.path).toBe(`./${"d".repeat(120)}/ünïcødé <b>.txt`.slice(2));
      expect(file?.size).toBe(5000);
      expect(whole.find((m) => m.path === "long-link")?.linkTarget).toBe("x".repeat(150));
      expect(whole.find((m) => m.path === "empty")?.sha256).toMatch(/^e3b0/);
      for (const step of [1, 7, 511, 513, 4096]) {
        const split: TarMember[] = [];
        const parser = new TarParser((m) => split.push(m));
        for (let i = 0; i < tar.length; i += step) parser.push(tar.subarray(i, i + step));
        expect(split).toEqual(whole);
      }
    },
  );
});

describe("encrypted chunks", () => {
  it("decrypt with the key and the set uuid, and refuse a changed index or set", () => {
    const key = randomBytes(32);
    const set = uuidBytes("3f0c4a8e-1b2d-4c5e-8f90-123456789abc");
    const record = Buffer.concat(
      encryptChunk(key, set, { index: 5, plainOffset: 40 << 20, last: true }, [
        Buffer.from("hello "),
        Buffer.from("tape"),
      ]),
    );
    const { header, payload } = decryptChunk(key, set, record);
    expect(header).toMatchObject({ index: 5, plainOffset: 40 << 20, last: true, length: 10 });
    expect(payload.toString()).toBe("hello tape");
    const renumbered = Buffer.from(record);
    renumbered[15] = 6;
    expect(() => decryptChunk(key, set, renumbered)).toThrow();
    expect(() => decryptChunk(key, uuidBytes("00000000-1b2d-4c5e-8f90-123456789abc"), record)).toThrow();
  });
});

describe("padding the last block", () => {
  it("uses a zstd skippable frame at least 8 bytes long and NULs otherwise", () => {
    expect(paddingFor(65536 - 4, 65536, "zstd", false).readUInt32LE(0)).toBe(0x184d2a50);
    expect(paddingFor(65536 - 4, 65536, "zstd", false)).toHaveLength(65536 + 4);
    expect(paddingFor(100, 512, "gzip", false).every((b) => b === 0)).toBe(true);
    expect(paddingFor(512, 512, "zstd", false)).toHaveLength(0);
  });
});

describe("include and exclude globs", () => {
  const match = (patterns: string[], absolute: string, relative: string) =>
    compileGlobs(patterns)?.({ absolute, relative, name: absolute.split("/").pop() ?? "" });
  it("match a name at any depth, a relative path, or an absolute path", () => {
    expect(match(["*.tmp"], "/srv/a/b/x.tmp", "a/b/x.tmp")).toBe(true);
    expect(match(["*.tmp"], "/srv/a/x.tmpl", "a/x.tmpl")).toBe(false);
    expect(match(["cache/**"], "/srv/cache/a/b", "cache/a/b")).toBe(true);
    expect(match(["**/node_modules"], "/srv/x/node_modules", "x/node_modules")).toBe(true);
    expect(match(["/srv/share/tmp"], "/srv/share/tmp", "tmp")).toBe(true);
    expect(match(["file[0-9].txt"], "/s/file7.txt", "file7.txt")).toBe(true);
    expect(compileGlobs([])).toBeNull();
  });
});

describe("the member list between the walk and tar", () => {
  it("reaches tar whole and in order while the walk runs ahead, and a stop ends the feed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tapebackarr-names-"));
    try {
      const spool = new NameSpool(join(dir, "names"));
      // A sink that holds little, read only after the walk has listed everything: the walk never waits.
      const sink = new PassThrough({ highWaterMark: 1024 });
      const names = Array.from({ length: 20_000 }, (_, i) => `srv/d${i % 7}/ünï\ncødé-${i}\0`);
      const fed = spool.feed(sink, new AbortController().signal);
      for (let i = 0; i < names.length; i += 1000) spool.append(names.slice(i, i + 1000).join(""));
      spool.end();
      const got: Buffer[] = [];
      sink.on("data", (piece: Buffer) => got.push(piece));
      await fed;
      expect(Buffer.concat(got).toString("utf8")).toBe(names.join(""));
      spool.close();

      const waiting = new NameSpool(join(dir, "stopped"));
      const stop = new AbortController();
      const feeding = waiting.feed(new PassThrough(), stop.signal);
      waiting.append("a\0");
      stop.abort();
      await feeding; // resolves although the walk never ended
      waiting.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails the feed when tar's input fails while the list waits for it to drain (tar gone), instead of waiting on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tapebackarr-names-"));
    try {
      const spool = new NameSpool(join(dir, "names"));
      const sink = new PassThrough({ highWaterMark: 16 });
      const fed = spool.feed(sink, new AbortController().signal);
      spool.append(`${"srv/ünïcødé-".repeat(40)}\0`.repeat(100));
      // Nobody reads the sink, so the feed is waiting for "drain" when the pipe breaks.
      while (!sink.writableNeedDrain) await new Promise((resolve) => setImmediate(resolve));
      sink.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      await expect(fed).rejects.toThrow("EPIPE");
      spool.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("tar diagnostics", () => {
  it("turn a vanished or unreadable file into a warning naming its path", () => {
    expect(parseTarDiagnostic("tar: srv/a: b.txt: Warning: Cannot stat: No such file or directory")).toEqual({
      level: "warn",
      message: "Cannot stat: No such file or directory",
      path: "/srv/a: b.txt",
    });
    expect(parseTarDiagnostic("tar: srv/log: file changed as we read it")?.path).toBe("/srv/log");
    expect(parseTarDiagnostic("tar: Exiting with failure status due to previous errors")).toBeNull();
  });
});

describe("SetCatalog: the TOC of each tape", () => {
  it("lists a member whose header is on a tape that fills up before the chunk holding its end is compressed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tb-set-catalog-"));
    const chunkBytes = 1024;
    const spool = new EntrySpool(join(dir, "entries"), chunkBytes);
    const member = (path: string, headerOffset: number, endOffset: number): TarMember => ({
      path,
      type: "file",
      size: endOffset - headerOffset - 512,
      mode: 0o644,
      uid: 1000,
      gid: 100,
      mtime: 1_700_000_000,
      linkTarget: null,
      sha256: null,
      headerOffset,
      endOffset,
    });
    spool.add(member("small.txt", 0, 600));
    spool.add(member("big.bin", 1024, 4000)); // chunks 1..3
    spool.flush();
    const catalog = new SetCatalog({
      spool,
      setUuid: "6a0c7f0e-3f5e-4a55-9a36-0d4b8d1f0a11",
      passthrough: false,
      blockSize: 512,
      workDir: dir,
      chunkEntries: 100,
      openOffset: () => 4096,
      chunkBytes,
      send: async () => undefined,
    });
    try {
      const segment = catalog.startSegment(0);
      // Chunks 0 and 1 are on tape; the tape fills while chunks 2 and 3 are still being compressed.
      catalog.onPlacement({ index: 0, plainStart: 0, plainEnd: 1024, streamStart: 0, streamEnd: 300 });
      catalog.onPlacement({ index: 1, plainStart: 1024, plainEnd: 2048, streamStart: 300, streamEnd: 700 });
      await catalog.commit(700);
      catalog.closeSegment();
      const listed = [...segment.toc.read("\n")].join("").split("\n").filter(Boolean);
      expect(listed.map((line) => (JSON.parse(line) as TocFile).path)).toEqual(["small.txt", "big.bin"]);
      expect(JSON.parse(listed[1] as string)).toMatchObject({ uid: 1000, gid: 100 });
    } finally {
      spool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lists a file tar is still streaming when its tape fills in that tape's TOC, without a sha256", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tb-catalog-"));
    const spool = new EntrySpool(join(dir, "entries"), 1024);
    // Nothing is spooled yet: huge.bin's header is on tape, its last byte not even read from tar.
    const open: TarHeader = {
      path: "huge.bin",
      type: "file",
      size: 1_000_000,
      contentBytes: 1_000_000,
      mode: 0o600,
      uid: 7,
      gid: 8,
      mtime: 1_700_000_000,
      linkTarget: null,
      headerOffset: 512,
      endOffset: 512 + 512 + 1_000_000,
      device: null,
      sparse: null,
    };
    const catalog = new SetCatalog({
      spool,
      setUuid: "6a0c7f0e-3f5e-4a55-9a36-0d4b8d1f0a11",
      passthrough: true,
      blockSize: 512,
      workDir: dir,
      chunkEntries: 100,
      openOffset: () => 512,
      openMember: () => open,
      chunkBytes: 1024,
      send: async () => undefined,
    });
    try {
      const first = catalog.startSegment(0);
      await catalog.commit(4096);
      catalog.closeSegment();
      const listed = [...first.toc.read("\n")].join("").split("\n").filter(Boolean);
      expect(listed.map((line) => JSON.parse(line) as TocFile)).toEqual([
        expect.objectContaining({ path: "huge.bin", size: 1_000_000, sha256: null, uid: 7, gid: 8 }),
      ]);
      // Once tar has given its last byte it is catalogued with its sha256, and listed on no other tape.
      const second = catalog.startSegment(1);
      spool.add({ ...open, sha256: "a".repeat(64) });
      spool.flush();
      await catalog.commit(2_000_000);
      catalog.closeSegment();
      expect([...second.toc.read("\n")].join("")).toBe("");
    } finally {
      spool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("SetCatalog: one encoding per member", () => {
  it("sends each member's entry and lists its TOC line byte for byte as JSON.stringify of its tuple and TocFile, with the hub's digest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tb-encoding-"));
    const spool = new EntrySpool(join(dir, "entries"), 1 << 20);
    const odd = [
      'q"u\\o\tte',
      "new\nline",
      "ctl\u0001\u001f",
      "lone\ud800",
      "pair\u{1f600}",
      "ünï",
      "/abs",
      "dir/",
      "/",
      "a//b",
    ];
    const members: TarMember[] = [];
    let offset = 0;
    for (let i = 0; i < 300; i++) {
      const name = odd[i % odd.length] as string;
      const type = (["file", "dir", "symlink", "hardlink", "fifo"] as const)[i % 5] as TarMember["type"];
      const link = type === "symlink" || type === "hardlink" ? `${odd[(i + 3) % odd.length]}→${i}` : null;
      const size = type === "file" ? i * 7 : 0;
      members.push({
        path: `d${i % 7}/${name}${i}`.replace(/^d\d\/\//, "/"),
        type,
        size,
        mode: i % 3 === 0 ? 0o4755 : 0o644,
        uid: i,
        gid: 2 ** 31 + i,
        mtime: i % 11 === 4 ? -86_400 * i : 1_700_000_000 + (i >> 2), // before 1970 too
        linkTarget: link,
        sha256: type === "file" ? createHash("sha256").update(String(i)).digest("hex") : null,
        headerOffset: offset,
        endOffset: offset + 512 + size,
      });
      offset += 1024 + size;
    }
    members.push({ ...(members[8] as TarMember), path: "/", headerOffset: offset, endOffset: offset + 512 });
    for (const member of members) spool.add(member);
    spool.flush();
    const tocTypes: Record<string, TocFile["type"]> = {
      file: "file",
      dir: "directory",
      symlink: "symlink",
      hardlink: "hardlink",
    };
    const chunks: CatalogChunk[] = [];
    const catalog = new SetCatalog({
      spool,
      setUuid: "6a0c7f0e-3f5e-4a55-9a36-0d4b8d1f0a11",
      passthrough: true,
      blockSize: 512,
      workDir: dir,
      chunkEntries: 100,
      openOffset: () => offset + 1024,
      chunkBytes: 1 << 20,
      send: async (chunk) => {
        chunks.push(chunk);
      },
    });
    try {
      const segment = catalog.startSegment(0);
      await catalog.commit(offset + 1024);
      await catalog.flush();
      const wire = members.map((m) =>
        toWireEntry({ ...m, offset: m.headerOffset, segment: 0, endSegment: 0, deleted: false }),
      );
      expect(chunks.map((c) => c.entries.length)).toEqual([100, 100, 100, 1]);
      expect(chunks.map(chunkJson)).toEqual(
        chunks.map((c, i) =>
          JSON.stringify({ setUuid: c.setUuid, seq: i, entries: wire.slice(i * 100, i * 100 + 100) }),
        ),
      );
      expect(chunks.flatMap((c) => c.entries)).toEqual(wire);
      const hubs = new SegmentDigests(); // @noble/hashes, as the hub digests
      for (const entry of wire) hubs.add(entry);
      expect(catalog.tallies()).toEqual([
        { sequence: 0, entries: wire.length, digest: hubs.bySegment.get(0)?.hex() },
      ]);
      const toc = [...segment.toc.read("\n")].join("").split("\n");
      expect(toc).toEqual(
        members.map((m) =>
          JSON.stringify({
            path: m.path,
            size: m.size,
            mtime: new Date(m.mtime * 1000).toISOString(),
            mode: `0${m.mode.toString(8).padStart(3, "0")}`,
            type: tocTypes[m.type] ?? "other",
            sha256: m.sha256,
            position: { byteOffset: m.headerOffset, block: Math.floor(m.headerOffset / 512) },
            ...(m.linkTarget !== null ? { linkTarget: m.linkTarget } : {}),
            uid: m.uid,
            gid: m.gid,
          } satisfies TocFile),
        ),
      );
    } finally {
      spool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the catalog digest's line for an entry given as its wire JSON", () => {
  it("is canonicalEntryLine's for paths with and without slashes at either end", () => {
    const paths = [
      "a",
      "a/b",
      "a//b",
      "a/",
      "a//",
      "/",
      "//",
      "/a",
      "/a/b",
      "/a/",
      '"/',
      '/"',
      "\\/",
      "x\\",
      "é/",
    ];
    for (const path of paths) {
      const entry: CatalogEntry = [path, "dir", 0, 0o755, 0, 0, 1, null, null, 0, 0, 0, false];
      const line = JSON.stringify(entry);
      expect(canonicalWireLine(line, JSON.stringify(path)), path).toBe(canonicalEntryLine(entry, line));
    }
  });
});

describe("a tar member's name", () => {
  it("loses a leading ./ and its trailing slashes as the two regular expressions took them", () => {
    const names = [
      "a",
      "./a",
      "./",
      ".//",
      "././a",
      "a/",
      "a///",
      "/",
      "///",
      "/a/",
      ".",
      "..",
      "./.",
      "",
      ".a/",
      "é/",
    ];
    for (const name of names)
      expect(memberPath(name), name).toBe(name.replace(/^\.\//, "").replace(/\/+$/, "") || ".");
  });
});

describe("a line spool read back joined", () => {
  it("gives the lines joined by the separator, byte for byte, whatever the pieces' size", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tb-line-spool-"));
    const spool = new LineSpool(join(dir, "lines"));
    try {
      const lines = Array.from(
        { length: 500 },
        (_, i) => `{"path":"ünï\\u0001\u{1f600}${"x".repeat(i % 37)}","n":${i}}`,
      );
      for (const line of lines) spool.add(line);
      const joined = Buffer.from(lines.join(",\n"), "utf8");
      for (const piece of [128, 1000, 1 << 20])
        expect(Buffer.concat([...spool.read(",\n", piece)]).equals(joined), `pieces of ${piece}`).toBe(true);
      expect(Buffer.concat([...spool.read("", 128)]).toString("utf8")).toBe(lines.join(""));
    } finally {
      spool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

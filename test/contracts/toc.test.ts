import { describe, expect, it } from "vitest";
import { decodeToc, encodeToc, TOC_MAGIC, TOC_VERSION, type Toc } from "../../contracts/toc.ts";

const sampleToc: Toc = {
  magic: TOC_MAGIC,
  version: TOC_VERSION,
  setId: "set-2026-11-26-01",
  job: { id: "job-1", name: "file server <weekly>" },
  startedAt: "2026-11-26T18:00:00.000Z",
  finishedAt: "2026-11-26T18:05:00.000Z",
  tape: { label: "WEEKLY-001", uuid: "5b0c8a4e", sequence: 1, dataFile: 1, continues: false },
  compression: "none",
  encryption: { algorithm: "none", keyFingerprint: null },
  blockSize: 65536,
  dataBytes: 131072,
  files: [
    {
      path: "etc/hosts",
      size: 120,
      mtime: "2026-11-01T00:00:00.000Z",
      mode: "0644",
      type: "file",
      sha256: "a".repeat(64),
      position: { byteOffset: 512, block: 0 },
    },
  ],
};

describe("TOC", () => {
  it("pads the JSON with NULs to a whole number of blocks", () => {
    const bytes = encodeToc(sampleToc);
    expect(bytes.length % 65536).toBe(0);
    expect(bytes.at(-1)).toBe(0);
  });

  it("round-trips through encode and decode", () => {
    expect(decodeToc(encodeToc(sampleToc))).toEqual({ kind: "toc", toc: sampleToc });
  });

  it("says not-toc for tar data and for JSON of another shape", () => {
    expect(decodeToc(new TextEncoder().encode("./etc/hosts\0\0\0")).kind).toBe("not-toc");
    expect(decodeToc(new TextEncoder().encode('{"magic":"other"}')).kind).toBe("not-toc");
  });

  it("refuses a TOC whose file entry lacks a position", () => {
    const broken = { ...sampleToc, files: [{ ...sampleToc.files[0], position: undefined }] };
    expect(() => encodeToc(broken as unknown as Toc)).toThrow();
  });
});

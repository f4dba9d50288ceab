import { documentedBlocks } from "../../../contracts/doc-blocks.ts";

export type PassportSet = {
  dataFile: number;
  tocFile: number;
  compression: string;
  encrypted: boolean;
};

const fileName = (n: number) => `file-${String(n).padStart(4, "0")}`;

/**
 * The commands a passport prints, cut from docs/tape-format.md's `sh test:` blocks (the ones its
 * test runs) with this set's tape file numbers put in: the doc's first set is files 1 and 2, its
 * second (zstd) set files 3 and 4. Nothing here is written by hand but the renumbering.
 */
export function passportCommands(markdown: string, set: PassportSet): { title: string; sh: string }[] {
  const blocks = documentedBlocks(markdown);
  const streams = documentedBlocks(markdown, "test-stream");
  const renumber = (text: string, data: string, toc: string) =>
    text.replaceAll(data, fileName(set.dataFile)).replaceAll(toc, fileName(set.tocFile));
  const out: { title: string; sh: string }[] = [];
  const toc = blocks.get("toc");
  if (toc)
    out.push({
      title: "Its TOC: set id, job, number of files, then every path",
      sh: renumber(toc, "file-0001", "file-0002"),
    });
  if (set.encrypted) {
    const decrypt = streams.get("decrypt");
    if (decrypt) {
      // The doc's encrypted set is zstd; a gzip or uncompressed one changes only that step.
      const sh = renumber(decrypt, "file-0001", "file-0002");
      const decompress =
        set.compression === "gzip" ? "| gzip -dc " : set.compression === "none" ? "" : "| zstd -dc ";
      out.push({
        title: "Decrypt (with the key from the key sheet, unwrapped to $KEY) and list",
        sh: sh.replaceAll("| zstd -dc ", decompress),
      });
    }
  } else if (set.compression === "zstd" || set.compression === "gzip") {
    const zstd = blocks.get("verify-zstd");
    if (zstd) {
      const sh = renumber(zstd, "file-0003", "file-0004");
      out.push({
        title: "Extract and check every file against the TOC",
        sh: set.compression === "gzip" ? sh.replaceAll("zstd -dc", "gzip -dc") : sh,
      });
    }
  } else {
    const verify = blocks.get("verify");
    if (verify)
      out.push({
        title: "Extract and check every file against the TOC",
        sh: renumber(verify, "file-0001", "file-0002"),
      });
  }
  return out;
}

/** The label command, as the doc's test runs it. */
export const labelCommand = (markdown: string) => documentedBlocks(markdown).get("label") ?? "";

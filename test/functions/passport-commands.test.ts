import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { documentedBlocks } from "../../contracts/doc-blocks.ts";
import { passportCommands } from "../../functions/services/passports/passport-commands.ts";

const doc = await readFile(new URL("../../docs/tape-format.md", import.meta.url), "utf8");

describe("a passport's commands, cut from docs/tape-format.md's tested blocks", () => {
  it("renumbers the tape files for the third set on a tape (files 5 and 6)", () => {
    const [toc, verify] = passportCommands(doc, {
      dataFile: 5,
      tocFile: 6,
      compression: "none",
      encrypted: false,
    });
    expect(toc?.sh).toBe(documentedBlocks(doc).get("toc")?.replaceAll("file-0002", "file-0006"));
    expect(verify?.sh).toBe(
      documentedBlocks(doc)
        .get("verify")
        ?.replaceAll("file-0001", "file-0005")
        .replaceAll("file-0002", "file-0006"),
    );
  });

  it("decompresses as the set was written: zstd, gzip, or not at all for an encrypted set", () => {
    const sh = (compression: string) =>
      passportCommands(doc, { dataFile: 1, tocFile: 2, compression, encrypted: true })[1]?.sh ?? "";
    expect(sh("zstd")).toBe(documentedBlocks(doc, "test-stream").get("decrypt"));
    expect(sh("gzip")).toContain('"$CART/file-0001" | gzip -dc | { tar -t; cat > /dev/null; }');
    expect(sh("none")).toContain('"$CART/file-0001" | { tar -t; cat > /dev/null; }');
    const gzipPlain = passportCommands(doc, {
      dataFile: 3,
      tocFile: 4,
      compression: "gzip",
      encrypted: false,
    })[1];
    expect(gzipPlain?.sh).toContain('gzip -dc < "$CART/file-0003"');
  });
});

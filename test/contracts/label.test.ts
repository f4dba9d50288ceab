import { describe, expect, it } from "vitest";
import { decodeLabel, encodeLabel, LABEL_BLOCK_SIZE } from "../../contracts/label.ts";

const block = (text: string) => {
  const bytes = new Uint8Array(LABEL_BLOCK_SIZE);
  bytes.set(new TextEncoder().encode(text));
  return bytes;
};

describe("tape label", () => {
  const label = {
    label: "WEEKLY-001",
    uuid: "5b0c8a4e-8e0f-4a5e-9d43-1f1e2a3b4c5d",
    pool: "weekly",
    timestamp: 1_764_180_000,
    encryptionFingerprint: "sha256:ab12cd34",
    compression: "zstd" as const,
  };

  it("encodes the seven fields NUL-padded to exactly 512 bytes", () => {
    const bytes = encodeLabel(label);
    expect(bytes.length).toBe(512);
    const text = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
    expect(text).toBe(`TAPEBACKARR|WEEKLY-001|${label.uuid}|weekly|1764180000|sha256:ab12cd34|zstd`);
    expect(bytes.subarray(text.length).every((b) => b === 0)).toBe(true);
  });

  it("round-trips the full form", () => {
    expect(decodeLabel(encodeLabel(label))).toEqual({ kind: "label", label: { ...label, form: "full" } });
  });

  it("reads the short label TAPEBACKARR|label|timestamp of older Go TapeBackarr tapes", () => {
    expect(decodeLabel(block("TAPEBACKARR|OLD-007|1700000000"))).toEqual({
      kind: "label",
      label: {
        label: "OLD-007",
        uuid: "",
        pool: "",
        timestamp: 1_700_000_000,
        encryptionFingerprint: "",
        compression: "",
        form: "short",
      },
    });
  });

  it("reads the five- and six-field forms the Go project wrote in between", () => {
    const five = decodeLabel(block("TAPEBACKARR|T-1|uuid-1234|pool-a|1234567890"));
    expect(five).toMatchObject({
      kind: "label",
      label: { label: "T-1", uuid: "uuid-1234", pool: "pool-a", timestamp: 1234567890 },
    });
    const six = decodeLabel(block("TAPEBACKARR|T-2|u|p|1234567890|fp"));
    expect(six).toMatchObject({ kind: "label", label: { encryptionFingerprint: "fp", compression: "" } });
  });

  it("calls an all-NUL block empty and a tar header foreign", () => {
    expect(decodeLabel(new Uint8Array(512))).toEqual({ kind: "empty" });
    const tarHeader = block("./etc/hostname\0\0\0\0");
    expect(decodeLabel(tarHeader)).toMatchObject({ kind: "foreign" });
  });

  it("refuses a field containing the delimiter, which would shift every field after it", () => {
    expect(() => encodeLabel({ ...label, pool: "a|b" })).toThrow();
  });
});

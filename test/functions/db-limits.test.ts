import { describe, expect, it } from "vitest";
import { D1_LIMITS, jsonParts, MAX_JSON_VALUE_BYTES, rowsPerStatement } from "../../functions/db/limits.ts";

const bytes = (s: string) => Buffer.byteLength(s);

describe("the catalog's statement limits (D1's, the strictest driver)", () => {
  it("keeps a bound JSON value under D1's largest value with room to spare", () => {
    expect(MAX_JSON_VALUE_BYTES).toBeLessThan(D1_LIMITS.valueBytes);
  });

  it("cuts rows into JSON arrays of at most the byte limit, counted in UTF-8, losing and reordering nothing", () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => [
      `日本語のフォルダ-${i}`.repeat(1 + (i % 7)),
      i,
      null,
    ]);
    const parts = jsonParts(rows, 10_000);
    expect(parts.length).toBeGreaterThan(10);
    for (const part of parts) expect(bytes(part)).toBeLessThanOrEqual(10_000);
    // Cut as late as the limit allows.
    for (const part of parts.slice(0, -1)) expect(bytes(part)).toBeGreaterThan(10_000 - 1_000);
    expect(parts.flatMap((p) => JSON.parse(p))).toEqual(rows);
  });

  it("gives one empty array for no rows, and a row larger than the limit a part of its own", () => {
    expect(jsonParts([])).toEqual(["[]"]);
    const big = "x".repeat(50);
    expect(jsonParts(["a", big, "b"], 20).map((p) => JSON.parse(p))).toEqual([["a"], [big], ["b"]]);
  });

  it("cuts a row-by-row insert so no statement binds more than D1's 100 values", () => {
    const parts = rowsPerStatement(
      Array.from({ length: 101 }, (_, i) => i),
      4,
    );
    expect(parts.map((p) => p.length)).toEqual([25, 25, 25, 25, 1]);
    expect(parts.flat()).toHaveLength(101);
  });
});

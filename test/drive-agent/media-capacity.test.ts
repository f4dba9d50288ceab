import { describe, expect, it } from "vitest";
import { capacityOfBarcode, capacityOfGeneration } from "../../drive-agent/drives/media-capacity.ts";

describe("a cartridge's native capacity from what the library prints", () => {
  it("reads the media type from the barcode suffix, L1 to L9, M8 and LA", () => {
    expect(capacityOfBarcode("E01001L8")).toBe(12e12);
    expect(capacityOfBarcode("TB0001L9")).toBe(18e12);
    expect(capacityOfBarcode("ABC123L5")).toBe(1.5e12);
    expect(capacityOfBarcode("ABC123L1")).toBe(100e9);
    expect(capacityOfBarcode("ABC123M8")).toBe(9e12);
    expect(capacityOfBarcode("IBM015LA")).toBe(30e12);
  });

  it("a cleaning cartridge, an unknown suffix or no barcode has no capacity, and nothing throws", () => {
    expect(capacityOfBarcode("CLNA0001")).toBeNull();
    expect(capacityOfBarcode("CLN001L1")).toBeNull();
    expect(capacityOfBarcode("ABC123X7")).toBeNull();
    expect(capacityOfBarcode("L9")).toBeNull();
    expect(capacityOfBarcode(null)).toBeNull();
  });

  it("falls back to the density's generation when the barcode says nothing", () => {
    expect(capacityOfGeneration("LTO-6")).toBe(2.5e12);
    expect(capacityOfGeneration(null)).toBeNull();
  });
});

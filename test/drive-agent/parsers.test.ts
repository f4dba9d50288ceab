import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMtxStatus } from "../../drive-agent/drives/changer/parse-mtx-status.ts";
import { parseErrorCounters } from "../../drive-agent/drives/st/parse-error-counters.ts";
import { parseMtStatus, parseMtTell } from "../../drive-agent/drives/st/parse-mt-status.ts";
import { parseReadAttr } from "../../drive-agent/drives/st/parse-read-attr.ts";
import { parseTapeAlerts } from "../../drive-agent/drives/st/parse-tape-alert.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

describe("mt status parser", () => {
  it.each([
    ["mt/status-lto5-bot.txt", 0x58, "LTO-5"],
    ["mt/status-lto6-eof.txt", 0x5a, "LTO-6"],
    ["mt/status-lto7-eod.txt", 0x5c, "LTO-7"],
    ["mt/status-lto8-wrprot.txt", 0x5e, "LTO-8"],
    ["mt/status-lto9-after-seek.txt", 0x60, "LTO-9"],
  ])("maps the density code in %s to its LTO generation", (file, code, generation) => {
    const status = parseMtStatus(fixture(file));
    expect(status.densityCode).toBe(code);
    expect(status.generation).toBe(generation);
  });

  it("reads BOT and ONLINE at the start of a loaded tape", () => {
    const status = parseMtStatus(fixture("mt/status-lto5-bot.txt"));
    expect(status).toMatchObject({
      fileNumber: 0,
      blockNumber: 0,
      partition: 0,
      blockSize: 0,
      statusBits: 0x41010000,
    });
    expect(status.flags).toEqual({
      bot: true,
      eof: false,
      eot: false,
      eod: false,
      online: true,
      doorOpen: false,
      writeProtected: false,
    });
  });

  it("reads the file number, block size and EOF after spacing over file marks", () => {
    const status = parseMtStatus(fixture("mt/status-lto6-eof.txt"));
    expect(status).toMatchObject({ fileNumber: 2, blockNumber: 0, blockSize: 65536 });
    expect(status.flags.eof).toBe(true);
  });

  it("reads EOD, EOT and WR_PROT flags", () => {
    expect(parseMtStatus(fixture("mt/status-lto7-eod.txt")).flags.eod).toBe(true);
    expect(parseMtStatus(fixture("mt/status-lto9-eot.txt")).flags.eot).toBe(true);
    const wp = parseMtStatus(fixture("mt/status-lto8-wrprot.txt"));
    expect(wp.flags.writeProtected).toBe(true);
    expect(wp.blockNumber).toBe(8192);
  });

  it("reports unknown positions as -1 after a seek, as st does", () => {
    const status = parseMtStatus(fixture("mt/status-lto9-after-seek.txt"));
    expect(status.fileNumber).toBe(-1);
    expect(status.blockNumber).toBe(-1);
    expect(status.densityName).toBe("no translation");
  });

  it("sees an empty drive as door open and offline with no generation", () => {
    const status = parseMtStatus(fixture("mt/status-no-tape.txt"));
    expect(status.flags.doorOpen).toBe(true);
    expect(status.flags.online).toBe(false);
    expect(status.generation).toBeNull();
  });

  it("reads the logical block address from mt tell", () => {
    expect(parseMtTell(fixture("mt/tell.txt"))).toBe(1048577);
  });

  it("rejects output that is not mt status", () => {
    expect(() => parseMtStatus("mt: /dev/nst0: No such device")).toThrow(/File number/);
  });
});

describe("sg_logs TapeAlert parser", () => {
  it("finds no active flags on a healthy drive and sees all 64 parameters", () => {
    const page = parseTapeAlerts(fixture("sg/sg-logs-tapealert-clean.txt"));
    expect(page.active).toEqual([]);
    expect(page.flagsSeen).toBe(64);
    expect(page.device).toEqual({ vendor: "IBM", product: "ULT3580-HH7", revision: "J4D1" });
  });

  it("reports cleaning required as critical and nearing media life as information", () => {
    const page = parseTapeAlerts(fixture("sg/sg-logs-tapealert-cleaning.txt"));
    expect(page.active).toEqual([
      { code: 19, name: "Nearing media life", severity: "information" },
      { code: 20, name: "Cleaning required", severity: "critical" },
    ]);
  });

  it("reports the write-protect flag by its parameter code", () => {
    expect(
      parseTapeAlerts(fixture("sg/sg-logs-tapealert-write-protect.txt")).active.map((a) => a.code),
    ).toEqual([9]);
  });
});

describe("sg_read_attr cartridge memory parser", () => {
  it("reads barcode, manufacturer, serial, load count and capacity of an LTO-9 cartridge", () => {
    const mam = parseReadAttr(fixture("sg/sg-read-attr-lto9.txt"));
    expect(mam).toMatchObject({
      barcode: "TB0001L9",
      manufacturer: "FUJIFILM",
      serialNumber: "C930261DB4",
      loadCount: 37,
      remainingCapacityMiB: 17022346,
      maximumCapacityMiB: 17166336,
      densityCode: 0x60,
      generation: "LTO-9",
      manufactureDate: "20220315",
    });
  });

  it("trims padded values of an LTO-6 cartridge", () => {
    const mam = parseReadAttr(fixture("sg/sg-read-attr-lto6.txt"));
    expect(mam).toMatchObject({
      barcode: "000042L6",
      manufacturer: "HP",
      loadCount: 112,
      generation: "LTO-6",
    });
  });
});

describe("mtx status parser", () => {
  it("reads drives, full and empty slots, volume tags and the import/export slot of a library", () => {
    const inv = parseMtxStatus(fixture("mtx/status-library-24.txt"));
    expect(inv.device).toBe("/dev/sg4");
    expect(inv.drives).toEqual([{ index: 0, full: true, sourceSlot: 3, barcode: "TB0003L8" }]);
    expect(inv.slots).toHaveLength(24);
    expect(inv.slots[0]).toEqual({ slot: 1, full: true, barcode: "TB0001L8", importExport: false });
    expect(inv.slots[2]).toEqual({ slot: 3, full: false, barcode: null, importExport: false });
    expect(inv.slots.find((s) => s.barcode === "CLN001L1")?.slot).toBe(12);
    expect(inv.slots[23]).toEqual({ slot: 24, full: false, barcode: null, importExport: true });
  });

  it("reads an empty drive and a loaded one in a two-drive autoloader", () => {
    const inv = parseMtxStatus(fixture("mtx/status-autoloader-2drives.txt"));
    expect(inv.drives).toEqual([
      { index: 0, full: false, sourceSlot: null, barcode: null },
      { index: 1, full: true, sourceSlot: 8, barcode: "000108L9" },
    ]);
    expect(inv.slots.filter((s) => s.full).map((s) => s.barcode)).toEqual([
      "000101L9",
      "000102L9",
      "000104L9",
      "CLNU01L1",
    ]);
  });

  it("keeps full slots without volume tags when the changer has no barcode reader", () => {
    const inv = parseMtxStatus(fixture("mtx/status-no-barcode-reader.txt"));
    expect(inv.drives[0]).toEqual({ index: 0, full: true, sourceSlot: null, barcode: null });
    expect(inv.slots.filter((s) => s.full).map((s) => s.slot)).toEqual([1, 2, 5]);
  });
});

describe("sg_logs error counter parser", () => {
  it.each([
    [
      "sg/sg-logs-write-errors-lto6.txt",
      { direction: "write", corrected: 12, uncorrected: 0, bytesProcessed: 3049406054400 },
    ],
    [
      "sg/sg-logs-read-errors-lto9.txt",
      { direction: "read", corrected: 4, uncorrected: 2, bytesProcessed: 18014398509481 },
    ],
    [
      "sg/sg-logs-write-errors-none.txt",
      { direction: "write", corrected: 0, uncorrected: 0, bytesProcessed: 0 },
    ],
  ])("reads the totals of %s (vendor parameters ignored)", (file, expected) => {
    expect(parseErrorCounters(fixture(file))).toEqual(expected);
  });

  it("refuses output that is not an error counter page", () => {
    expect(() => parseErrorCounters(fixture("sg/sg-logs-tapealert-clean.txt"))).toThrow(
      "sg_logs output has no 'Write/Read error counter page' header",
    );
  });
});

describe("the sg fixtures' provenance", () => {
  it("names in the fixtures' README where each sg fixture came from", () => {
    const readme = fixture("sg/README.md");
    const files = readdirSync(new URL("../fixtures/sg/", import.meta.url)).filter((f) => f.endsWith(".txt"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(readme, file).toContain(`\`${file}\``);
  });
});

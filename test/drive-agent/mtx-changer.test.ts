import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MtxChanger } from "../../drive-agent/drives/changer/mtx-changer.ts";
import type { RunCommand } from "../../drive-agent/exec.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

describe("mtx changer", () => {
  it("runs mtx on the changer's sg node for inventory, load, unload and transfer", async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (request) => {
      calls.push([...request.argv]);
      const stdout = request.argv[3] === "status" ? fixture("mtx/status-library-24.txt") : "";
      return { exitCode: 0, stdout, stderr: "" };
    };
    const changer = new MtxChanger({ device: "/dev/sg4", run });
    expect((await changer.inventory()).drives[0]?.barcode).toBe("TB0003L8");
    await changer.unload(3, 0);
    await changer.load(1, 0);
    await changer.transfer(2, 24);
    expect(calls.map((argv) => argv.slice(3).join(" "))).toEqual([
      "status",
      "unload 3 0",
      "load 1 0",
      "transfer 2 24",
    ]);
  });

  it("reports a refused move as a changer error an operator must look at", async () => {
    const changer = new MtxChanger({
      device: "/dev/sg4",
      run: async () => ({ exitCode: 1, stdout: "", stderr: "Storage Element 2 is Already Full\n" }),
    });
    await expect(changer.transfer(1, 2)).rejects.toMatchObject({
      code: "CHANGER_ERROR",
      recovery: "operator",
      message: expect.stringContaining("Already Full"),
    });
  });
});

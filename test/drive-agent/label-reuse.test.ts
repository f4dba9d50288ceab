import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LabelOrderBody } from "../../contracts/agent-protocol.ts";
import { executeLabel } from "../../drive-agent/orders/label.ts";
import type { ExecutorContext } from "../../drive-agent/orders/types.ts";
import { openOrderDrive } from "../../drive-agent/runtime/order-drive.ts";
import { readTapeLabel } from "../../drive-agent/tape/label-tape.ts";
import { createTestLibrary, type TestLibrary } from "./helpers/vtl-fixture.ts";
import { FakeReporter } from "./pipeline/helpers.ts";

const label = (uuid: string, extra: Partial<LabelOrderBody> = {}): LabelOrderBody => ({
  kind: "label",
  runId: null,
  drive: { devicePath: "vtl0" },
  tape: { barcode: "TB0001L9", label: "TB0001L9", uuid, pool: "Weekly" },
  force: false,
  ...extra,
});

/** A reuse relabel overwrites only the tape whose label the hub checked (issue 15). */
describe("label order with an expected uuid (a reuse)", () => {
  let library: TestLibrary;
  beforeEach(async () => {
    library = await createTestLibrary({ drives: 1, slots: 2 });
  });
  afterEach(() => library.cleanup());

  async function run(body: LabelOrderBody) {
    const opened = await openOrderDrive(
      { kind: "vtl", library: library.dir, index: 0 },
      { kind: "vtl", library: library.dir },
      new AbortController().signal,
    );
    const ctx: ExecutorContext = {
      ...opened,
      reporter: new FakeReporter(),
      signal: new AbortController().signal,
      workDir: library.root,
      log: () => {},
    };
    try {
      const result = await executeLabel(body, ctx);
      const after = await readTapeLabel(opened.drive);
      return { result, after };
    } finally {
      await opened.drive.close();
    }
  }

  it("refuses to overwrite a tape whose label is not the one the hub checked, and leaves the label as it was", async () => {
    expect((await run(label("first-uuid"))).result.state).toBe("completed");
    const { result, after } = await run(label("new-uuid", { force: true, expectedUuid: "some-other-uuid" }));
    expect(result).toMatchObject({
      state: "failed",
      retryable: false,
      error:
        "tape TB0001L9 does not carry the label the hub expects to reuse (uuid some-other-uuid); it was not overwritten",
    });
    expect(after.kind === "labelled" && after.label.uuid).toBe("first-uuid");
  });

  it("relabels the tape whose label carries the expected uuid", async () => {
    await run(label("first-uuid"));
    const { result, after } = await run(label("new-uuid", { force: true, expectedUuid: "first-uuid" }));
    expect(result.state).toBe("completed");
    expect(after.kind === "labelled" && after.label.uuid).toBe("new-uuid");
  });
});

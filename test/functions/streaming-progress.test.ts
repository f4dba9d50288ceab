import { describe, expect, it } from "vitest";
import { getRunView } from "../../functions/services/runs/get-run-view.ts";
import { acknowledgedBackupOrder } from "../helpers/backup-order.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

/** A backup's streaming figures as the hub keeps them: from each progress report, then the result. */
describe("streaming health through the agent protocol", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  const progress = (seq: number, streaming: unknown) => ({
    seq,
    state: "running",
    bytesDone: 1000 * seq,
    bytesTotal: null,
    filesDone: seq,
    filesTotal: null,
    currentPath: null,
    rateBytesPerSec: null,
    etaSeconds: null,
    tapeBarcode: null,
    message: null,
    streaming,
  });

  it("keeps the latest progress report's figures on the run, says shoe-shining on its page model, and takes the result's at the end", async () => {
    const order = await acknowledgedBackupOrder(hub, admin);
    const post = (path: string, json: unknown) =>
      order.agent.call("POST", `/orders/${order.orderId}/${path}`, json);
    const slow = { waits: 3, waitedMs: 1500, bytes: 8e6, feedBytesPerSec: 2e6, minBytesPerSec: 177e6 };
    expect((await post("progress", progress(1, slow))).status).toBe(200);
    const live = await getRunView(hub.ctx, order.runId);
    expect(live.streaming).toEqual(slow);
    expect(live.streamingVerdict?.shoeShining).toBe(true);
    // A report without figures (before the first write of a later tape) keeps what the run had.
    expect((await post("progress", progress(2, undefined))).status).toBe(200);
    expect((await getRunView(hub.ctx, order.runId)).streaming).toEqual(slow);
    const fast = { ...slow, waits: 0, feedBytesPerSec: 300e6 };
    const done = await post("result", { state: "failed", error: "drive fault", streaming: fast });
    expect(done.status).toBe(204);
    const after = await getRunView(hub.ctx, order.runId);
    expect(after.streaming).toEqual(fast);
    expect(after.streamingVerdict).toMatchObject({ shoeShining: false, advice: [] });
  });

  it("refuses figures that break the contract", async () => {
    const order = await acknowledgedBackupOrder(hub, admin);
    const res = await order.agent.call(
      "POST",
      `/orders/${order.orderId}/progress`,
      progress(1, { waits: -1, waitedMs: 0, bytes: 0, feedBytesPerSec: null, minBytesPerSec: null }),
    );
    expect(res.status).toBe(400);
  });
});

import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabelOrderBody } from "../../../contracts/agent-protocol.ts";
import { initLibrary } from "../../../drive-agent/drives/vtl/library.ts";
import { logLines, spawnAgent } from "../../helpers/agent-process.ts";
import { enrollAndStartVtlAgent, tearDown } from "../../helpers/e2e.ts";
import type { Spawned } from "../../helpers/process.ts";
import { startStandInHub } from "../../helpers/stand-in-hub.ts";

/** Orders come from a stand-in hub so the test can craft every kind of bad one with jose. */
describe("the agent refuses work orders it must not run", () => {
  let root: string;
  let lib: string;
  let stateDir: string;
  let hub: Awaited<ReturnType<typeof startStandInHub>>;
  let agent: Spawned;

  const labelOrder = (barcode = "TB0001L9"): LabelOrderBody => ({
    kind: "label",
    runId: null,
    drive: { devicePath: `vtl:${lib}#0` },
    tape: { barcode, label: barcode, uuid: crypto.randomUUID(), pool: "Default" },
    force: false,
  });

  const verdicts = () =>
    logLines(agent).filter((l) => l.msg === "refused work order" || l.msg === "order accepted");

  /** Serves an order and returns the agent's next verdict from its log: refused (why) or accepted. */
  const verdictOn = async (jws: string, jti: string) => {
    const before = verdicts().length;
    hub.serve(jws);
    await agent.waitFor(
      new RegExp(`(?:[\\s\\S]*?"msg":"(?:refused work order|order accepted)"){${before + 1}}`),
    );
    const verdict = verdicts()[before] as Record<string, unknown>;
    if (verdict.msg === "order accepted") expect(verdict.orderId).toBe(jti);
    return JSON.stringify(verdict);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "tb-agent-verify-"));
    lib = join(root, "vtl");
    stateDir = join(root, "state");
    await initLibrary({ dir: lib, drives: 1, slots: 4, capacityBytes: 8 << 20 });
    hub = await startStandInHub();
    agent = await enrollAndStartVtlAgent({ hubUrl: hub.url, token: "t".repeat(32), stateDir, lib });
  });

  afterAll(() => tearDown(root, agent, hub));

  it("refuses an order signed by a key other than the pinned hub key", async () => {
    const stranger = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const jti = crypto.randomUUID();
    const verdict = await verdictOn(await hub.sign(labelOrder(), { jti, key: stranger.privateKey }), jti);
    expect(verdict).toContain('"reason":"bad-signature"');
    expect(hub.acks).not.toContain(jti);
  });

  it("refuses an order whose JWS type is not a work order", async () => {
    const jti = crypto.randomUUID();
    const verdict = await verdictOn(await hub.sign(labelOrder(), { jti, typ: "JWT" }), jti);
    expect(verdict).toContain('"reason":"bad-type"');
    expect(hub.acks).not.toContain(jti);
  });

  it("refuses an expired order", async () => {
    const jti = crypto.randomUUID();
    const verdict = await verdictOn(await hub.sign(labelOrder(), { jti, expIn: -600 }), jti);
    expect(verdict).toContain('"reason":"expired"');
    expect(hub.acks).not.toContain(jti);
  });

  it("refuses an order addressed to another agent", async () => {
    const jti = crypto.randomUUID();
    const verdict = await verdictOn(await hub.sign(labelOrder(), { jti, aud: "some-other-agent" }), jti);
    expect(verdict).toContain('"reason":"wrong-audience"');
    expect(hub.acks).not.toContain(jti);
  });

  it("runs a good order once and refuses its replay, also after a restart", async () => {
    const jti = crypto.randomUUID();
    const order = await hub.sign(labelOrder(), { jti });
    expect(await verdictOn(order, jti)).toContain("order accepted");
    await agent.waitFor(new RegExp(`"orderId":"${jti}"[^\\n]*"msg":"result delivered"`));
    expect(hub.results.find((r) => r.orderId === jti)?.body).toMatchObject({ state: "completed" });

    expect(await verdictOn(order, jti)).toContain('"reason":"replayed"');
    expect(await agent.stop()).toBe(0);

    agent = spawnAgent(stateDir);
    await agent.waitFor(/"msg":"agent started"/);
    expect(await verdictOn(order, jti)).toContain('"reason":"replayed"');
    expect(hub.acks.filter((id) => id === jti)).toHaveLength(1);
  });

  it("never writes keys, tokens or the raw order into its log", async () => {
    const text = agent.stdout() + agent.stderr();
    for (const served of hub.served) expect(text).not.toContain(served);
    expect(text).not.toMatch(/"d":"[A-Za-z0-9_-]{43}"/);
    expect(logLines(agent).every((l) => l.agentId === hub.agentId || l.agentId === undefined)).toBe(true);
  });
});

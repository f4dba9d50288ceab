import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  AGENT_PROTOCOL,
  MAX_AGENT_CLOCK_SKEW_SECONDS,
  OLDEST_AGENT_PROTOCOL,
} from "../../contracts/agent-protocol.ts";
import { events } from "../../functions/db/schema/index.ts";
import { needsOperator } from "../../functions/services/attention/needs-operator.ts";
import { fakeAgent } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

interface ApiAgent {
  id: string;
  version: string | null;
  protocol: number | null;
  clockSkewMs: number | null;
  lastSeenAt: string | null;
  protocolSpoken: boolean | null;
  warnings: string[];
}

describe("an agent's version, protocol and clock as the hub sees them", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({}, (fixture) => ({ hub, admin } = fixture));

  async function enrolled(name = "tapehost") {
    const created = await hub.requestJson<{ enrollmentToken: string }>("/api/v1/agents", {
      method: "POST",
      token: admin,
      json: { name },
    });
    const agent = await fakeAgent(hub, created.enrollmentToken);
    /** A heartbeat sent with the agent's clock `aheadMs` off the hub's (negative: behind). */
    const beat = async (opts: { aheadMs?: number; protocol?: number; version?: string } = {}) => {
      const res = await agent.call("POST", "/heartbeat", {
        version: opts.version ?? "1.2.3",
        ...(opts.protocol === undefined ? {} : { protocol: opts.protocol }),
        sentAt: hub.ctx.now().getTime() + (opts.aheadMs ?? 0),
        drives: agent.driveReports,
      });
      expect(res.status).toBe(204);
    };
    const seen = () => hub.requestJson<ApiAgent>(`/api/v1/agents/${agent.agentId}`, { token: admin });
    const eventsOf = async (kind: string) =>
      (await hub.ctx.db.select().from(events).where(eq(events.kind, kind))).filter(
        (e) => e.agentId === agent.agentId,
      );
    return { agent, beat, seen, eventsOf };
  }

  it("shows the last contact, the version and the clock skew the heartbeat gave, with no warning within the limit", async () => {
    const { beat, seen, eventsOf } = await enrolled();
    await beat({ aheadMs: 10_000, protocol: AGENT_PROTOCOL });
    const agent = await seen();
    expect(agent.version).toBe("1.2.3");
    expect(agent.protocol).toBe(AGENT_PROTOCOL);
    expect(agent.protocolSpoken).toBe(true);
    // The transit time counts as skew: at most the few ms of an in-process request, never more.
    expect(agent.clockSkewMs).toBeLessThanOrEqual(10_000);
    expect(agent.clockSkewMs).toBeGreaterThan(5_000);
    expect(new Date(agent.lastSeenAt as string).getTime()).toBeLessThanOrEqual(hub.ctx.now().getTime());
    expect(agent.warnings).toEqual([]);
    expect(await eventsOf("agent.clock")).toHaveLength(0);
    expect((await needsOperator(hub.ctx)).filter((i) => i.kind === "agent-link")).toEqual([]);

    const page = await (await hub.request("/agents", { token: admin })).text();
    expect(page).toContain("1.2.3");
    expect(page).toMatch(/\d s ahead of the hub/);
  });

  it("warns once, with an event and an attention item, when the clock drifts past the limit", async () => {
    const { beat, seen, eventsOf } = await enrolled();
    await beat();
    const behind = -(MAX_AGENT_CLOCK_SKEW_SECONDS + 40) * 1000;
    await beat({ aheadMs: behind });
    const agent = await seen();
    expect(agent.warnings).toHaveLength(1);
    expect(agent.warnings[0]).toContain("behind the hub");
    expect(agent.warnings[0]).toContain("NTP");
    // Still skewed on the next heartbeat: the event is not repeated, the attention item stays.
    await beat({ aheadMs: behind });
    const recorded = await eventsOf("agent.clock");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ severity: "warning", href: "/agents" });
    expect(recorded[0]?.text).toContain("tapehost");
    const items = (await needsOperator(hub.ctx)).filter((i) => i.kind === "agent-link");
    expect(items).toHaveLength(1);
    expect(items[0]?.text).toContain("behind the hub");
    const page = await (await hub.request("/agents", { token: admin })).text();
    expect(page).toContain("NTP");

    // The clock is set right: the warning goes; drifting again is a new event.
    await beat({ aheadMs: 0 });
    expect((await seen()).warnings).toEqual([]);
    expect((await needsOperator(hub.ctx)).filter((i) => i.kind === "agent-link")).toEqual([]);
    await beat({ aheadMs: -behind });
    expect(await eventsOf("agent.clock")).toHaveLength(2);
    expect((await seen()).warnings[0]).toContain("ahead of the hub");
  });

  it("warns when an agent speaks a protocol older than the hub still speaks, or newer than it knows", async () => {
    const { beat, seen, eventsOf } = await enrolled();
    await beat({ protocol: OLDEST_AGENT_PROTOCOL - 1, version: "0.0.1" });
    const old = await seen();
    expect(old.protocolSpoken).toBe(false);
    expect(old.warnings[0]).toContain("no longer speaks");
    expect(old.warnings[0]).toContain("0.0.1");
    expect(await eventsOf("agent.protocol")).toHaveLength(1);
    await beat({ protocol: OLDEST_AGENT_PROTOCOL - 1, version: "0.0.1" });
    expect(await eventsOf("agent.protocol")).toHaveLength(1);
    const items = (await needsOperator(hub.ctx)).filter((i) => i.kind === "agent-link");
    expect(items.map((i) => i.text)).toEqual(old.warnings);

    await beat({ protocol: AGENT_PROTOCOL + 1, version: "9.0.0" });
    const newer = await seen();
    expect(newer.protocolSpoken).toBe(false);
    expect(newer.warnings[0]).toContain("update the hub");
    expect(await eventsOf("agent.protocol")).toHaveLength(2);
  });

  it("takes an agent that sends no protocol for protocol 1, the one before the field existed", async () => {
    const { seen, agent } = await enrolled();
    await agent.call("POST", "/heartbeat", { version: "old", drives: agent.driveReports });
    const shown = await seen();
    expect(shown.protocol).toBe(1);
    expect(shown.clockSkewMs).toBeNull();
    expect(shown.warnings).toEqual([]);
  });
});

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { OrderBody } from "../../contracts/agent-protocol.ts";
import { createApp } from "../../functions/app.ts";
import { agents } from "../../functions/db/schema/index.ts";
import type { OrderWake } from "../../functions/deps.ts";
import { createOrderWake } from "../../functions/services/orders/order-wake.ts";
import { queueOrder } from "../../functions/services/orders/queue-order.ts";
import { fakeAgent } from "../helpers/fake-agent.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

const EJECT: OrderBody = {
  kind: "eject",
  runId: null,
  drive: { devicePath: "/vtl/drive0" },
  expectedBarcode: "TB0001L9",
};

/** A real wake that also says when a poll has looked once and begun to wait, and how many watch. */
function observedWake(inner: OrderWake = createOrderWake()) {
  let open = 0;
  let waiting: () => void = () => {};
  let firstWait = new Promise<void>((resolve) => {
    waiting = resolve;
  });
  const wake: OrderWake = {
    signal: (agentId) => inner.signal(agentId),
    watch(agentId) {
      const watch = inner.watch(agentId);
      open++;
      return {
        next(ms, abort) {
          waiting();
          return watch.next(ms, abort);
        },
        close() {
          open--;
          watch.close();
        },
      };
    },
  };
  return {
    wake,
    /** Resolves once a poll waits (after its first look found nothing); re-armed by `rearm`. */
    waited: () => firstWait,
    rearm() {
      firstWait = new Promise<void>((resolve) => {
        waiting = resolve;
      });
    },
    open: () => open,
  };
}

describe("the order wake on its own", () => {
  it("answers a wait at once when the agent was signalled since the watch began", async () => {
    const wake = createOrderWake();
    const watch = wake.watch("a");
    wake.signal("a");
    // An hour's wait: only the signal can end it within the test's timeout.
    await watch.next(3_600_000);
    watch.close();
  });

  it("ends a waiting next on a signal for its agent and not on another agent's", async () => {
    const wake = createOrderWake();
    const watch = wake.watch("a");
    let woke = false;
    const waiting = watch.next(3_600_000).then(() => {
      woke = true;
    });
    wake.signal("b");
    await Promise.resolve();
    expect(woke).toBe(false);
    wake.signal("a");
    await waiting;
    expect(woke).toBe(true);
    watch.close();
  });

  it("ends a wait when its request is aborted, and a closed watch is woken no more", async () => {
    const wake = createOrderWake();
    const watch = wake.watch("a");
    const abort = new AbortController();
    const waiting = watch.next(3_600_000, abort.signal);
    abort.abort();
    await waiting;
    watch.close();
    wake.signal("a");
    const again = wake.watch("a");
    let woke = false;
    const later = again.next(3_600_000).then(() => {
      woke = true;
    });
    await Promise.resolve();
    expect(woke).toBe(false);
    again.close();
    await later;
  });
});

describe("long polls woken in-process", () => {
  let hub: TestHub;
  let admin: string;
  // The re-check is a minute, longer than the poll: a poll that answers with the order was woken,
  // it did not find it by looking again.
  // A poll of 10 s that was not woken answers 204 and the test fails on its status.
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "60000" }, (fixture) => ({ hub, admin } = fixture));

  async function enrolled() {
    const created = await hub.requestJson<{ agent: { id: string }; enrollmentToken: string }>(
      "/api/v1/agents",
      { method: "POST", token: admin, json: { name: "tapehost" } },
    );
    return fakeAgent(hub, created.enrollmentToken);
  }

  it("answers a waiting poll with an order queued after it began waiting, without its re-check", async () => {
    const agent = await enrolled();
    const seen = observedWake();
    const app = createApp({ ...hub.deps, orderWake: seen.wake }).app;
    const poll = app.request("/agent/v1/orders/next?wait=10", {
      headers: { authorization: `Bearer ${await agent.token()}` },
    });
    await seen.waited();
    const id = await queueOrder({ ...hub.ctx, orderWake: seen.wake }, agent.agentId, EJECT);
    const answer = await poll;
    expect(answer.status).toBe(200);
    const { order } = (await answer.json()) as { order: string };
    const { claims } = await agent.verifyOrder(order);
    expect(claims.jti).toBe(id);
    expect(claims.body).toMatchObject({ kind: "eject", expectedBarcode: "TB0001L9" });
    expect(seen.open()).toBe(0);
  }, 20_000);

  it("wakes the poll when an operator's request queues the order through the app", async () => {
    const agent = await enrolled();
    const seen = observedWake(hub.deps.orderWake);
    const app = createApp({ ...hub.deps, orderWake: seen.wake }).app;
    const poll = app.request("/agent/v1/orders/next?wait=10", {
      headers: { authorization: `Bearer ${await agent.token()}` },
    });
    await seen.waited();
    // The hub's own ctx carries the same wake the test hub's routes use.
    await queueOrder(hub.ctx, agent.agentId, EJECT);
    expect((await poll).status).toBe(200);
  }, 20_000);

  it("ends a waiting poll as soon as the agent goes away, closing its watch", async () => {
    const agent = await enrolled();
    const seen = observedWake();
    const app = createApp({ ...hub.deps, orderWake: seen.wake }).app;
    const abort = new AbortController();
    const poll = app.request("/agent/v1/orders/next?wait=10", {
      headers: { authorization: `Bearer ${await agent.token()}` },
      signal: abort.signal,
    });
    await seen.waited();
    abort.abort();
    expect((await poll).status).toBe(204);
    expect(seen.open()).toBe(0);
    // The poll marked its agent seen (a prepared update, the time bound as epoch ms).
    const row = await hub.ctx.db.query.agents.findFirst({ where: eq(agents.id, agent.agentId) });
    expect(row?.state).toBe("online");
    expect(row?.lastSeenAt?.getTime()).toBeLessThanOrEqual(hub.ctx.now().getTime());
    expect(row?.lastSeenAt?.getTime()).toBeGreaterThan(hub.ctx.now().getTime() - 60_000);
  }, 20_000);
});

describe("two hub instances on one catalog", () => {
  let hub: TestHub;
  let admin: string;
  // A short re-check stands for the slow one: what is asserted is that the order arrives at all.
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "50" }, (fixture) => ({ hub, admin } = fixture));

  it("delivers an order queued on one instance to a poll waiting on the other, at its re-check", async () => {
    const created = await hub.requestJson<{ enrollmentToken: string }>("/api/v1/agents", {
      method: "POST",
      token: admin,
      json: { name: "tapehost" },
    });
    const agent = await fakeAgent(hub, created.enrollmentToken);
    const other = observedWake();
    const instanceB = createApp({ ...hub.deps, orderWake: other.wake }).app;
    const poll = instanceB.request("/agent/v1/orders/next?wait=30", {
      headers: { authorization: `Bearer ${await agent.token()}` },
    });
    await other.waited();
    // Instance A queues with its own wake, which instance B's poll does not hear.
    const instanceA = createOrderWake();
    await queueOrder({ ...hub.ctx, orderWake: instanceA }, agent.agentId, EJECT);
    const answer = await poll;
    expect(answer.status).toBe(200);
    const { claims } = await agent.verifyOrder(((await answer.json()) as { order: string }).order);
    expect(claims.body.kind).toBe("eject");
  }, 40_000);
});

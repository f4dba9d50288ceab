import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordEvent } from "../../functions/services/events/record-event.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

/** Reads server-sent events until `until` holds of those read so far; then closes the stream. */
async function readEvents(
  res: Response,
  until: (events: { id: string; event: string; data: string }[]) => boolean,
) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: { id: string; event: string; data: string }[] = [];
  let buffer = "";
  try {
    while (!until(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split("\n")
            .filter((l) => l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).replace(/^ /, ""))
            .join("\n");
        seen.push({ id: field("id"), event: field("event"), data: field("data") });
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    await reader.cancel();
  }
  return seen.filter((e) => e.event !== "hb");
}

describe("GET /api/v1/events/stream", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(async () => {
    await hub.close();
  });

  it("replays what a reconnecting client missed after Last-Event-ID, from the catalog, then goes on live", async () => {
    await recordEvent(hub.ctx, { kind: "run.failed", text: "Nightly (run #1) failed" });
    await recordEvent(hub.ctx, { kind: "tape.needed", text: "Weekly (run #2) is waiting for a tape" });
    const token = await hub.tokenFor("read-only");
    const res = await hub.request("/api/v1/events/stream", { token, headers: { "last-event-id": "1" } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    let recordedLive = false;
    const events = await readEvents(res, (seen) => {
      const real = seen.filter((e) => e.event !== "hb");
      if (real.length === 1 && !recordedLive) {
        recordedLive = true;
        void recordEvent(hub.ctx, { kind: "drive.alert", text: "LTO-1 reports Clean now" });
      }
      return real.length >= 2;
    });
    expect(events.map((e) => e.id)).toEqual(["2", "3"]);
    expect(JSON.parse(events[0]?.data ?? "{}")).toMatchObject({
      type: "tape_change_required",
      category: "tape",
    });
    expect(JSON.parse(events[1]?.data ?? "{}")).toMatchObject({ message: "LTO-1 reports Clean now" });
  });

  it("sends each event as an escaped toast for the pages, and nothing old to a new page", async () => {
    await recordEvent(hub.ctx, { kind: "run.failed", text: "old news" });
    const token = await hub.tokenFor("read-only");
    const res = await hub.request("/api/v1/events/stream?format=html", { token });
    let recorded = false;
    const events = await readEvents(res, (seen) => {
      if (!recorded && seen.length > 0) {
        recorded = true;
        void recordEvent(hub.ctx, {
          kind: "run.failed",
          text: "Share <script>alert(1)</script> (run #5) failed",
        });
      }
      return seen.some((e) => e.event !== "hb");
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toContain('class="toast error"');
    expect(events[0]?.data).toContain("Share &lt;script&gt;alert(1)&lt;/script&gt; (run #5) failed");
    expect(events[0]?.data).not.toContain("<script>");
  });

  it("sends each role only the kinds it may see: a channel's failure to admins, digests to no one", async () => {
    await recordEvent(hub.ctx, { kind: "notify.failed", text: "SMTP 535 for user tapes@mail.example" });
    await recordEvent(hub.ctx, { kind: "notify.digest", text: "the e-mail channel's own digest" });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "Nightly (run #3) failed" });
    const seenBy = async (role: "admin" | "operator" | "read-only") => {
      const token = await hub.tokenFor(role);
      const res = await hub.request("/api/v1/events/stream", { token, headers: { "last-event-id": "0" } });
      // The run.failed event is the last one: once it has arrived, the replay is complete.
      const events = await readEvents(res, (seen) => seen.some((e) => e.id === "3"));
      const list = await hub.requestJson<{ kind: string }[]>("/api/v1/events", { token });
      return { stream: events.map((e) => JSON.parse(e.data).kind), list: list.map((e) => e.kind) };
    };
    expect(await seenBy("admin")).toEqual({
      stream: ["notify.failed", "run.failed"],
      list: ["notify.failed", "run.failed"],
    });
    for (const role of ["operator", "read-only"] as const)
      expect(await seenBy(role)).toEqual({ stream: ["run.failed"], list: ["run.failed"] });
  });

  it("sends a site-scoped operator only the events of their sites, on the stream and the list", async () => {
    const admin = await hub.tokenFor("admin");
    const post = async <T>(method: string, path: string, json: unknown) =>
      (await (await hub.request(path, { method, token: admin, json })).json()) as T;
    const north = await post<{ id: number }>("POST", "/api/v1/sites", { name: "North" });
    const south = await post<{ id: number }>("POST", "/api/v1/sites", { name: "South" });
    const user = await post<{ id: number }>("POST", "/api/v1/users", {
      username: "ops-north",
      password: "north-operator-pw",
      role: "operator",
    });
    const scoped = await hub.request(`/api/v1/users/${user.id}/site-roles`, {
      method: "PUT",
      token: admin,
      json: { sites: [{ siteId: north.id, role: "operator" }] },
    });
    expect(scoped.status).toBe(200);
    await recordEvent(hub.ctx, { kind: "run.failed", text: "South's run failed", siteId: south.id });
    await recordEvent(hub.ctx, { kind: "summary.daily", text: "hub-wide summary" });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "North's run failed", siteId: north.id });
    const login = await hub.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "ops-north", password: "north-operator-pw" },
    });
    const { token } = (await login.json()) as { token: string };
    const res = await hub.request("/api/v1/events/stream", { token, headers: { "last-event-id": "0" } });
    const streamed = await readEvents(res, (seen) => seen.some((e) => e.id === "3"));
    const list = await hub.requestJson<{ message: string }[]>("/api/v1/events", { token });
    expect(streamed.map((e) => JSON.parse(e.data).message)).toEqual(["North's run failed"]);
    expect(list.map((e) => e.message)).toEqual(["North's run failed"]);
    // The unscoped operator still hears every site.
    const all = await hub.requestJson<{ message: string }[]>("/api/v1/events", {
      token: await hub.tokenFor("operator"),
    });
    expect(all.map((e) => e.message).sort()).toEqual([
      "North's run failed",
      "South's run failed",
      "hub-wide summary",
    ]);
  });

  it("is refused without a sign-in", async () => {
    expect((await hub.request("/api/v1/events/stream")).status).toBe(401);
  });
});

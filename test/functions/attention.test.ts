import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agents, drives, jobRuns, jobs } from "../../functions/db/schema/index.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

describe("the strip that says what needs an operator", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  async function attention(): Promise<string> {
    const res = await hub.request("/partials/attention", { token: await hub.tokenFor("read-only") });
    expect(res.status).toBe(200);
    return res.text();
  }

  async function seed() {
    const now = hub.ctx.now();
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const stamps = { createdAt: now, updatedAt: now };
    const [job] = await hub.ctx.db
      .insert(jobs)
      .values({ name: "Share <b>weekly</b>", ...stamps })
      .returning();
    const [other] = await hub.ctx.db
      .insert(jobs)
      .values({ name: "Mended job", ...stamps })
      .returning();
    if (!job || !other) throw new Error("no job");
    const run = (jobId: number, state: (typeof jobRuns.$inferInsert)["state"], extra = {}) => ({
      jobId,
      kind: "backup" as const,
      state,
      triggeredBy: "test",
      queuedAt: ago(3600_000),
      ...extra,
    });
    await hub.ctx.db.insert(jobRuns).values([
      run(job.id, "waiting-for-tape", { operatorMessage: "insert a tape of pool <i>Weekly</i>" }),
      run(job.id, "failed", { error: "medium error on TB0001L9", finishedAt: ago(1800_000) }),
      // A failure a later success mended, and one too old to matter: neither asks for attention.
      run(other.id, "failed", { error: "drive busy", finishedAt: ago(7200_000) }),
      run(other.id, "completed", { finishedAt: ago(600_000) }),
      run(job.id, "interrupted", { finishedAt: ago(8 * 24 * 3600_000) }),
    ]);
    await hub.ctx.db.insert(agents).values([
      {
        id: "a-quiet",
        name: "tape-host-2",
        state: "online",
        publicKey: "{}",
        lastSeenAt: ago(3600_000),
        ...stamps,
      },
      { id: "a-fresh", name: "tape-host-1", state: "online", publicKey: "{}", lastSeenAt: now, ...stamps },
      { id: "a-pending", name: "never-enrolled", state: "pending", ...stamps },
    ]);
    await hub.ctx.db.insert(drives).values([
      { agentId: "a-fresh", name: "Drive 1", devicePath: "/dev/nst0", alerts: ["Clean now"], createdAt: now },
      { agentId: "a-fresh", name: "Drive 2", devicePath: "/dev/nst1", alerts: [], createdAt: now },
    ]);
  }

  it("names the run waiting for a tape, the drive alert, the job whose last run failed and the quiet agent", async () => {
    await seed();
    const html = await attention();
    expect(html).toContain("Insert a tape");
    expect(html).toContain(
      "Share &lt;b&gt;weekly&lt;/b&gt; (run #1) is waiting for a tape: insert a tape of pool &lt;i&gt;Weekly&lt;/i&gt;",
    );
    expect(html).toContain("Drive 1 on tape-host-1 reports Clean now");
    expect(html).not.toContain("Drive 2");
    expect(html).toContain("(run #2) failed: medium error on TB0001L9");
    expect(html).toContain("Agent tape-host-2 has not been heard from");
    expect(html).not.toContain("tape-host-1 has not");
    expect(html).not.toContain("never-enrolled");
    expect(html).not.toContain("Mended job");
    expect(html).not.toContain("run #5");
    expect(html).not.toContain("<b>");
  });

  it("is empty, still polling, when nothing needs anyone", async () => {
    const html = await attention();
    expect(html).toMatch(
      /^<div id="attention" hx-get="\/partials\/attention" hx-trigger="every 15s"[^>]*><\/div>$/,
    );
  });

  it("every signed-in page loads it; the sign-in page does not", async () => {
    const page = await hub.request("/tapes", { token: await hub.tokenFor("read-only") });
    expect(await page.text()).toContain('hx-trigger="load, every 15s"');
    const login = await (await hub.request("/login")).text();
    expect(login).not.toContain('id="attention"');
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELP_TOPICS, type HelpTopic, helpHref } from "../../contracts/doc-blocks.ts";
import { recordAudit } from "../../functions/services/audit/record-audit.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

describe("in-app help and the audit log download", () => {
  let hub: TestHub;
  let ro: string;
  beforeAll(async () => {
    hub = await createTestHub();
    ro = await hub.tokenFor("read-only");
    const event = (
      action: string,
      actor: string,
      target: string | null,
      details: Record<string, unknown> | null,
    ) =>
      recordAudit(hub.ctx, {
        userId: null,
        actor,
        action,
        target,
        outcome: "success",
        ip: "10.0.0.1",
        requestId: null,
        details,
      });
    await event("tape.create", "alice", '=HYPERLINK("http://x")', { note: 'quote " and, comma' });
    await event("tape.create", "bob", "2", null);
    await event("pool.create", "alice", "3", null);
  });
  afterAll(() => hub.close());

  it("renders the operator guide and the tape format from docs/ for any signed-in user", async () => {
    const index = await hub.request("/docs", { token: ro });
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toContain('href="/docs/operator-guide"');
    expect(html).toContain('href="/docs/tape-format"');
    const format = await (await hub.request("/docs/tape-format", { token: ro })).text();
    expect(format).toContain(`<h1 id="tapebackarr-tape-format">TapeBackarr tape format</h1>`);
    expect(format).toContain("drive-agent restore-catalog");
    expect((await hub.request("/docs/../../etc/passwd", { token: ro })).status).toBe(404);
    expect((await hub.request("/docs/secrets", { token: ro })).status).toBe(400);
  });

  it("the pages link to the sections that help, and each link lands on a heading of its doc", async () => {
    for (const topic of Object.keys(HELP_TOPICS) as HelpTopic[]) {
      const [path, anchor] = helpHref(topic).split("#");
      const doc = await (await hub.request(path as string, { token: ro })).text();
      expect(doc, topic).toMatch(new RegExp(`<h2 id="${anchor}">`));
    }
    const admin = await hub.tokenFor("admin");
    const pages: [string, HelpTopic[]][] = [
      ["/keys", ["keys"]],
      ["/jobs/new", ["catalogBackup"]],
      ["/pools", ["mediaSets"]],
      ["/restore", ["withoutHub"]],
      ["/library", ["catalogBackup", "disasterRecovery"]],
    ];
    for (const [page, topics] of pages) {
      const html = await (await hub.request(page, { token: admin })).text();
      for (const topic of topics) expect(html, `${page} → ${topic}`).toContain(`href="${helpHref(topic)}"`);
    }
  });

  it("downloads the audit entries the page's filters select as CSV, with cells quoted and formulas defused", async () => {
    const res = await hub.request("/logs/audit/export?format=csv&actor=alice&action=tape.create", {
      token: ro,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="tapebackarr-audit-\d{4}-\d\d-\d\d\.csv"$/,
    );
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,at,actor,action,target,outcome,ip,requestId,details");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,alice,tape.create,"'=HYPERLINK(""http://x"")",success,10.0.0.1,,`);
    expect(lines[1]).toContain(`"{""note"":""quote \\"" and, comma""}"`);
  });

  it("downloads the same selection as JSON, and the audit page links both with its filters", async () => {
    const json = (await (
      await hub.request("/logs/audit/export?format=json&action=tape.create", { token: ro })
    ).json()) as {
      filter: unknown;
      rows: { actor: string }[];
    };
    expect(json.filter).toEqual({ action: "tape.create" });
    expect(json.rows.map((r) => r.actor)).toEqual(["bob", "alice"]);
    const page = await (await hub.request("/logs/audit?action=tape.create", { token: ro })).text();
    expect(page).toContain('href="/logs/audit/export?action=tape.create&amp;format=csv"');
    expect(page).toContain('href="/logs/audit/export?action=tape.create&amp;format=json"');
  });
});

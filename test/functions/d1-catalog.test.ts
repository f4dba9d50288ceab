import type { D1Database } from "@cloudflare/workers-types";
import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogEntry, MAX_REPORT_BYTES } from "../../contracts/agent-protocol.ts";
import { dbFromD1 } from "../../functions/db/client.ts";
import { D1_LIMITS, MAX_JSON_VALUE_BYTES } from "../../functions/db/limits.ts";
import { catalogEntries, jobLogs, tapes } from "../../functions/db/schema/index.ts";
import { acknowledgedBackupOrder, fileAt } from "../helpers/backup-order.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";
import { D1_SETUP_TIMEOUT_MS, type LocalD1, startLocalD1 } from "../helpers/wrangler.ts";

/** Bytes of the largest value bound to a statement so far. */
let largestBound = 0;

/**
 * The D1 binding, with D1's value limit checked on every bound value: the local D1 (workerd's
 * SQLite) enforces the bound-parameter limit but not this one, which D1 itself does.
 */
function withValueLimit(binding: D1Database): D1Database {
  const prepare = (query: string) => {
    const statement = binding.prepare(query);
    return {
      bind: (...values: unknown[]) => {
        for (const v of values) {
          const size = typeof v === "string" ? Buffer.byteLength(v) : 0;
          largestBound = Math.max(largestBound, size);
          if (size > D1_LIMITS.valueBytes)
            throw new Error(`a bound value of ${size} bytes is over D1's limit`);
        }
        return statement.bind(...values);
      },
    };
  };
  return new Proxy(binding, {
    get: (target, name) =>
      name === "prepare" ? prepare : (Reflect.get(target, name) as (...a: unknown[]) => unknown).bind(target),
  });
}

/**
 * The hub's report ingestion on a real D1 (workerd's, through wrangler's platform proxy, migrated
 * with wrangler), at the sizes the contract allows: what D1's limits (functions/db/limits.ts) make
 * different from libSQL is proven here, request by request; the whole flow in workerd-e2e.
 */
describe("agent reports on D1, at the contract's largest sizes", () => {
  let d1: LocalD1 | undefined;
  let hub: TestHub | undefined;
  let order: Awaited<ReturnType<typeof acknowledgedBackupOrder>>;

  beforeAll(async () => {
    d1 = await startLocalD1("tb-d1-");
    hub = await createTestHub({ POLL_INTERVAL_MS: "20" }, { db: dbFromD1(withValueLimit(d1.DB)) });
    order = await acknowledgedBackupOrder(hub, await hub.tokenFor("admin"));
  }, D1_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await hub?.close();
    await d1?.close();
  });

  const db = () => (hub as TestHub).ctx.db;
  const post = (path: string, json: unknown) =>
    order.agent.call("POST", `/orders/${order.orderId}/${path}`, json);

  it("takes a catalog chunk of nearly MAX_REPORT_BYTES whole, in several statements of one batch, and a re-sent one as a no-op", async () => {
    const dir = `srv/${"d".repeat(700)}`;
    const entries: CatalogEntry[] = Array.from({ length: 4_500 }, (_, i) =>
      fileAt(`${dir}/${i}-résumé.txt`, i * 512),
    );
    const body = { setUuid: order.setUuid, seq: 0, entries };
    const bytes = Buffer.byteLength(JSON.stringify(body));
    expect(bytes).toBeLessThanOrEqual(MAX_REPORT_BYTES);
    expect(bytes).toBeGreaterThan(2 * MAX_JSON_VALUE_BYTES);

    largestBound = 0;
    const first = await post("catalog", body);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toEqual({ duplicate: false, entries: 4_500 });
    expect(largestBound).toBeGreaterThan(MAX_JSON_VALUE_BYTES / 2);
    expect(largestBound).toBeLessThanOrEqual(MAX_JSON_VALUE_BYTES);
    const again = await post("catalog", body);
    expect(await again.json()).toEqual({ duplicate: true, entries: 4_500 });

    const rows = await db()
      .select({ name: catalogEntries.name, offset: catalogEntries.offset })
      .from(catalogEntries)
      .where(eq(catalogEntries.setId, order.setId))
      .orderBy(catalogEntries.id);
    expect(rows).toEqual(entries.map((_, i) => ({ name: `${i}-résumé.txt`, offset: i * 512 })));
  }, 60_000);

  it("keeps a batch of the most log lines once, however often it is sent", async () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => ({
      at: new Date(1_700_000_000_000 + i).toISOString(),
      level: i % 10 === 0 ? "warn" : "info",
      message: `line ${i} ${"x".repeat(3_000)}`,
      path: i % 2 ? `srv/${i}` : null,
    }));
    for (let i = 0; i < 2; i++) expect((await post("logs", { seq: 7, lines })).status).toBe(204);
    const [logged] = await db()
      .select({ n: count() })
      .from(jobLogs)
      .where(and(eq(jobLogs.runId, order.runId), eq(jobLogs.level, "warn")));
    expect(logged?.n).toBe(100);
    const last = await db().query.jobLogs.findFirst({
      where: and(eq(jobLogs.runId, order.runId), eq(jobLogs.path, "srv/999")),
    });
    expect(last).toMatchObject({ level: "info", at: new Date(1_700_000_000_999) });
  }, 60_000);

  it("registers and places every cartridge of a library of 600 slots: more than one statement binds, more than one batch holds", async () => {
    const slots = Array.from({ length: 600 }, (_, i) => ({
      slot: i + 1,
      barcode: `D1${String(i).padStart(4, "0")}L9`,
    }));
    const res = await order.agent.call("POST", "/heartbeat", {
      version: "t",
      drives: order.agent.driveReports,
      changers: [{ devicePath: "/dev/sg9", name: "Big changer", slots }],
    });
    expect(res.status).toBe(204);
    const known = await db().select({ barcode: tapes.barcode, slot: tapes.slot }).from(tapes);
    for (const s of slots) expect(known).toContainEqual({ barcode: s.barcode, slot: s.slot });
  }, 60_000);
});

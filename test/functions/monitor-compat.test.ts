import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agents, drives, pools, tapes } from "../../functions/db/schema/index.ts";
import { recordEvent } from "../../functions/services/events/record-event.ts";
import { insertJobRunning } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

/**
 * The JSON shapes upstream TapeBackarr serves (internal/api/server.go, internal/backup JobProgress,
 * models.TapeDrive, events.go SystemEvent) and its desk monitor (TapeBackarrCYD src/api_client.cpp)
 * reads. Every field the monitor reads is here with its JSON type; `strict` is not used, so our
 * extra fields (run_id, kind) do not break a reader that ignores them, as ArduinoJson does.
 */
const int = z.number().int();
const dashboardShape = z.object({
  total_tapes: int,
  active_tapes: int,
  total_jobs: int,
  running_jobs: int,
  recent_backups: int,
  drive_status: z.string(),
  total_data_bytes: int,
  loaded_tape: z.string(),
  pool_storage: z.array(
    z.object({
      id: int,
      name: z.string(),
      tape_count: int,
      total_capacity_bytes: int,
      total_used_bytes: int,
      total_free_bytes: int,
    }),
  ),
  total_files_cataloged: int,
  total_sources: int,
  total_encryption_keys: int,
  last_backup_time: z.string().nullable(),
  total_backup_sets: int,
  oldest_backup: z.string().nullable(),
});
const activeJobShape = z.object({
  job_id: int,
  job_name: z.string(),
  backup_set_id: int,
  phase: z.string(),
  message: z.string(),
  status: z.enum(["running", "paused", "cancelled"]),
  file_count: int,
  total_files: int,
  total_bytes: int,
  bytes_written: int,
  write_speed: z.number(),
  tape_label: z.string(),
  tape_capacity_bytes: int,
  tape_used_bytes: int,
  device_path: z.string(),
  estimated_seconds_remaining: z.number(),
  tape_estimated_seconds_remaining: z.number(),
  start_time: z.string().datetime(),
  updated_at: z.string().datetime(),
  log_lines: z.array(z.string()),
  scan_files_found: int,
  scan_dirs_scanned: int,
  scan_bytes_found: int,
});
const driveShape = z.object({
  id: int,
  device_path: z.string(),
  display_name: z.string(),
  vendor: z.string(),
  serial_number: z.string(),
  model: z.string(),
  status: z.enum(["ready", "busy", "offline", "error"]),
  current_tape_id: int.nullable(),
  current_tape: z.string(),
  enabled: z.boolean(),
  format_type: z.string(),
  created_at: z.string().datetime(),
  updated_at: z.string().datetime(),
});
const eventShape = z.object({
  id: z.string(),
  type: z.string(),
  category: z.enum(["tape", "drive", "backup", "system"]),
  title: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  timestamp: z.string().datetime(),
});

describe("upstream monitoring endpoints with X-API-Key", () => {
  let hub: TestHub;
  let key: string;

  beforeEach(async () => {
    hub = await createTestHub();
    const created = await hub.requestJson<{ key: string }>("/api/v1/api-keys", {
      method: "POST",
      token: await hub.tokenFor("admin"),
      json: { name: "desk monitor", role: "read-only" },
    });
    key = created.key;
    const now = hub.ctx.now();
    const stamps = { createdAt: now, updatedAt: now };
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Weekly", ...stamps })
      .returning();
    const [tape] = await hub.ctx.db
      .insert(tapes)
      .values({
        barcode: "TB0001L9",
        label: "TB0001L9",
        poolId: pool?.id,
        state: "active",
        capacityBytes: 18e12,
        usedBytes: 2e12,
        ...stamps,
      })
      .returning();
    await hub.ctx.db
      .insert(agents)
      .values({ id: "a-1", name: "host-a", state: "online", publicKey: "{}", lastSeenAt: now, ...stamps });
    await hub.ctx.db.insert(drives).values({
      agentId: "a-1",
      name: "LTO-1",
      devicePath: "/dev/nst0",
      state: "busy",
      loadedTapeId: tape?.id,
      vendor: "IBM",
      model: "ULT3580-HH9",
      createdAt: now,
    });
    await insertJobRunning(hub.ctx.db, "Nightly", now, {
      bytesDone: 1000,
      bytesTotal: 5000,
      filesDone: 3,
      filesTotal: 9,
      rateBytesPerSec: 250,
      etaSeconds: 16,
      currentTapeId: tape?.id,
    });
    await recordEvent(hub.ctx, {
      kind: "tape.needed",
      text: "Nightly is waiting for a tape",
      tapeId: tape?.id ?? null,
    });
    await recordEvent(hub.ctx, { kind: "run.failed", text: "Weekly failed" });
  });
  afterEach(async () => {
    await hub.close();
  });

  const get = (path: string, headers: Record<string, string>) => hub.request(path, { headers });

  it("answers the dashboard, active jobs, drives and events in upstream's shapes", async () => {
    const h = { "x-api-key": key };
    const dashboard = dashboardShape.parse(await (await get("/api/v1/dashboard", h)).json());
    expect(dashboard).toMatchObject({
      total_tapes: 1,
      active_tapes: 1,
      running_jobs: 1,
      drive_status: "busy",
      loaded_tape: "TB0001L9",
    });
    expect(dashboard.pool_storage).toEqual([
      {
        id: expect.any(Number),
        name: "Weekly",
        tape_count: 1,
        total_capacity_bytes: 18e12,
        total_used_bytes: 2e12,
        total_free_bytes: 16e12,
      },
    ]);

    const active = z.array(activeJobShape).parse(await (await get("/api/v1/jobs/active", h)).json());
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({
      job_name: "Nightly",
      bytes_written: 1000,
      total_bytes: 5000,
      write_speed: 250,
      tape_label: "TB0001L9",
      status: "running",
    });

    const driveList = z.array(driveShape).parse(await (await get("/api/v1/drives", h)).json());
    expect(driveList[0]).toMatchObject({
      display_name: "LTO-1",
      status: "busy",
      current_tape: "TB0001L9",
      vendor: "IBM",
      enabled: true,
    });

    const rawEvents = await (await get("/api/v1/events", h)).json();
    const eventList = z.array(eventShape).parse(rawEvents);
    expect(eventList.map((e) => e.type)).toEqual(["tape_change_required", "error"]);
    // What the desk monitor reads of a tape change: type, status and tape_id at the top.
    expect((rawEvents as unknown[])[0]).toMatchObject({
      category: "tape",
      status: "pending",
      tape_id: expect.any(Number),
    });
  });

  it("keeps this hub's own drive page for Bearer callers", async () => {
    const res = await get("/api/v1/drives", { authorization: `Bearer ${key}` });
    const body = (await res.json()) as { items: unknown[] };
    expect(Array.isArray(body)).toBe(false);
    expect(body.items).toHaveLength(1);
  });

  it("refuses X-API-Key wherever a Bearer key is refused", async () => {
    expect((await get("/api/v1/users", { "x-api-key": key })).status).toBe(403);
    expect((await get("/api/v1/users", { authorization: `Bearer ${key}` })).status).toBe(403);
    expect((await get("/api/v1/dashboard", { "x-api-key": `${key.slice(0, -2)}xx` })).status).toBe(401);
    // A session token is not an API key.
    expect((await get("/api/v1/dashboard", { "x-api-key": await hub.tokenFor("admin") })).status).toBe(401);
    expect((await get("/api/v1/dashboard", {})).status).toBe(401);
    // A mutation with a read-only key is refused, with no CSRF escape hatch.
    const post = await hub.request("/api/v1/tapes", {
      method: "POST",
      headers: { "x-api-key": key },
      json: { barcode: "TB0002L9" },
    });
    expect(post.status).toBe(403);
    const keys = await hub.requestJson<{ items: { id: number; name: string }[] }>("/api/v1/api-keys", {
      token: await hub.tokenFor("admin"),
    });
    const id = keys.items.find((k) => k.name === "desk monitor")?.id;
    await hub.request(`/api/v1/api-keys/${id}`, { method: "DELETE", token: await hub.tokenFor("admin") });
    expect((await get("/api/v1/dashboard", { "x-api-key": key })).status).toBe(401);
  });
});

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrateCatalog, openCatalog } from "../../functions/db/client-node.ts";

const EXPECTED_TABLES = [
  "agents",
  "api_keys",
  "audit_logs",
  "backup_set_segments",
  "backup_sets",
  "catalog_chunks",
  "catalog_entries",
  "catalog_name_trigrams",
  "catalog_names",
  // The trigram index over catalog_names (FTS5) and its shadow tables.
  "catalog_names_fts",
  "catalog_names_fts_config",
  "catalog_names_fts_data",
  "catalog_names_fts_docsize",
  "catalog_names_fts_idx",
  "changers",
  "drives",
  "encryption_keys",
  "events",
  "guest_backups",
  "health_readings",
  "job_logs",
  "job_runs",
  "jobs",
  "media_sets",
  "notification_channels",
  "order_report_receipts",
  "outbox",
  "pools",
  "preflight_checks",
  "pve_inventories",
  "sessions",
  "settings",
  "sites",
  "source_secrets",
  "sources",
  "tape_moves",
  "tapes",
  "user_site_roles",
  "users",
  "work_orders",
];

describe("catalog migrations", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("create every table of the system in an empty libSQL file, and a second run changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-migrate-"));
    dirs.push(dir);
    const url = `file:${join(dir, "nested", "catalog.db")}`;
    const catalog = openCatalog(url);
    await migrateCatalog(catalog, url);
    const tables = await catalog.client.execute(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name",
    );
    expect(tables.rows.map((r) => r.name)).toEqual(EXPECTED_TABLES);
    const applied = await catalog.client.execute("select count(*) as n from __drizzle_migrations");
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"));
    expect(Number(applied.rows[0]?.n)).toBe(files.length);

    await migrateCatalog(catalog, url);
    const again = await catalog.client.execute("select count(*) as n from __drizzle_migrations");
    expect(Number(again.rows[0]?.n)).toBe(files.length);
    const mode = await catalog.client.execute("pragma journal_mode");
    expect(mode.rows[0]?.journal_mode).toBe("wal");
    catalog.client.close();
  });

  it("index the lookups the pages make (catalog browse, login rate limit, run history)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-migrate-"));
    dirs.push(dir);
    const url = `file:${join(dir, "catalog.db")}`;
    const catalog = openCatalog(url);
    await migrateCatalog(catalog, url);
    const plan = async (sql: string) =>
      (await catalog.client.execute(`explain query plan ${sql}`)).rows
        .map((r) => String(r.detail))
        .join("\n");
    expect(
      await plan("select * from catalog_entries where set_id = 1 and dir = 'a/b' order by name"),
    ).toMatch(/USING INDEX catalog_set_dir_idx/);
    expect(
      await plan(
        "select count(*) from audit_logs where action = 'auth.login' and ip = '1.2.3.4' and at >= 0 and outcome = 'failure'",
      ),
    ).toMatch(/USING INDEX audit_logs_login_ip_idx/);
    expect(await plan("select * from job_runs where job_id = 3 order by queued_at desc")).toMatch(
      /job_runs_job_idx/,
    );
    catalog.client.close();
  });
});

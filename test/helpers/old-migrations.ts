import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_DIR } from "../../functions/db/client-node.ts";
import { ROOT } from "./process.ts";

/**
 * The migrations up to and including `lastTag` (e.g. "0005_run_truth"), in a temp dir, as an
 * older hub shipped them: drizzle's folder (SQL and journal) and a wrangler config whose D1
 * migrations are those, for `wrangler d1 migrations apply --config`. Returns both paths.
 */
export function migrationsUpTo(lastTag: string): { folder: string; wranglerConfig: string } {
  const dir = mkdtempSync(join(tmpdir(), "tb-old-migrations-"));
  const folder = join(dir, "migrations");
  mkdirSync(join(folder, "meta"), { recursive: true });
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  if (last === -1) throw new Error(`no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(join(folder, "meta/_journal.json"), JSON.stringify(journal));
  for (const { tag } of journal.entries)
    copyFileSync(join(MIGRATIONS_DIR, `${tag}.sql`), join(folder, `${tag}.sql`));
  const wranglerConfig = join(dir, "wrangler.toml");
  writeFileSync(
    wranglerConfig,
    readFileSync(join(ROOT, "wrangler.toml"), "utf8")
      .replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, "functions/worker.ts"))}`)
      .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(folder)}`),
  );
  return { folder, wranglerConfig };
}

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_DIR } from "../../functions/db/client-node.ts";
import { ROOT } from "./process.ts";

type Journal = { entries: { idx: number; tag: string; when: number }[] };

const readJournal = (): Journal =>
  JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as Journal;

/** Drizzle's folder (SQL and journal) of `journal`'s entries, and a wrangler config over it. */
function writeFolder(journal: Journal): { folder: string; wranglerConfig: string } {
  const dir = mkdtempSync(join(tmpdir(), "tb-old-migrations-"));
  const folder = join(dir, "migrations");
  mkdirSync(join(folder, "meta"), { recursive: true });
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

/**
 * Every migration but `tags` (e.g. a conversion under test), in a temp dir: a catalog these make
 * has every later table and column the current hub writes, and lacks only what `tags` change —
 * so the current hub can fill it as the older one would have, and the test then applies `tags`.
 * Returns drizzle's folder and a wrangler config for `wrangler d1 migrations apply --config`
 * (wrangler applies by file name, so the real folder then applies just `tags`).
 */
export function migrationsWithout(tags: string[]): { folder: string; wranglerConfig: string } {
  const journal = readJournal();
  for (const tag of tags)
    if (!journal.entries.some((e) => e.tag === tag)) throw new Error(`no migration ${tag}`);
  return writeFolder({ ...journal, entries: journal.entries.filter((e) => !tags.includes(e.tag)) });
}

/**
 * Every migration, with `tags` moved after the newest: drizzle's migrator applies what is newer
 * than the last migration a catalog has, so on a catalog from migrationsWithout(tags) this folder
 * applies exactly `tags`, in their order.
 */
export function migrationsWithLast(tags: string[]): string {
  const journal = readJournal();
  const newest = Math.max(...journal.entries.map((e) => e.when));
  const rest = journal.entries.filter((e) => !tags.includes(e.tag));
  const last = tags.map((tag, i) => {
    const entry = journal.entries.find((e) => e.tag === tag);
    if (!entry) throw new Error(`no migration ${tag}`);
    return { ...entry, when: newest + 1 + i };
  });
  return writeFolder({ ...journal, entries: [...rest, ...last].map((e, idx) => ({ ...e, idx })) }).folder;
}

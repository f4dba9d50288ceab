import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/process.ts";

const ROUTES = join(ROOT, "functions/routes");

/** Known exceptions, each with its way out (none now: add one only with a reason and a TODO). */
const KNOWN = new Set<string>([]);

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(ROUTES, join(e.parentPath, e.name)));
}

const DATABASE = /from\s+["'](drizzle-orm[^"']*|[^"']*\/db\/(schema|client)[^"']*)["']/;

describe("routes stay thin", () => {
  it("no file under functions/routes imports drizzle or the catalog schema: they call service verbs", async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(ROUTES)) {
      const text = await readFile(join(ROUTES, file), "utf8");
      if (DATABASE.test(text) && !KNOWN.has(file)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });

  it("the known exceptions are still exceptions (delete the entry once the file is clean)", async () => {
    for (const file of KNOWN) {
      expect(DATABASE.test(await readFile(join(ROUTES, file), "utf8")), file).toBe(true);
    }
  });
});

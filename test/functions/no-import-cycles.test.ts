import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/process.ts";

const HUB = join(ROOT, "functions");
const IMPORT = /(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/gs;

/** Every hub file and the hub files it imports (value and type imports alike, as ADR 0008 says). */
async function importGraph(): Promise<Map<string, string[]>> {
  const entries = await readdir(HUB, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = await readFile(file, "utf8");
    graph.set(
      file,
      [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1] as string)),
    );
  }
  return graph;
}

describe("the hub's modules", () => {
  it("import one another without a cycle (a shared piece moves to a leaf both import)", async () => {
    const graph = await importGraph();
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const cycles: string[][] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(cycles.map((c) => c.map((f) => relative(HUB, f)).join(" → "))).toEqual([]);
    expect(graph.size).toBeGreaterThan(100);
  });
});

import type { Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { basename, relative, resolve } from "node:path";
import { compileGlobs } from "./glob.ts";

export type WalkOptions = {
  paths: readonly string[];
  include: readonly string[];
  exclude: readonly string[];
  /** Incremental: only entries whose content or metadata changed after this instant (ms). */
  changedSinceMs: number | null;
  /** Every entry that exists, changed or not: the set's manifest, the base for the next deletions. */
  onPresent: (kind: string, tarName: string) => void;
  /** An entry for tar to archive. Returns false when the consumer wants a pause (`drained`). */
  onListed: (tarName: string, info: { size: number; absolute: string }) => boolean;
  drained: () => Promise<void>;
  onWarning: (message: string, path: string) => void;
  signal: AbortSignal;
};

type Item = { absolute: string; root: string; kind: "d" | "f" | "l" | "o"; size: number; changed: boolean };

const STAT_BATCH = 256;

/**
 * Lists the sources depth-first with every directory's entries sorted, so the list (and the
 * manifest) has one order that the next incremental can merge against. Symlinks are listed, never
 * followed. Directories are listed before their contents; with include patterns, only directories
 * that lead to an included file. Memory: the siblings of each directory on the current path.
 */
export async function walkSources(options: WalkOptions): Promise<{ files: number; bytes: number }> {
  const include = compileGlobs(options.include);
  const exclude = compileGlobs(options.exclude);
  const since = options.changedSinceMs;
  let files = 0;
  let bytes = 0;
  const pendingDirs: Item[] = [];
  const stack: Item[] = [];

  // Roots in walk order too, so every manifest of the job lists paths in one total order.
  const roots = options.paths.map((p) => resolve(p)).sort((a, b) => compareWalkOrder(b, a));
  for (const root of roots) {
    const info = await lstat(root).catch((error: NodeJS.ErrnoException) => {
      options.onWarning(`source path cannot be read: ${error.code ?? error.message}`, root);
      return null;
    });
    if (info) stack.push(itemOf(root, root, info, since));
  }

  const list = async (item: Item) => {
    const name = tarName(item.absolute);
    files++;
    bytes += item.size;
    if (!options.onListed(name, { size: item.size, absolute: item.absolute })) await options.drained();
  };

  while (stack.length > 0) {
    if (options.signal.aborted) break;
    const item = stack.pop() as Item;
    const rel = relative(item.root, item.absolute);
    const path = { absolute: item.absolute, relative: rel, name: basename(item.absolute) };
    if (rel !== "" && exclude?.(path)) continue;
    options.onPresent(item.kind, tarName(item.absolute));
    // Forget pending directories that are not ancestors of this item.
    while (pendingDirs.length > 0 && !isInside(item.absolute, (pendingDirs.at(-1) as Item).absolute))
      pendingDirs.pop();
    if (item.kind === "d") {
      if (include) pendingDirs.push(item);
      else if (item.changed) await list(item);
      const children = await readChildren(item, since, options);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Item);
      continue;
    }
    if (!item.changed || (include && !include(path))) continue;
    // The directories that lead here are listed first, so tar restores their metadata too.
    for (const dir of pendingDirs.splice(0)) if (dir.changed) await list(dir);
    await list(item);
  }
  return { files, bytes };
}

async function readChildren(dir: Item, since: number | null, options: WalkOptions): Promise<Item[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir.absolute, { withFileTypes: true });
  } catch (error) {
    options.onWarning(`cannot list directory: ${(error as NodeJS.ErrnoException).code}`, dir.absolute);
    return [];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Item[] = [];
  for (let i = 0; i < entries.length; i += STAT_BATCH) {
    const batch = entries.slice(i, i + STAT_BATCH);
    const stats = await Promise.all(batch.map((e) => lstat(`${dir.absolute}/${e.name}`).catch(() => null)));
    batch.forEach((entry, j) => {
      const info = stats[j];
      // Vanished between readdir and lstat: nothing to back up, and no warning needed.
      if (info) out.push(itemOf(`${dir.absolute}/${entry.name}`, dir.root, info, since));
    });
  }
  return out;
}

function itemOf(
  absolute: string,
  root: string,
  info: Awaited<ReturnType<typeof lstat>>,
  since: number | null,
): Item {
  const kind = info.isDirectory() ? "d" : info.isFile() ? "f" : info.isSymbolicLink() ? "l" : "o";
  // ctime too: a file moved into the tree keeps its old mtime but gets a new ctime.
  const changed = since === null || Number(info.mtimeMs) > since || Number(info.ctimeMs) > since;
  return { absolute, root, kind, size: kind === "f" ? Number(info.size) : 0, changed };
}

function isInside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** The member name tar stores for an absolute path when run with `-C /`. */
export function tarName(absolute: string): string {
  return absolute.replace(/^\/+/, "") || ".";
}

/** Orders paths the way the walk lists them: component by component. */
export function compareWalkOrder(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

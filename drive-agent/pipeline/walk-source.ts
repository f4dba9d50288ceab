import { constants, type Dirent, lstatSync } from "node:fs";
import { access, lstat, opendir, readdir, readlink } from "node:fs/promises";
import { basename, relative, resolve } from "node:path";
import { compileGlobs } from "./glob.ts";
import type { PathState } from "./manifest.ts";

/** Decides per path whether it goes into the set (an accurate incremental's base manifest). */
export type Baseline = { changed(tarName: string, state: PathState): Promise<boolean> };

export type WalkOptions = {
  paths: readonly string[];
  include: readonly string[];
  exclude: readonly string[];
  /** Incremental or differential: only entries the base says changed; null: every entry (a full). */
  baseline: Baseline | null;
  /** Every entry that exists, changed or not: the set's manifest, the base of the next incremental. */
  onPresent: (tarName: string, state: PathState) => void;
  /** An entry for tar to archive. Returns false when the consumer wants a pause (`drained`). */
  onListed: (tarName: string, info: { size: number; absolute: string; kind: Item["kind"] }) => boolean;
  drained: () => Promise<void>;
  onWarning: (message: string, path: string) => void;
  signal: AbortSignal;
};

export type WalkTotals = {
  /** Entries listed for tar (directories too), and the bytes of the regular files among them. */
  files: number;
  bytes: number;
  /** Non-directory entries the selection holds, changed or not: zero means the source is empty. */
  selected: number;
};

/** A source root that is missing or unreadable: the run fails, it never backs up "nothing". */
export class SourceRootError extends Error {
  constructor(readonly problems: readonly RootProblem[]) {
    super(
      `${problems.map((p) => `source path ${p.path} ${p.problem}`).join("; ")} on this agent's host. ` +
        "Check the path in the job's source, that the share is mounted and that the agent's user may read it, then run the job again.",
    );
    this.name = "SourceRootError";
  }
}

export type RootProblem = { path: string; problem: string };

type Item = {
  absolute: string;
  root: string;
  kind: "d" | "f" | "l" | "o";
  size: number;
  state: PathState;
  changed: boolean;
};

/**
 * Entries lstat'ed per turn of the event loop. The calls are synchronous: an async lstat costs a
 * promise, a thread-pool round trip and a queue behind zstd and the vtl's writes, ~21 % of the main
 * thread on a tree of small files (bench/README.md); a batch of sync calls then yields, so timers
 * (progress, heartbeats) still run between batches.
 */
const STAT_BATCH = 256;

/**
 * Lists the sources depth-first with every directory's entries sorted, so the list (and the
 * manifest) has one order that the next incremental can merge against. Symlinks are listed, never
 * followed. Directories are listed before their contents; with include patterns, only directories
 * that lead to an included file. Memory: the siblings of each directory on the current path.
 */
export async function walkSources(options: WalkOptions): Promise<WalkTotals> {
  const include = compileGlobs(options.include);
  const exclude = compileGlobs(options.exclude);
  let files = 0;
  let bytes = 0;
  let selected = 0;
  const pendingDirs: Item[] = [];
  const stack: Item[] = [];

  // Roots in walk order too, so every manifest of the job lists paths in one total order.
  const roots = options.paths.map((p) => resolve(p)).sort((a, b) => compareWalkOrder(b, a));
  const problems: RootProblem[] = [];
  for (const root of roots) {
    const info = await lstat(root).catch((error: NodeJS.ErrnoException) => {
      problems.push({ path: root, problem: rootErrorWords(error) });
      return null;
    });
    if (info) stack.push(itemOf(root, root, info));
  }
  if (problems.length > 0) throw new SourceRootError(problems);

  const list = async (item: Item, name: string) => {
    files++;
    bytes += item.size;
    if (!options.onListed(name, { size: item.size, absolute: item.absolute, kind: item.kind }))
      await options.drained();
  };

  while (stack.length > 0) {
    if (options.signal.aborted) break;
    const item = stack.pop() as Item;
    // The glob's view of the path, only when there are globs (two strings per entry otherwise).
    const path = include || exclude ? globPath(item) : null;
    if (path && path.relative !== "" && exclude?.(path)) continue;
    const name = tarName(item.absolute);
    if (item.kind === "l") item.state.link = await readlink(item.absolute).catch(() => null);
    options.onPresent(name, item.state);
    // Items come in walk order, so the base's cursor only moves forward.
    item.changed = options.baseline ? await options.baseline.changed(name, item.state) : true;
    // Forget pending directories that are not ancestors of this item.
    while (pendingDirs.length > 0 && !isInside(item.absolute, (pendingDirs.at(-1) as Item).absolute))
      pendingDirs.pop();
    if (item.kind === "d") {
      if (include) pendingDirs.push(item);
      else if (item.changed) await list(item, name);
      const children = await readChildren(item, options);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Item);
      continue;
    }
    if (include && path && !include(path)) continue;
    selected++;
    if (!item.changed) continue;
    // The directories that lead here are listed first, so tar restores their metadata too.
    for (const dir of pendingDirs.splice(0)) if (dir.changed) await list(dir, tarName(dir.absolute));
    await list(item, name);
  }
  return { files, bytes, selected };
}

/**
 * What is wrong with each source root before anything is written: missing, not readable, not a
 * directory where the path says one (a trailing "/"), or a directory that cannot be listed.
 */
export async function checkSourceRoots(paths: readonly string[]): Promise<RootProblem[]> {
  const problems: RootProblem[] = [];
  for (const path of paths) {
    const root = resolve(path);
    const problem = await lstat(root).then(
      async (info) => {
        if (info.isDirectory())
          return opendir(root).then(
            (d) => d.close().then(() => null),
            (error: NodeJS.ErrnoException) => `cannot be listed (${rootErrorWords(error)})`,
          );
        if (path.endsWith("/")) return "is not a directory";
        if (info.isFile())
          return access(root, constants.R_OK).then(
            () => null,
            (error: NodeJS.ErrnoException) => `cannot be read (${rootErrorWords(error)})`,
          );
        return null;
      },
      (error: NodeJS.ErrnoException) => rootErrorWords(error),
    );
    if (problem) problems.push({ path: root, problem });
  }
  return problems;
}

/**
 * Whether the sources hold at least one non-directory entry the selection keeps. Stops at the
 * first one, so it is quick on a full tree and walks all of an empty one (an unmounted share).
 */
export async function sourceHasFiles(
  options: Pick<WalkOptions, "paths" | "include" | "exclude" | "onWarning">,
): Promise<boolean> {
  const abort = new AbortController();
  let found = false;
  await walkSources({
    ...options,
    baseline: null,
    onPresent: () => undefined,
    onListed: (_name, info) => {
      if (info.kind !== "d") {
        found = true;
        abort.abort();
      }
      return true;
    },
    drained: async () => undefined,
    signal: abort.signal,
  });
  return found;
}

function rootErrorWords(error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT") return "does not exist";
  if (error.code === "EACCES" || error.code === "EPERM") return "permission denied";
  if (error.code === "ENOTDIR") return "is not a directory (a part of the path is a file)";
  return `cannot be read: ${error.code ?? error.message}`;
}

async function readChildren(dir: Item, options: WalkOptions): Promise<Item[]> {
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
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const entry of batch) {
      const absolute = `${dir.absolute}/${entry.name}`;
      const info = statOrNull(absolute);
      // Vanished between readdir and lstat: nothing to back up, and no warning needed.
      if (info) out.push(itemOf(absolute, dir.root, info));
    }
  }
  return out;
}

/** lstat of a directory entry; null when it vanished or cannot be read (as the async walk had it). */
function statOrNull(absolute: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(absolute, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function itemOf(absolute: string, root: string, info: Awaited<ReturnType<typeof lstat>>): Item {
  const kind = info.isDirectory() ? "d" : info.isFile() ? "f" : info.isSymbolicLink() ? "l" : "o";
  const size = kind === "f" ? Number(info.size) : 0;
  const state: PathState = {
    kind,
    size,
    mtimeMs: Number(info.mtimeMs),
    ctimeMs: Number(info.ctimeMs),
    ino: Number(info.ino),
    link: null,
  };
  return { absolute, root, kind, size, state, changed: true };
}

function globPath(item: Item): { absolute: string; relative: string; name: string } {
  return {
    absolute: item.absolute,
    relative: relative(item.root, item.absolute),
    name: basename(item.absolute),
  };
}

function isInside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** The member name tar stores for an absolute path when run with `-C /`. */
export function tarName(absolute: string): string {
  if (absolute.charCodeAt(0) !== 47 || absolute.charCodeAt(1) === 47)
    return absolute.replace(/^\/+/, "") || ".";
  return absolute.length > 1 ? absolute.slice(1) : ".";
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

import { lstat, mkdir, realpath } from "node:fs/promises";
import { dirname, join, sep } from "node:path";

/** Why a member may not be written where its name points; the member fails, the restore goes on. */
export class UnsafePath extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafePath";
  }
}

/**
 * The destination-relative components of a tar member name. A leading "/" is dropped (an absolute
 * member lands under the destination, as GNU tar does); ".." is refused outright, since no
 * TapeBackarr set contains one and a crafted tape must not climb out of the destination.
 */
export function memberComponents(name: string): string[] {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new UnsafePath(`member "${name}" contains "..": refused`);
  if (parts.length === 0) throw new UnsafePath(`member "${name}" names the destination itself`);
  if (parts.some((p) => p.includes("\0"))) throw new UnsafePath(`member "${name}" contains NUL`);
  return parts;
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * Makes the parent directories of a member under `root` (its real path) and returns the path to
 * write. A parent that is a symlink is followed only when its target stays inside the destination:
 * a symlink restored earlier (or planted there) can never carry a write outside it.
 */
export async function prepareTarget(root: string, name: string): Promise<string> {
  const parts = memberComponents(name);
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    const next = join(dir, part);
    const info = await lstat(next).catch(() => null);
    if (!info) {
      await mkdir(next, { mode: 0o755 });
      dir = next;
      continue;
    }
    if (info.isSymbolicLink()) {
      const real = await realpath(next).catch(() => null);
      if (real === null || !inside(root, real))
        throw new UnsafePath(
          `"${name}" would be written through the symlink ${next}, which leads outside the destination`,
        );
      if (!(await lstat(real)).isDirectory()) throw new UnsafePath(`${next} is not a directory`);
      dir = real;
      continue;
    }
    if (!info.isDirectory()) throw new UnsafePath(`${next} exists and is not a directory`);
    dir = next;
  }
  const target = join(dir, parts.at(-1) as string);
  if (!inside(root, dirname(target)) && dirname(target) !== root)
    throw new UnsafePath(`"${name}" resolves outside the destination`);
  return target;
}

/** The longest file name (one path component, in bytes) Linux file systems take. */
export const NAME_MAX_BYTES = 255;

/**
 * `name.restored-1`, `-2`, ...: the first name free at the destination. A name too long for the
 * suffix is shortened first (at a character boundary), so the result still fits NAME_MAX.
 */
export async function freeName(path: string): Promise<string> {
  const dir = dirname(path);
  const name = path.slice(dir.length + 1);
  for (let n = 1; ; n++) {
    const suffix = `.restored-${n}`;
    const candidate = join(dir, fitName(name, NAME_MAX_BYTES - Buffer.byteLength(suffix)) + suffix);
    if (!(await lstat(candidate).catch(() => null))) return candidate;
  }
}

function fitName(name: string, bytes: number): string {
  let out = name;
  while (Buffer.byteLength(out) > bytes) out = Array.from(out).slice(0, -1).join("");
  return out;
}

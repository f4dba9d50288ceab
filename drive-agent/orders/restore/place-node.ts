import { randomBytes } from "node:crypto";
import { chmod, lchown, rm, utimes } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { runCommand } from "../../exec.ts";
import type { TarHeader } from "../../pipeline/tar-framer.ts";
import { NAME_MAX_BYTES } from "./safe-path.ts";

/**
 * Where a member is written before it is checked: `.name.tbr-XXXXXXXX` beside its target, or
 * `.tbr-XXXXXXXX` when that would pass NAME_MAX (a name of 242 bytes or more).
 */
export function temporaryName(target: string): string {
  const tag = `.tbr-${randomBytes(4).toString("hex")}`;
  const long = `.${basename(target)}${tag}`;
  return join(dirname(target), Buffer.byteLength(long) <= NAME_MAX_BYTES ? long : tag);
}

/**
 * A FIFO or a device node at `temp`, made with mkfifo/mknod (Node has neither), then given its
 * mode, owner and mtime. A device node needs root: without it the member fails in words.
 */
export async function makeNode(
  member: TarHeader,
  temp: string,
  options: { owners: boolean; modeMask: number },
): Promise<void> {
  const device = member.device ?? { major: 0, minor: 0 };
  if (member.type !== "fifo" && member.type !== "char" && member.type !== "block")
    throw new Error("a tar member of a type TapeBackarr does not know; not restored");
  const what = member.type === "fifo" ? "FIFO" : `${member.type} device ${device.major},${device.minor}`;
  if (member.type !== "fifo" && process.getuid?.() !== 0)
    throw new Error(`${what} not restored: only root may create device nodes (run the restore as root)`);
  const argv: [string, ...string[]] =
    member.type === "fifo"
      ? ["mkfifo", "-m", "600", "--", temp]
      : [
          "mknod",
          "-m",
          "600",
          "--",
          temp,
          member.type === "char" ? "c" : "b",
          String(device.major),
          String(device.minor),
        ];
  const made = await runCommand({ argv, timeoutMs: 30_000 });
  if (made.exitCode !== 0)
    throw new Error(`${what} not restored: ${made.stderr.trim() || `${argv[0]} failed`}`);
  try {
    if (options.owners) await lchown(temp, member.uid, member.gid);
    await chmod(temp, member.mode & options.modeMask);
    await utimes(temp, member.mtime, member.mtime);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

import { randomUUID } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { DriveError } from "../../errors.ts";

export type HeldLock = { path: string; release(): Promise<void> };

/**
 * An exclusive lock file (O_EXCL create) holding the owner's pid. A lock left by a dead process
 * is taken over, so a crashed agent never wedges a drive; a live owner makes the caller retry later.
 */
export async function acquireLock(path: string, what: string): Promise<HeldLock> {
  const token = `${process.pid}:${randomUUID()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, token, { flag: "wx" });
      return { path, release: () => releaseLock(path, token) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = await readFile(path, "utf8").catch(() => "");
      const pid = Number(owner.split(":")[0]);
      // An empty file is a lock being written by its taker right now, not a stale one.
      if (owner === "" || isAlive(pid)) {
        const by = owner === "" ? "another process" : `process ${pid}`;
        throw new DriveError("DRIVE_BUSY", `${what} is in use by ${by} (lock ${path})`);
      }
      // Stale: its owner died. Remove it and try once more; a racing taker wins via O_EXCL.
      await rm(path, { force: true });
    }
  }
  throw new DriveError("DRIVE_BUSY", `${what} is being taken by another process (lock ${path})`);
}

async function releaseLock(path: string, token: string): Promise<void> {
  const owner = await readFile(path, "utf8").catch(() => "");
  if (owner === token) await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

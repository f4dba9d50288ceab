import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CATALOG_PATH_SUFFIX } from "../../contracts/catalog-backup.ts";
import { DriveError } from "../errors.ts";
import { listTape } from "../tape/list-tape.ts";
import { createOutput, type Output, UsageError } from "./output.ts";
import { openTapeDrive, runRestoreCommand } from "./restore-command.ts";

type Args = { positionals: string[]; values: Record<string, string | boolean | undefined> };

/**
 * `restore-catalog`: the newest catalog backup set on the tape (by its TOC's finish time),
 * restored as `<to>/tapebackarr.db`, so a hub started with DATA_DIR=<to> (and the hub's secrets
 * file) has its whole catalog back: sets, incremental chains, deletions, tapes, pools, jobs.
 */
export async function runRestoreCatalogCommand(args: Args, out: Output): Promise<number> {
  const tape = typeof args.values.tape === "string" ? args.values.tape : args.positionals.shift();
  if (!tape) throw new UsageError("restore-catalog: name the drive with --tape /dev/nstN or a vtl directory");
  if (typeof args.values.to !== "string") throw new UsageError("restore-catalog: --to DATA_DIR is required");
  const dataDir = resolve(args.values.to);
  const target = join(dataDir, "tapebackarr.db");
  if (!args.values.force && (await stat(target).catch(() => null)))
    throw new UsageError(`${target} exists: move it away or pass --force`);
  const index = args.values.drive === undefined ? 0 : Number(args.values.drive);

  const { drive } = await openTapeDrive(tape, index);
  let found: { setId: string; finishedAt: string; path: string; size: number } | undefined;
  try {
    for (const { toc } of (await listTape(drive)).sets) {
      const file = toc.files.find((f) => f.path.endsWith(CATALOG_PATH_SUFFIX));
      if (file && (!found || toc.finishedAt > found.finishedAt))
        found = { setId: toc.setId, finishedAt: toc.finishedAt, path: file.path, size: file.size };
    }
  } finally {
    await drive.close();
  }
  if (!found)
    throw new DriveError(
      "NOT_FOUND",
      "no catalog backup on this tape: try the pool's other tapes, or scan them",
    );

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const scratch = await mkdtemp(join(dataDir, ".restore-catalog-"));
  try {
    const quiet = createOutput(true, () => {});
    const code = await runRestoreCommand(
      "restore",
      {
        positionals: [found.path],
        values: { ...args.values, tape, set: found.setId, to: scratch, overwrite: "skip" },
      },
      quiet,
    );
    if (code !== 0)
      throw new DriveError("MEDIUM_ERROR", `the catalog in set ${found.setId} did not restore intact`);
    for (const suffix of ["-wal", "-shm"]) await rm(`${target}${suffix}`, { force: true });
    await rename(join(scratch, found.path), target);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  out.print(
    [
      `catalog of ${found.finishedAt} (set ${found.setId}, ${found.size} bytes) restored to ${target}`,
      `start the hub on it: DATA_DIR=${dataDir} npm run start:hub (with the hub's secrets file in ${dataDir});`,
      "then enroll the agents again (drive-agent enroll --force) and scan the tape written after this catalog backup",
    ].join("\n"),
    { setId: found.setId, finishedAt: found.finishedAt, bytes: found.size, path: target },
  );
  return 0;
}

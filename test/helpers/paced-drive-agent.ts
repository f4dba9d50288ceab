import { runRunCommand } from "../../drive-agent/cli/run-command.ts";
import type { Drive } from "../../drive-agent/drives/drive.ts";
import { createBackupExecutor } from "../../drive-agent/orders/backup.ts";
import { executeEject } from "../../drive-agent/orders/eject.ts";
import { executeLabel } from "../../drive-agent/orders/label.ts";
import { executeRestore } from "../../drive-agent/orders/restore.ts";
import { executeScan } from "../../drive-agent/orders/scan.ts";
import { executeVerify } from "../../drive-agent/orders/verify.ts";

/**
 * The real agent and the real backup pipeline, on a virtual drive that writes at a fixed speed
 * (TB_TEST_DRIVE_BYTES_PER_SEC), as a real drive does, with small buffers so the tar side feels
 * the drive: a backup of N bytes then lasts at least N / speed seconds, whatever the machine.
 * That is what lets a browser test watch a run part-way (a percent below 100, an ETA, a pause).
 */
const bytesPerSec = Number(process.env.TB_TEST_DRIVE_BYTES_PER_SEC ?? 4 << 20);
/** A real drive's floor (TB_TEST_DRIVE_MIN_BYTES_PER_SEC): below it the drive shoe-shines. Unset: the vtl's (none). */
const minBytesPerSec = process.env.TB_TEST_DRIVE_MIN_BYTES_PER_SEC;
/** A slow source (TB_TEST_SOURCE_BYTES_PER_SEC): what tar reads reaches the drive no faster. */
const sourceBytesPerSec = Number(process.env.TB_TEST_SOURCE_BYTES_PER_SEC ?? 0);

/** Holds bytes to a speed: each piece passes once the time its bytes take at that speed is up. */
function pacer(speed: number): (bytes: number) => Promise<void> {
  let due = performance.now();
  return async (bytes) => {
    due = Math.max(due, performance.now()) + (bytes / speed) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}

function pacedDrive(drive: Drive): Drive {
  const pace = pacer(bytesPerSec);
  const write: Drive["write"] = async (data) => {
    await pace(data.byteLength);
    return drive.write(data);
  };
  return new Proxy(drive, {
    get(target, prop) {
      if (prop === "write") return write;
      if (prop === "minStreamingBytesPerSec" && minBytesPerSec) return Number(minBytesPerSec);
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const backup = createBackupExecutor({
  progressIntervalMs: 500,
  mbufferBytes: 1 << 20,
  memoryBufferBytes: 1 << 20,
  plainChunkBytes: 256 << 10,
  // As a slow share would feed tar: what it reads reaches the drive no faster.
  ...(sourceBytesPerSec ? { paceSource: pacer(sourceBytesPerSec) } : {}),
});

process.exit(
  await runRunCommand(process.argv.slice(3), {
    backup: (order, ctx) => backup(order, { ...ctx, drive: pacedDrive(ctx.drive) }),
    label: executeLabel,
    restore: executeRestore,
    eject: executeEject,
    scan: executeScan,
    verify: executeVerify,
  }),
);

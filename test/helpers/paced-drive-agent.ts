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

function pacedDrive(drive: Drive): Drive {
  let due = performance.now();
  const write: Drive["write"] = async (data) => {
    due = Math.max(due, performance.now()) + (data.byteLength / bytesPerSec) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return drive.write(data);
  };
  return new Proxy(drive, {
    get(target, prop) {
      if (prop === "write") return write;
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

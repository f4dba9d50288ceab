import { runRunCommand } from "../../drive-agent/cli/run-command.ts";
import { executeEject } from "../../drive-agent/orders/eject.ts";
import { executeLabel } from "../../drive-agent/orders/label.ts";
import { executeRestore } from "../../drive-agent/orders/restore.ts";
import { executeScan } from "../../drive-agent/orders/scan.ts";
import type { BackupExecutor } from "../../drive-agent/orders/types.ts";
import { executeVerify } from "../../drive-agent/orders/verify.ts";
import { NO_PROGRESS } from "./progress.ts";

/**
 * The real agent runtime with a stand-in backup executor that runs until it is stopped
 * (reporting progress), so tests can kill or stop an agent in the middle of an order
 * without depending on the backup pipeline.
 */
const slowBackup: BackupExecutor = async (order, ctx) => {
  ctx.log("info", "stand-in backup running", { setUuid: order.set.uuid });
  let bytesDone = 0;
  while (!ctx.signal.aborted) {
    bytesDone += 1024;
    await ctx.reporter.progress({
      state: "running",
      ...NO_PROGRESS,
      bytesDone,
      message: null,
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  ctx.log("info", "stand-in backup stopped cleanly");
  return { state: "interrupted", error: "stopped", retryable: true };
};

process.exit(
  await runRunCommand(process.argv.slice(3), {
    backup: slowBackup,
    label: executeLabel,
    restore: executeRestore,
    eject: executeEject,
    scan: executeScan,
    verify: executeVerify,
  }),
);

import { eq } from "drizzle-orm";
import { z } from "zod";
import type { ScanOrderBody } from "../../../contracts/agent-protocol.ts";
import { drives, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { scanJob } from "./scan-job.ts";

export const startScanInput = z.object({
  /** The cartridge to load first when the drive sits in a changer; default: what the drive holds. */
  barcode: z
    .string()
    .regex(/^[A-Z0-9]{1,16}$/)
    .optional(),
});

/**
 * Queues a scan of the tape in a drive (or the named cartridge of its changer): the drive's agent
 * reads the label and every TOC and posts them, and the hub adds what it did not know.
 */
export async function startScan(
  ctx: ServiceCtx,
  driveId: number,
  input: z.output<typeof startScanInput> & { rebuildSetUuid?: string; message?: string },
  triggeredBy: string,
) {
  const drive = getOrThrow(
    await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) }),
    "Drive",
    driveId,
  );
  const job = await scanJob(ctx);
  const now = ctx.now();
  const [run] = await ctx.db
    .insert(jobRuns)
    .values({
      jobId: job.id,
      kind: "scan",
      state: "queued",
      triggeredBy,
      queuedAt: now,
      agentId: drive.agentId,
      driveId: drive.id,
      operatorMessage: input.message ?? `Scanning ${input.barcode ?? "the tape"} in ${drive.name}`,
    })
    .returning();
  if (!run) throw new Error("scan run insert returned nothing");
  const body: ScanOrderBody = {
    kind: "scan",
    runId: run.id,
    drive: { devicePath: drive.devicePath },
    barcode: input.barcode ?? null,
    rebuildSetUuid: input.rebuildSetUuid ?? null,
  };
  await queueOrder(ctx, drive.agentId, body);
  return run;
}

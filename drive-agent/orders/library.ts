import type { LibraryResult, OrderResult } from "../../contracts/agent-protocol.ts";
import type { ChangerInventory } from "../drives/changer/parse-mtx-status.ts";
import { DriveError, isDriveError } from "../errors.ts";
import { readTapeLabel } from "../tape/label-tape.ts";
import type { ExecutorContext, LibraryExecutor, Robot } from "./types.ts";

type Ctx = ExecutorContext & { robot: Robot };

/**
 * Changer moves and drive care from the hub. What was done so far is reported even when a later
 * step fails (an export that ran out of mail slots still recorded the ones it moved).
 */
export const executeLibrary: LibraryExecutor = async (order, ctx) => {
  const { robot } = ctx;
  const op = order.operation;
  if (!robot) return refused(`${ctx.drive.name} is in no changer this agent knows; ${op.op} needs one`);
  const result: LibraryResult = {};
  try {
    const words = await run(op, { ...ctx, robot }, result);
    await say(ctx, "info", words);
    return { state: "completed", summary: {}, library: result };
  } catch (error) {
    const message = `${op.op}: ${(error as Error).message}`;
    await say(ctx, "error", message).catch(() => {});
    if (ctx.signal.aborted) return { state: "interrupted", error: message, retryable: true, library: result };
    const retryable = isDriveError(error) && error.recovery === "retry";
    return { state: "failed", error: message, retryable, library: result };
  }
};

async function run(op: Parameters<LibraryExecutor>[0]["operation"], ctx: Ctx, result: LibraryResult) {
  const { robot, drive } = ctx;
  switch (op.op) {
    case "inventory": {
      const inv = await robot.rescan();
      return `inventory: ${inv.slots.filter((s) => s.full).length} cartridge(s) in ${inv.slots.length} slot(s)`;
    }
    case "load":
      await robot.load(op.slot);
      return `loaded slot ${op.slot} into ${drive.name}`;
    case "unload":
      return `unloaded ${drive.name} into slot ${await robot.unload(op.slot)}`;
    case "transfer":
      await robot.transfer(op.from, op.to);
      return `moved slot ${op.from} to slot ${op.to}`;
    case "import":
      return importMailSlots(ctx, result);
    case "export":
      return exportToMailSlots(ctx, op.barcodes, result);
    case "clean":
      return clean(ctx, op.barcode, result);
    case "erase": {
      await bringIn(ctx, op.barcode);
      const identity = await readTapeLabel(drive);
      const found = identity.kind === "labelled" ? identity.label.label : null;
      if (op.expectedLabel !== null && found !== op.expectedLabel)
        throw new DriveError(
          "TAPE_NOT_BLANK",
          `${op.barcode} is labelled ${found ?? `(${identity.kind})`}, not ${op.expectedLabel}; nothing was erased`,
        );
      await drive.rewind();
      if (op.long) await drive.erase();
      else await (drive.shortErase ? drive.shortErase() : drive.erase());
      await drive.rewind();
      result.erased = { barcode: op.barcode, long: op.long };
      return `erased ${op.barcode} (${op.long ? "long" : "short"} erase): it reads as blank`;
    }
  }
}

/** Each cartridge in a mail slot goes to a free slot; data cartridges are loaded and their label read. */
async function importMailSlots(ctx: Ctx, result: LibraryResult): Promise<string> {
  const { robot, drive } = ctx;
  result.imported = [];
  const inv = await robot.inventory();
  if (driveHolds(inv, robot.driveIndex)) await robot.unload(null);
  for (const mail of (await robot.inventory()).slots.filter((s) => s.importExport && s.full)) {
    ctx.signal.throwIfAborted();
    const barcode = mail.barcode;
    if (!barcode)
      throw new DriveError("CHANGER_ERROR", `mail slot ${mail.slot} holds a cartridge without a barcode`);
    const free = (await robot.inventory()).slots.find((s) => !s.full && !s.importExport);
    if (!free)
      throw new DriveError("CHANGER_ERROR", `no free slot for ${barcode}; export or remove a cartridge`);
    await robot.transfer(mail.slot, free.slot);
    if (barcode.startsWith("CLN")) {
      result.imported.push({ barcode, slot: free.slot, kind: "cleaning", label: null, filesOnTape: 0 });
      continue;
    }
    await robot.load(free.slot);
    const identity = await readTapeLabel(drive);
    await robot.unload(free.slot);
    result.imported.push({
      barcode,
      slot: free.slot,
      kind: identity.kind,
      label:
        identity.kind === "labelled"
          ? { label: identity.label.label, uuid: identity.label.uuid, pool: identity.label.pool }
          : null,
      filesOnTape: identity.kind === "blank" ? 0 : identity.filesOnTape,
    });
    await say(ctx, "info", `imported ${barcode} into slot ${free.slot}: ${identity.kind}`);
  }
  return `imported ${result.imported.length} cartridge(s) from the mail slots`;
}

async function exportToMailSlots(ctx: Ctx, barcodes: string[], result: LibraryResult): Promise<string> {
  const { robot } = ctx;
  result.exported = [];
  for (const barcode of barcodes) {
    ctx.signal.throwIfAborted();
    const inv = await robot.inventory();
    const mail = inv.slots.find((s) => s.importExport && !s.full);
    if (!mail)
      throw new DriveError(
        "CHANGER_ERROR",
        `the mail slots are full after ${result.exported.length} of ${barcodes.length}; take them out and export the rest`,
      );
    const slot = inv.slots.find((s) => s.barcode === barcode && !s.importExport);
    if (inv.drives.find((d) => d.index === robot.driveIndex)?.barcode === barcode)
      await robot.unload(mail.slot);
    else if (slot) await robot.transfer(slot.slot, mail.slot);
    else if (inv.slots.some((s) => s.barcode === barcode)) {
      result.exported.push({
        barcode,
        slot: inv.slots.find((s) => s.barcode === barcode)?.slot ?? mail.slot,
      });
      continue;
    } else throw new DriveError("NOT_FOUND", `${barcode} is in no slot of the changer (another drive?)`);
    result.exported.push({ barcode, slot: mail.slot });
  }
  return `exported ${result.exported.map((e) => `${e.barcode} to mail slot ${e.slot}`).join(", ")}`;
}

async function clean(ctx: Ctx, barcode: string, result: LibraryResult): Promise<string> {
  const { robot } = ctx;
  const inv = await robot.inventory();
  if (driveHolds(inv, robot.driveIndex)) await robot.unload(null);
  const slot = (await robot.inventory()).slots.find((s) => s.barcode === barcode);
  if (!slot)
    throw new DriveError("NOT_FOUND", `cleaning cartridge ${barcode} is not in a slot of the changer`);
  const { cleaning } = await robot.load(slot.slot);
  await robot.unload(slot.slot);
  result.cleaned = {
    barcode,
    uses: cleaning?.uses ?? null,
    maxUses: cleaning?.maxUses ?? null,
    spent: cleaning?.spent ?? false,
  };
  if (cleaning?.spent)
    throw new DriveError("MEDIUM_ERROR", `${barcode} is spent (expired cleaning media); nothing was cleaned`);
  return `cleaned ${ctx.drive.name} with ${barcode}${cleaning ? ` (use ${cleaning.uses} of ${cleaning.maxUses})` : ""}`;
}

/** The cartridge into the order's drive: what is there goes home first. */
async function bringIn(ctx: Ctx, barcode: string): Promise<void> {
  const { robot } = ctx;
  const inv = await robot.inventory();
  const here = inv.drives.find((d) => d.index === robot.driveIndex);
  if (here?.barcode === barcode) return;
  if (here?.full) await robot.unload(null);
  const slot = inv.slots.find((s) => s.barcode === barcode);
  if (!slot) throw new DriveError("NOT_FOUND", `${barcode} is not in a slot of the changer`);
  await robot.load(slot.slot);
}

function driveHolds(inv: ChangerInventory, index: number): boolean {
  return inv.drives.find((d) => d.index === index)?.full ?? false;
}

async function say(ctx: ExecutorContext, level: "info" | "error", message: string): Promise<void> {
  ctx.log(level, message);
  await ctx.reporter.log([{ at: new Date().toISOString(), level, message, path: null }]);
}

function refused(error: string): OrderResult {
  return { state: "failed", error, retryable: false };
}

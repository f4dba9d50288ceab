import { setVtlAlerts, setVtlErrors } from "../drives/vtl/health.ts";
import {
  type InsertKind,
  initLibrary,
  insertCartridge,
  inventoryOf,
  libraryPaths,
  loadCartridge,
  readLibrary,
  removeCartridge,
  setWriteProtect,
  transferCartridge,
  unloadCartridge,
} from "../drives/vtl/library.ts";
import { TapeMedium } from "../drives/vtl/medium.ts";
import { type Output, UsageError } from "./output.ts";
import { formatSize, parseSize } from "./parse-size.ts";

type Args = { positionals: string[]; values: Record<string, string | boolean | undefined> };

export async function runVtlCommand(sub: string | undefined, args: Args, out: Output): Promise<void> {
  const dir = args.positionals[0];
  if (!dir) throw new UsageError(`vtl ${sub ?? ""}: missing library directory`);
  const int = (name: string, fallback?: number) => intOption(args.values[name], name, fallback);
  switch (sub) {
    case "init": {
      const capacity = args.values.capacity;
      if (typeof capacity !== "string")
        throw new UsageError("vtl init: --capacity is required (e.g. 256MiB)");
      const early = args.values["early-warning"];
      const library = await initLibrary({
        dir,
        drives: int("drives", 1),
        slots: int("slots", 8),
        importExportSlots: int("ie-slots", 1),
        cartridges: args.values.cartridges === undefined ? undefined : int("cartridges"),
        capacityBytes: parseSize(capacity),
        earlyWarningBytes: typeof early === "string" ? parseSize(early) : undefined,
        barcodePrefix: stringOption(args.values["barcode-prefix"]),
        mediaType: stringOption(args.values.media),
        cleaningCartridges: int("cleaning", 0),
      });
      const cartridges = library.slots.filter((s) => s.barcode).length;
      const storage = library.slots.filter((s) => !s.importExport).length;
      const ie = library.slots.length - storage;
      out.print(
        `Created virtual library ${dir}: ${library.drives.length} drive(s), ${storage} slot(s) + ${ie} import/export, ${cartridges} cartridge(s) of ${formatSize(parseSize(capacity))}`,
        { dir, ...library },
      );
      return;
    }
    case "ls": {
      const library = await readLibrary(dir);
      const inventory = inventoryOf(library);
      const cartridges = await Promise.all(
        [...library.drives, ...library.slots]
          .map((place) => place.barcode)
          .filter((b): b is string => b !== null)
          .map((barcode) => TapeMedium.readMeta(libraryPaths(dir).cartridge(barcode))),
      );
      const metaOf = new Map(cartridges.map((c) => [c.barcode, c]));
      const describe = (barcode: string | null) => {
        if (!barcode) return "empty";
        const meta = metaOf.get(barcode);
        if (meta?.cleaning)
          return `${barcode} (cleaning cartridge, ${meta.cleaning.uses} of ${meta.cleaning.maxUses} uses)`;
        return `${barcode}${meta ? ` (${meta.files.length} tape file(s)${meta.writeProtected ? ", write-protected" : ""})` : ""}`;
      };
      const lines = [
        ...inventory.drives.map(
          (d) =>
            `drive ${d.index}: ${describe(d.barcode)}${d.sourceSlot ? ` from slot ${d.sourceSlot}` : ""}`,
        ),
        ...inventory.slots.map(
          (s) => `slot ${s.slot}${s.importExport ? " (import/export)" : ""}: ${describe(s.barcode)}`,
        ),
      ];
      out.print(lines.join("\n"), { ...inventory, cartridges });
      return;
    }
    case "load": {
      const moved = await loadCartridge({ dir, slot: int("slot"), drive: int("drive", 0) });
      out.print(`Loaded ${moved.barcode} from slot ${moved.slot} into drive ${moved.drive}`, moved);
      return;
    }
    case "unload": {
      const slot = args.values.slot === undefined ? undefined : int("slot");
      const moved = await unloadCartridge({ dir, drive: int("drive", 0), slot });
      out.print(`Unloaded ${moved.barcode} from drive ${moved.drive} into slot ${moved.slot}`, moved);
      return;
    }
    case "transfer": {
      const moved = await transferCartridge({ dir, from: int("from"), to: int("to") });
      out.print(`Moved ${moved.barcode} from slot ${moved.from} to slot ${moved.to}`, moved);
      return;
    }
    case "protect": {
      const barcode = args.positionals[1];
      if (!barcode) throw new UsageError("vtl protect: missing barcode");
      const on = !args.values.off;
      await setWriteProtect({ dir, barcode, on });
      out.print(`${barcode} is ${on ? "now write-protected" : "now writable"}`, {
        barcode,
        writeProtected: on,
      });
      return;
    }
    case "insert": {
      const barcode = args.positionals[1];
      if (!barcode || !/^[A-Z0-9]{1,16}$/.test(barcode))
        throw new UsageError("vtl insert: give the cartridge's barcode (A-Z, 0-9, up to 16)");
      const kind = stringOption(args.values.kind) ?? "blank";
      if (!["blank", "foreign", "cleaning"].includes(kind))
        throw new UsageError("vtl insert: --kind is blank, foreign or cleaning");
      const slot = args.values.slot === undefined ? undefined : int("slot");
      const put = await insertCartridge({ dir, barcode, kind: kind as InsertKind, slot });
      out.print(
        `Inserted ${put.barcode} into mail slot ${put.slot}${put.created ? ` (new, ${kind})` : ""}`,
        put,
      );
      return;
    }
    case "remove": {
      const taken = await removeCartridge({ dir, slot: int("slot") });
      out.print(`Took ${taken.barcode} out of mail slot ${taken.slot}`, taken);
      return;
    }
    case "alert": {
      const codes = (name: string) => {
        const value = stringOption(args.values[name]);
        if (value === undefined) return [];
        if (!/^\d+(,\d+)*$/.test(value)) throw new UsageError(`--${name} takes flag numbers, e.g. 20,21`);
        return value.split(",").map(Number);
      };
      const health = await setVtlAlerts({
        dir,
        drive: int("drive", 0),
        set: codes("set"),
        clear: codes("clear"),
      });
      out.print(`Drive ${int("drive", 0)} TapeAlert flags: ${health.flags.join(", ") || "none"}`, health);
      return;
    }
    case "errors": {
      const errors: Record<string, number> = {};
      for (const [option, key] of [
        ["write-corrected", "writeCorrected"],
        ["write-uncorrected", "writeUncorrected"],
        ["read-corrected", "readCorrected"],
        ["read-uncorrected", "readUncorrected"],
      ] as const)
        if (args.values[option] !== undefined) errors[key] = int(option);
      const health = await setVtlErrors({ dir, drive: int("drive", 0), errors });
      out.print(`Drive ${int("drive", 0)} error counters: ${JSON.stringify(health.errors)}`, health);
      return;
    }
    default:
      throw new UsageError(
        `unknown vtl command "${sub ?? ""}" (init, ls, load, unload, transfer, insert, remove, alert, errors, protect)`,
      );
  }
}

function intOption(value: string | boolean | undefined, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string" || !/^\d+$/.test(value))
    throw new UsageError(`--${name} needs a whole number`);
  return Number(value);
}

function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

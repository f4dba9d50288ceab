import { DriveError } from "../errors.ts";
import type { Drive } from "./drive.ts";
import { StDrive } from "./st/st-drive.ts";
import { isLibrary } from "./vtl/library.ts";
import { VtlDrive } from "./vtl/vtl-drive.ts";

/** A drive is named by its device path (/dev/nst0) or by a vtl directory plus a drive index. */
export type DriveSpec = {
  path: string;
  driveIndex?: number;
  sgDevice?: string | null;
  /** A vtl drive's write size (st drives take what the drive wants: MAX_TRANSFER_BYTES). */
  writeBytes?: number;
};

export async function openDrive(spec: DriveSpec): Promise<Drive> {
  if (await isLibrary(spec.path))
    return VtlDrive.open({ dir: spec.path, index: spec.driveIndex ?? 0, writeBytes: spec.writeBytes });
  if (spec.path.startsWith("/dev/"))
    return new StDrive({ device: spec.path, sgDevice: spec.sgDevice ?? null });
  throw new DriveError(
    "NOT_FOUND",
    `${spec.path} is neither a tape device (/dev/nstN) nor a virtual library directory`,
  );
}

import type { EncodeWorkers } from "../../pipeline/encode-workers.ts";

/** How a backup run paces, buffers and cuts its work: DEFAULT_TUNING (orders/backup.ts), which tests shrink. */
export type BackupTuning = {
  progressIntervalMs: number;
  tapePollMs: number;
  mbufferBytes: number;
  /** The in-process buffer that replaces mbuffer in front of a drive that is Node code (the vtl). */
  memoryBufferBytes: number;
  /** Writes on their way into a drive that takes them ahead (Drive.writeQueued: the vtl). */
  writesInFlight: number;
  /** Test seam: force a real mbuffer (or the in-process buffer) whatever the drive. */
  buffer?: "mbuffer" | "memory";
  catalogChunkEntries: number;
  plainChunkBytes: number;
  /** Test seam: sees each source path as it is handed to tar (e.g. to make it vanish first). */
  onSourceListed?: (absolute: string) => void;
  /** Test seam: sees a set's compress/encrypt worker threads once started (to make one die). */
  onEncodeWorkers?: (workers: EncodeWorkers) => void;
  /** Test seam: holds each piece of the source back (a slow source, to make the drive wait). */
  paceSource?: (bytes: number) => Promise<void>;
};

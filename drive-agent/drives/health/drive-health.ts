import type { TapeAlert } from "../st/parse-tape-alert.ts";

/** What a drive says about its health: active TapeAlert flags and its error counters. */
export type DriveHealth = {
  alerts: TapeAlert[];
  counters: {
    writeCorrected: number;
    writeUncorrected: number;
    readCorrected: number;
    readUncorrected: number;
    bytesWritten: number;
    bytesRead: number;
  } | null;
};

/** TapeAlert flags that ask for a cleaning cartridge (SSC: 20 cleaning required, 21 requested). */
export const CLEANING_FLAGS = [20, 21] as const;
/** TapeAlert 22: the cleaning cartridge is spent. */
export const EXPIRED_CLEANING_MEDIA = 22;

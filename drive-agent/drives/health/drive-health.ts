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

export { CLEANING_FLAGS, EXPIRED_CLEANING_MEDIA } from "../../../contracts/agent-protocol.ts";

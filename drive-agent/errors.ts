/**
 * Drive failures carry what the caller should do next: a busy drive may clear on its own
 * (retry), a write-protected or missing cartridge needs a person (operator).
 */
export type Recovery = "retry" | "operator";

export const driveErrorCodes = {
  DRIVE_BUSY: "retry",
  TIMEOUT: "retry",
  NO_CARTRIDGE: "operator",
  NOT_READY: "operator",
  WRITE_PROTECTED: "operator",
  VOLUME_OVERFLOW: "operator",
  MEDIUM_ERROR: "operator",
  IO_ERROR: "operator",
  BLOCK_SIZE_MISMATCH: "operator",
  INVALID_ARGUMENT: "operator",
  NOT_FOUND: "operator",
  COMMAND_FAILED: "operator",
  TAPE_NOT_BLANK: "operator",
  CHANGER_ERROR: "operator",
} as const satisfies Record<string, Recovery>;

export type DriveErrorCode = keyof typeof driveErrorCodes;

export class DriveError extends Error {
  readonly code: DriveErrorCode;
  readonly recovery: Recovery;

  constructor(code: DriveErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DriveError";
    this.code = code;
    this.recovery = driveErrorCodes[code];
  }

  toJSON() {
    return { code: this.code, recovery: this.recovery, message: this.message };
  }
}

export function isDriveError(error: unknown, code?: DriveErrorCode): error is DriveError {
  return error instanceof DriveError && (code === undefined || error.code === code);
}

/** Failures of the agent runtime (hub, enrollment) carry the same retry-or-operator hint. */
export class AgentError extends Error {
  constructor(
    readonly code: "HUB_UNREACHABLE" | "ENROLLMENT_REFUSED" | "NOT_ENROLLED",
    readonly recovery: Recovery,
    message: string,
  ) {
    super(message);
    this.name = "AgentError";
  }

  toJSON() {
    return { code: this.code, recovery: this.recovery, message: this.message };
  }
}

import type { ZodError } from "zod";

/** Domain error codes, each with the one HTTP status it maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After for rate limiting. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string, id: string | number) =>
  new AppError("not_found", `${what} ${id} does not exist`);
export const conflict = (message: string, details?: unknown) => new AppError("conflict", message, details);

export function validationError(error: ZodError, where: "body" | "query" | "params"): AppError {
  const issues = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const first = issues[0];
  return new AppError(
    "validation_failed",
    first ? `Invalid ${first.path}: ${first.message}` : `Invalid ${where}`,
    { issues },
  );
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; requestId: string };
}

export function toErrorBody(error: AppError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      requestId,
    },
  };
}

/** Any thrown value becomes an AppError; unknown ones are internal and keep no message for the client. */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isUniqueViolation(error))
    return new AppError("conflict", "A record with the same unique value already exists");
  return new AppError("internal", "Internal error; the request id identifies it in the hub log");
}

function isUniqueViolation(error: unknown): boolean {
  const text = errorText(error);
  return text.includes("UNIQUE constraint failed");
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` ${errorText(error.cause)}` : "";
  return `${error.message}${cause}`;
}

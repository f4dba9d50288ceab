import { randomToken } from "../../security/crypto.ts";

export const ENROLLMENT_TTL_MS = 24 * 3600_000;

/**
 * A one-time enrollment token. The prefix keeps it from starting with "-" (base64url can), which
 * `drive-agent enroll --token …` would read as an option.
 */
export function newEnrollmentToken(): string {
  return `tbenroll_${randomToken(32)}`;
}

import bcrypt from "bcryptjs";

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * A hash of a random password at the configured cost, compared against when the user does
 * not exist, so a failed login takes as long for an unknown name as for a wrong password.
 */
export function decoyHash(cost: number): Promise<string> {
  return bcrypt.hash(crypto.randomUUID(), cost);
}

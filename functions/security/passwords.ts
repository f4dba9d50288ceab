import bcrypt from "bcryptjs";
import type { PasswordHasher } from "../deps.ts";

export const MIN_PASSWORD_LENGTH = 10;

/** bcryptjs on the calling thread: workerd's way, and the default where no hasher is injected. */
export const inlinePasswords: PasswordHasher = {
  hash: (password, cost) => bcrypt.hash(password, cost),
  verify: (password, hash) => bcrypt.compare(password, hash),
};

export function hashPassword(
  password: string,
  cost: number,
  passwords: PasswordHasher = inlinePasswords,
): Promise<string> {
  return passwords.hash(password, cost);
}

export function verifyPassword(
  password: string,
  hash: string,
  passwords: PasswordHasher = inlinePasswords,
): Promise<boolean> {
  return passwords.verify(password, hash);
}

/**
 * A hash of a random password at the configured cost, compared against when the user does
 * not exist, so a failed login takes as long for an unknown name as for a wrong password.
 */
export function decoyHash(cost: number, passwords: PasswordHasher = inlinePasswords): Promise<string> {
  return passwords.hash(crypto.randomUUID(), cost);
}

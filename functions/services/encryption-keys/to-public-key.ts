import type { encryptionKeys } from "../../db/schema/index.ts";

type KeyRow = typeof encryptionKeys.$inferSelect;

export function toPublicKey(row: KeyRow) {
  const { wrappedKey: _secret, ...rest } = row;
  return rest;
}

import type { encryptionKeys } from "../../db/schema/index.ts";

type KeyRow = typeof encryptionKeys.$inferSelect;

export function toPublicKey(row: KeyRow) {
  const { wrappedKey: _secret, tapeCopy, ...rest } = row;
  return { ...rest, onTapes: tapeCopy !== null };
}

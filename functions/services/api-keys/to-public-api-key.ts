import type { apiKeys } from "../../db/schema/index.ts";

type ApiKeyRow = typeof apiKeys.$inferSelect;

export function toPublicApiKey(row: ApiKeyRow) {
  const { keyHash: _secret, ...rest } = row;
  return rest;
}

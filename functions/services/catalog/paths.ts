import { z } from "zod";

/** A catalog path as stored (one definition, shared with the agent's catalog digest). */
export { splitCatalogPath as splitPath } from "../../../contracts/catalog-digest.ts";

/** A path from a user: leading and trailing slashes dropped, never `..`. */
export const catalogPath = z
  .string()
  .max(4096)
  .transform((p) => p.replace(/^\/+|\/+$/g, ""))
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

import { z } from "zod";

/** A catalog path as stored: relative, '/'-separated, split into its directory and last component. */
export function splitPath(path: string): { dir: string; name: string } {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const cut = trimmed.lastIndexOf("/");
  return cut === -1
    ? { dir: "", name: trimmed }
    : { dir: trimmed.slice(0, cut), name: trimmed.slice(cut + 1) };
}

/** A path from a user: leading and trailing slashes dropped, never `..`. */
export const catalogPath = z
  .string()
  .max(4096)
  .transform((p) => p.replace(/^\/+|\/+$/g, ""))
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

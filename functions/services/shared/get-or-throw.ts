import { notFound } from "../../errors.ts";

export function getOrThrow<T>(row: T | undefined, what: string, id: string | number): T {
  if (row === undefined) throw notFound(what, id);
  return row;
}

import { z } from "zod";

/** Names shown in pages and on tape: printable, no control characters, trimmed. */
export const displayName = (max = 64) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), "must not contain control characters");

export const optionalText = (max: number) => z.string().trim().max(max).nullish();

/**
 * The PATCH form of a create schema: every field optional and, unlike `.partial()`, without
 * its default — a missing field must stay as it is, not be reset to the default.
 */
export function patchSchema<T extends z.ZodRawShape>(schema: z.ZodObject<T>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => {
      const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
      return [key, inner.optional()];
    }),
  );
  return z
    .object(shape)
    .refine(
      (v) => Object.values(v).some((x) => x !== undefined),
      "give at least one field to change",
    ) as unknown as z.ZodType<Partial<z.output<z.ZodObject<T>>>>;
}

import { z } from "zod";

/** An e-mail channel's stored config, as the sender reads it (saved by save-email-channel). */
export const storedEmailConfig = z.object({
  host: z.string(),
  port: z.number().int(),
  security: z.enum(["starttls", "tls", "none"]).default("starttls"),
  from: z.string(),
  to: z.array(z.string()).min(1),
  username: z.string().nullish(),
});

export const storedTelegramConfig = z.object({ chatId: z.string() });

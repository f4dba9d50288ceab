import { z } from "zod";

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .optional()
    .transform((v) => (v === undefined ? fallback : ["true", "1", "yes"].includes(v)));

/** 32 random bytes in base64url, as `openssl rand 32 | basenc --base64url | tr -d =` prints them. */
const key32 = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{43}$/,
    "must be 32 bytes, base64url (openssl rand 32 | basenc --base64url | tr -d =)",
  );

/** Every setting of the hub, from env (Node) or bindings (workerd). Parsed once at the entry. */
export const configSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z.string().optional(),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  TAPEBACKARR_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  /**
   * The hub's three private keys (docs/operator-guide.md, "Hub secrets"). Never in the catalog:
   * on Node, when not given here, they live in $DATA_DIR/hub-secrets.json; on workerd they are
   * required Worker secrets.
   */
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** Wraps stored encryption keys and notification channels' secrets. */
  MASTER_KEY: key32.optional(),
  /** Set with a new MASTER_KEY for one start: the hub re-wraps everything from this old key. */
  MASTER_KEY_PREVIOUS: key32.optional(),
  /** The Ed25519 private key (its 32-byte seed, the JWK `d`) that signs work orders. */
  ORDER_SIGNING_KEY: key32.optional(),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  CORS_ORIGINS: csv,
  TRUST_PROXY: bool(false),
  SECURE_COOKIES: bool(false),
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().positive().default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(20),
  LOGIN_WINDOW_MINUTES: z.coerce.number().positive().default(15),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /**
   * How often a long-polling agent's request re-checks the catalog for work. The Node hub wakes
   * its polls itself when it queues an order; the re-check finds orders other instances queued.
   */
  POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(5000),
  /** A run whose agent sends no progress or heartbeat for this long becomes interrupted. */
  AGENT_SILENCE_MINUTES: z.coerce
    .number()
    .min(1)
    .max(24 * 60)
    .default(10),
  /** Where the Telegram Bot API answers (a local Bot API server, or a test's stand-in). */
  TELEGRAM_API_ROOT: z.string().url().default("https://api.telegram.org"),
  /** How often the Node hub drains the notification outbox (workerd: every cron trigger). */
  NOTIFY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
  /** How long a claimed outbox row is a sender's; a hub that stopped mid-send loses it after this. */
  NOTIFY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  /** The UTC hour after which the daily summary of the last 24 h is recorded. */
  NOTIFY_SUMMARY_HOUR: z.coerce.number().int().min(0).max(23).default(7),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {}

export function parseConfig(env: Record<string, unknown>): Config {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

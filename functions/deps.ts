import type { Context } from "hono";
import type { Scrypt } from "../contracts/key-export.ts";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import type { Role } from "./db/schema/index.ts";
import type { OrderSigningKey } from "./security/order-keys.ts";

/** The logging surface the hub uses; pino on Node, a console JSON logger on workerd. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

/** Static files the hub serves that come from packages (htmx), read by the runtime's own means. */
export interface AssetSource {
  get(name: string): Promise<{ body: string; contentType: string } | null>;
}

export interface HubSecrets {
  /** Signs session JWTs and derives CSRF tokens. */
  sessionKey: Uint8Array;
  /** Wraps stored encryption keys (AES-256-GCM); 32 bytes. */
  masterKey: Uint8Array;
  /** Signs work orders for drive-agents. */
  orderKey: OrderSigningKey;
}

/** A consistent copy of the catalog database file, streamed once. */
export interface CatalogSnapshot {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/** One message, in the forms each channel sends; every value in `html` and `telegramHtml` is escaped. */
export interface OutgoingMessage {
  subject: string;
  text: string;
  html: string;
  telegramHtml: string;
  /** Stable per outbox row: the e-mail's Message-ID, so a re-sent mail is recognisably the same. */
  idempotencyKey: string;
}

/** A channel's settings as a sender needs them: its config and its unsealed secret. */
export interface ChannelSettings {
  config: Record<string, unknown>;
  secret: Record<string, string>;
}

/** What the server answered to a message it accepted ("250 2.0.0 Ok: queued as …", "message 42"). */
export interface SendAnswer {
  answer: string;
}

export type Sender = (channel: ChannelSettings, message: OutgoingMessage) => Promise<SendAnswer>;

/**
 * The senders an entry wires: Node has SMTP (nodemailer) and Telegram (telegraf); workerd has
 * Telegram over fetch and no SMTP (`unavailable` says why, for the settings page).
 */
export interface Senders {
  email?: Sender;
  telegram?: Sender;
  unavailable?: Partial<Record<"email" | "telegram", string>>;
}

/**
 * Wakes the long polls waiting in this process when an order is queued for their agent, so a
 * poll answers at once instead of at its next re-check (docs/adr/0019). Other hub instances on
 * the same catalog are not told: their polls find the order at their slow re-check.
 */
export interface OrderWake {
  /** An order was queued for the agent: every poll of it waiting in this process looks now. */
  signal(agentId: string): void;
  /**
   * Starts listening for the agent before the poll's first look, so a signal between a look and
   * the wait after it is not lost. Close the watch when the poll ends.
   */
  watch(agentId: string): OrderWatch;
}

export interface OrderWatch {
  /** Resolves on a signal since the last call, after `ms`, or when `abort` fires: the first of them. */
  next(ms: number, abort?: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * bcrypt hashing and checking. On Node a worker thread does it: at cost 12 one check is ~250 ms
 * of CPU that would otherwise stop every other request (docs/adr/0019). Inline on workerd.
 */
export interface PasswordHasher {
  hash(password: string, cost: number): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/**
 * Runs a batch of catalog writes (drizzle-built statements) atomically off the request thread: on
 * Node with an embedded catalog, in a worker thread with its own connection (docs/adr/0029).
 * Resolves once the batch is committed; rejects with the driver's error (its message and code).
 */
export interface CatalogWrites {
  batch(statements: { sql: string; params: unknown[] }[]): Promise<void>;
}

/** Everything the app needs from its runtime, built by an entry file and injected. */
export interface Deps {
  config: Config;
  db: Db;
  logger: Logger;
  secrets: HubSecrets;
  assets: AssetSource;
  /** The memory-hard KDF of passphrase-wrapped key exports: node:crypto on Node, JS on workerd. */
  scrypt: Scrypt;
  /**
   * A snapshot of the catalog for a catalog backup: on Node with the embedded file only. Absent
   * on workerd (D1's export is an account REST API, not a binding) and with remote libSQL.
   */
  catalogSnapshot?: () => Promise<CatalogSnapshot>;
  now: () => Date;
  /** How passwords are hashed and checked; absent: inline (bcryptjs on the request's thread). */
  passwords?: PasswordHasher;
  /** Wakes waiting long polls when an order is queued; absent: polls find it at their re-check. */
  orderWake?: OrderWake;
  /** Where catalog chunks are written; absent: on the request's thread through `db`. */
  catalogWrites?: CatalogWrites;
  /** The peer address as the runtime sees it (socket on Node, CF-Connecting-IP on workerd). */
  peerIp: (c: Context) => string | undefined;
  /** How notifications leave this hub; absent: none are sent from requests (test button says so). */
  senders?: Senders;
  /** What the entry runs on, in words for the settings page; absent in tests. */
  runtime?: { database: string; scheduler: string };
}

/** What a service verb gets: the catalog and the clock, nothing HTTP. */
export interface ServiceCtx {
  db: Db;
  now: () => Date;
  /** Told of every queued order (queueOrder), so this process's waiting polls answer at once. */
  orderWake?: OrderWake;
  /** Where catalog chunks are written (ingestCatalogChunk); absent: through `db`. */
  catalogWrites?: CatalogWrites;
  /** The sites a site-scoped caller may see; absent: every site (admins, unscoped users, the hub itself). */
  sites?: readonly number[];
}

/** A drive-agent that proved itself with a token signed by its enrolled key. */
export interface AgentPrincipal {
  agentId: string;
  name: string;
}

export interface Principal {
  userId: number;
  username: string;
  role: Role;
  /** How the request proved who it is; only cookie sessions need a CSRF token. */
  via: "cookie" | "bearer" | "api-key";
  sessionId?: string;
  apiKeyId?: number;
  /** A site-scoped user's role at each of their sites; absent: their role holds everywhere. */
  siteRoles?: SiteRole[];
}

export interface SiteRole {
  siteId: number;
  role: Role;
}

export interface AppEnv {
  Variables: {
    deps: Deps;
    requestId: string;
    clientIp: string | undefined;
    principal: Principal | null;
    /** The drive-agent calling /agent/v1, verified by its registered key. */
    agent: AgentPrincipal | null;
    /** Set by a mutating handler so the audit row names what it changed. */
    auditTarget: string | undefined;
    auditDetails: Record<string, unknown> | undefined;
    /** The site of the object a request acts on, found by the permission check, for its audit row. */
    auditSite: number | undefined;
  };
}

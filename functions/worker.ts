import type { D1Database, ExecutionContext, ScheduledController } from "@cloudflare/workers-types";
import type { Hono } from "hono";
// A wrangler Text module rule (wrangler.toml) makes this import the file's text; typed in functions/types/.
import hxSseJsText from "htmx.org/dist/ext/hx-sse.min.js";
import htmxMinJsText from "htmx.org/dist/htmx.min.js";
import operatorGuideText from "../docs/operator-guide.md";
import tapeFormatText from "../docs/tape-format.md";
import { createApp } from "./app.ts";
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { type Db, dbFromD1, dbFromRemoteUrl } from "./db/client.ts";
import type { AppEnv, AssetSource, Deps, Logger, ServiceCtx } from "./deps.ts";
import { AppError, toErrorBody } from "./errors.ts";
import { createConsoleLogger } from "./logger-console.ts";
import { webScrypt } from "./security/scrypt-web.ts";
import { fetchTelegramSender } from "./senders/telegram-fetch.ts";
import { notifyTick } from "./services/notify/notify-tick.ts";
import { schedulerTick } from "./services/runs/scheduler-tick.ts";
import { bootstrapHub } from "./services/setup/bootstrap-hub.ts";

/** Bindings from wrangler.toml, `.dev.vars`, `--var` and `wrangler secret`; only strings are config. */
export interface WorkerEnv {
  DB?: D1Database;
  [name: string]: unknown;
}

const HTMX_MIN_JS: string = htmxMinJsText;
/** docs/*.md bundled as text (wrangler.toml's Text rule), served at /docs and read by passports. */
const DOC_TEXTS: Record<string, string> = {
  "docs/operator-guide.md": operatorGuideText,
  "docs/tape-format.md": tapeFormatText,
};

const HX_SSE_JS: string = hxSseJsText;

const workerAssets: AssetSource = {
  async get(name) {
    const doc = DOC_TEXTS[name];
    if (doc) return { body: doc, contentType: "text/markdown; charset=utf-8" };
    const body = name === "htmx.min.js" ? HTMX_MIN_JS : name === "hx-sse.js" ? HX_SSE_JS : null;
    return body === null ? null : { body, contentType: "text/javascript; charset=utf-8" };
  },
};

/** SMTP needs a TCP socket; this Worker does not open one (docs: README, "Notifications"). */
const NO_SMTP_ON_WORKERS =
  "This hub runs on Cloudflare Workers and does not send e-mail (SMTP needs a TCP socket); run the Node hub for e-mail, or use Telegram.";

interface WorkerHub {
  app: Hono<AppEnv>;
  deps: Deps;
  logger: Logger;
  ctx: ServiceCtx;
  config: Config;
}

/** Built once per isolate on the first request; a failed start is forgotten so the next request retries. */
let hub: Promise<WorkerHub> | undefined;

function hubFor(env: WorkerEnv): Promise<WorkerHub> {
  hub ??= startWorkerHub(env).catch((error: unknown) => {
    hub = undefined;
    throw error;
  });
  return hub;
}

async function startWorkerHub(env: WorkerEnv): Promise<WorkerHub> {
  const config = configFrom(env);
  const logger = createConsoleLogger(config.LOG_LEVEL);
  const db = await openWorkerCatalog(env, config);
  const now = () => new Date();
  // Idempotent: every isolate runs it, the first one against an empty catalog creates the admin.
  // No filesystem: every private key is a Worker secret, and a missing one stops the start.
  const boot = await bootstrapHub({ db, now }, config, { howToSet: howToSetSecret });
  for (const notice of boot.notices) logger.warn({}, notice);
  if (boot.createdAdmin) announceAdmin(boot.createdAdmin, logger);
  const deps: Deps = {
    config,
    db,
    logger,
    secrets: boot.secrets,
    scrypt: webScrypt,
    assets: workerAssets,
    now,
    senders: {
      telegram: fetchTelegramSender(config.TELEGRAM_API_ROOT),
      unavailable: { email: NO_SMTP_ON_WORKERS },
    },
    peerIp: (c) => c.req.header("cf-connecting-ip"),
    runtime: {
      database: config.DATABASE_URL ? "remote libSQL" : "Cloudflare D1",
      scheduler: "on: the cron trigger of wrangler.toml",
    },
  };
  return { app: createApp(deps).app, deps, logger, ctx: { db, now }, config };
}

function howToSetSecret(name: string): string {
  return `wrangler secret put ${name} (locally: a line ${name}=… in .dev.vars, which npm run dev:worker creates)`;
}

function configFrom(env: WorkerEnv): Config {
  return parseConfig(Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string")));
}

/** Remote libSQL when DATABASE_URL names one, else the D1 binding (migrated with `wrangler d1 migrations apply`). */
async function openWorkerCatalog(env: WorkerEnv, config: Config): Promise<Db> {
  const url = config.DATABASE_URL;
  if (url && /^(libsql|https):\/\//.test(url)) return dbFromRemoteUrl(url, config.DATABASE_AUTH_TOKEN);
  if (url)
    throw new ConfigError(`DATABASE_URL must be a libsql:// or https:// URL on workerd, got ${scheme(url)}`);
  if (!env.DB) throw new ConfigError("No catalog: bind a D1 database as DB or set DATABASE_URL");
  return dbFromD1(env.DB);
}

function scheme(url: string): string {
  return `${url.split(":")[0]}:`;
}

/**
 * workerd has no terminal of its own: a generated password goes to the console once, outside
 * the JSON log. Set TAPEBACKARR_ADMIN_PASSWORD (a secret) before the first request to avoid it.
 */
function announceAdmin(admin: { username: string; generatedPassword?: string }, log: Logger): void {
  if (admin.generatedPassword) {
    console.warn(
      `First start: created user "${admin.username}" with password: ${admin.generatedPassword} (shown only this once; sign in and change it)`,
    );
  }
  log.info(
    {
      username: admin.username,
      passwordFrom: admin.generatedPassword ? "generated" : "TAPEBACKARR_ADMIN_PASSWORD",
    },
    "created first admin user",
  );
}

/** The hub could not start: answer in the API's error shape and say why in the log, not the response. */
function startFailure(request: Request, error: unknown): Response {
  const requestId = crypto.randomUUID();
  const configProblem = error instanceof ConfigError;
  // The configured log level is unknown when the config itself is what failed.
  createConsoleLogger("error").error(
    { requestId, path: new URL(request.url).pathname, err: error },
    configProblem ? "invalid configuration" : "hub failed to start",
  );
  const body = toErrorBody(
    new AppError("unavailable", configProblem ? "The hub is misconfigured" : "The hub could not start"),
    requestId,
  );
  return Response.json(body, { status: 503, headers: { "X-Request-Id": requestId } });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let started: WorkerHub;
    try {
      started = await hubFor(env);
    } catch (error) {
      return startFailure(request, error);
    }
    return started.app.fetch(request, env, ctx);
  },

  /** The cron trigger (wrangler.toml) runs the same scheduler tick as croner does on Node. */
  async scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    const { logger, ctx, config, deps } = await hubFor(env);
    const { queued } = await schedulerTick(ctx, logger, {
      agentSilenceMinutes: config.AGENT_SILENCE_MINUTES,
    });
    // The cron trigger drains the outbox too: Telegram over fetch, e-mail marked Node-only.
    const notified = await notifyTick(ctx, {
      masterKey: deps.secrets.masterKey,
      senders: deps.senders ?? {},
      logger,
      leaseMs: config.NOTIFY_LEASE_SECONDS * 1000,
      summaryHour: config.NOTIFY_SUMMARY_HOUR,
    });
    logger.info({ cron: controller.cron, queued, ...notified }, "scheduler tick");
  },
};

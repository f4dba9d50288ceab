import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { type ServerType, serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Cron } from "croner";
import type { Hono } from "hono";
import { HUB_DOCS } from "../contracts/doc-blocks.ts";
import { nodeScrypt } from "../contracts/scrypt-node.ts";
import { createApp } from "./app.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { nodeCatalogSnapshot } from "./db/catalog-snapshot-node.ts";
import { migrateCatalog, openCatalog, withSecureDelete } from "./db/client-node.ts";
import type { AppEnv, AssetSource, Deps, Logger, Senders } from "./deps.ts";
import { createNodeLogger } from "./logger-node.ts";
import { keyFileStore } from "./security/key-file-node.ts";
import { workerPasswords } from "./security/passwords-node.ts";
import { smtpSender } from "./senders/smtp-node.ts";
import { telegrafSender } from "./senders/telegram-telegraf.ts";
import { notifyTick } from "./services/notify/notify-tick.ts";
import { createOrderWake } from "./services/orders/order-wake.ts";
import { schedulerTick } from "./services/runs/scheduler-tick.ts";
import { bootstrapHub } from "./services/setup/bootstrap-hub.ts";
import { createFirstAdmin } from "./services/setup/create-first-admin.ts";

const require = createRequire(import.meta.url);

/** Scripts the pages load, from the htmx.org package: htmx and its SSE extension (live toasts). */
const PACKAGE_ASSETS: Record<string, string> = {
  "htmx.min.js": "htmx.org/dist/htmx.min.js",
  "hx-sse.js": "htmx.org/dist/ext/hx-sse.min.js",
};

const nodeAssets: AssetSource = {
  async get(name) {
    const doc = Object.values(HUB_DOCS).find((d) => d.file === name);
    if (doc)
      return {
        body: await readFile(new URL(`../${doc.file}`, import.meta.url), "utf8"),
        contentType: "text/markdown; charset=utf-8",
      };
    const file = PACKAGE_ASSETS[name];
    if (!file) return null;
    return {
      body: await readFile(require.resolve(file), "utf8"),
      contentType: "text/javascript; charset=utf-8",
    };
  },
};

export interface RunningHub {
  url: string;
  server: ServerType;
  close(): Promise<void>;
}

/**
 * Parses config, opens and migrates the catalog, and serves the app on Node. The first admin is
 * created only once the port is ours: a start that cannot listen prints no password, and the
 * next start still has one to print.
 */
export async function startNodeHub(
  env: Record<string, string | undefined>,
  logger?: Logger,
): Promise<RunningHub> {
  const config = parseConfig(env);
  const log = logger ?? createNodeLogger(config.LOG_LEVEL);
  const databaseUrl = config.DATABASE_URL ?? `file:${config.DATA_DIR}/tapebackarr.db`;
  const catalog = openCatalog(databaseUrl, config.DATABASE_AUTH_TOKEN);
  const now = () => new Date();
  const orderWake = createOrderWake();
  const passwords = workerPasswords();
  const store = keyFileStore(config.DATA_DIR, (message) => log.warn({}, message));
  let server: ServerType;
  let senders: Senders;
  let masterKey: Uint8Array;
  try {
    await migrateCatalog(catalog, databaseUrl);
    const boot = await withSecureDelete(catalog, databaseUrl, () =>
      bootstrapHub(
        { db: catalog.db, now },
        config,
        { store, howToSet: (name) => `set ${name} in the hub's environment` },
        { firstAdmin: false },
      ),
    );
    for (const notice of boot.notices) log.warn({ keyFile: store.where }, notice);
    masterKey = boot.secrets.masterKey;
    senders = { email: smtpSender(), telegram: telegrafSender(config.TELEGRAM_API_ROOT) };
    const deps: Deps = {
      config,
      db: catalog.db,
      logger: log,
      secrets: boot.secrets,
      scrypt: nodeScrypt,
      ...(databaseUrl.startsWith("file:") ? { catalogSnapshot: nodeCatalogSnapshot(catalog) } : {}),
      assets: nodeAssets,
      now,
      orderWake,
      ...(catalog.writes ? { catalogWrites: catalog.writes } : {}),
      passwords,
      senders,
      peerIp: (c) => getConnInfo(c).remote.address,
      runtime: {
        database: databaseUrl.startsWith("file:")
          ? `embedded libSQL file (${databaseUrl.slice(5)})`
          : "remote libSQL",
        scheduler: "on: every 30 s in each hub process",
      },
    };
    server = await listen(createApp(deps).app, config.HOST, config.PORT);
  } catch (error) {
    catalog.client.close();
    throw error;
  }
  try {
    const admin = await createFirstAdmin({ db: catalog.db, now }, config);
    if (admin) announceAdmin(admin, log);
  } catch (error) {
    server.close();
    catalog.client.close();
    throw error;
  }
  // The scheduler: the same tick the workerd cron trigger calls, every 30 s.
  const ticker = new Cron(
    "*/30 * * * * *",
    { protect: true, catch: (error) => log.error({ err: String(error) }, "scheduler tick failed") },
    async () => {
      await schedulerTick({ db: catalog.db, now, orderWake }, log, {
        agentSilenceMinutes: config.AGENT_SILENCE_MINUTES,
      });
    },
  );
  // The notifier: its own timer, so "insert a tape" does not wait for the 30 s scheduler tick.
  const notifier = repeat(
    config.NOTIFY_INTERVAL_MS,
    async () => {
      await notifyTick(
        { db: catalog.db, now },
        {
          masterKey,
          senders,
          logger: log,
          leaseMs: config.NOTIFY_LEASE_SECONDS * 1000,
          summaryHour: config.NOTIFY_SUMMARY_HOUR,
        },
      );
    },
    (error) => log.error({ err: String(error) }, "notification tick failed"),
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info(
    { url, database: databaseUrl.startsWith("file:") ? databaseUrl : "remote libSQL" },
    "hub listening",
  );
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        ticker.stop();
        notifier.stop().then(() =>
          server.close(() => {
            // The write thread first: a chunk it was writing is in or not at all, and its report re-sent.
            (catalog.writes?.close() ?? Promise.resolve())
              .finally(() => catalog.client.close())
              .then(() => passwords.close())
              .then(resolve, resolve);
          }),
        );
        // Idle keep-alive sockets go now; requests in flight get a moment to finish, then their
        // connections are cut: a long poll or a stalled client must not keep the hub from
        // stopping. Agents retry every post, and every post is idempotent.
        const http = server as Server;
        http.closeIdleConnections();
        setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      }),
  };
}

/**
 * Runs `work` every `ms`, never two at once; `stop` waits a moment for the pass in flight, so a
 * stopping hub does not close the catalog under a send it is recording.
 */
function repeat(ms: number, work: () => Promise<void>, onError: (error: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = () => {
    running = work()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(pass, ms);
      });
  };
  timer = setTimeout(pass, ms);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      // A send stuck on a silent server must not hold the hub: its lease covers what it leaves.
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    },
  };
}

const STOP_WAIT_MS = 2_000;

const KEEP_ALIVE_MS = 65_000;

function listen(app: Hono<AppEnv>, host: string, port: number): Promise<ServerType> {
  return new Promise<ServerType>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    // Keep idle connections longer than clients do (undici 4 s, proxies ~60 s), so a client never
    // reuses one the hub is closing at that moment ("other side closed" on an idempotent GET).
    (server as Server).keepAliveTimeout = KEEP_ALIVE_MS;
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
  });
}

/** Why the hub cannot have the address, and what to change: one line, no stack. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const why: Record<string, string> = {
    EADDRINUSE:
      "the port is already in use (another hub running?); stop that process or set PORT to a free port",
    EACCES: "permission denied; set PORT to 1024 or above, or allow this user to bind the port",
    EADDRNOTAVAIL: "no network interface has that address; set HOST to one of this machine's addresses",
  };
  const reason = error.code ? why[error.code] : undefined;
  return reason ? new ConfigError(`Cannot listen on ${address}: ${reason}`) : error;
}

/**
 * A start that failed, as one line on stderr (never a stack trace); returns the exit code:
 * 2 for configuration the operator must change, 1 for anything else.
 */
export function reportStartFailure(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  process.stderr.write(`TapeBackarr hub failed to start: ${message}${cause}\n`);
  return 1;
}

/** The generated admin password goes to the terminal once, never into the JSON log. */
function announceAdmin(admin: { username: string; generatedPassword?: string }, log: Logger): void {
  if (admin.generatedPassword) {
    process.stderr.write(
      `\n  First start: created user "${admin.username}" with password:\n\n      ${admin.generatedPassword}\n\n  It is shown only this once. Sign in and change it, or set TAPEBACKARR_ADMIN_PASSWORD before the first start.\n\n`,
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

/** How long requests in flight may take to finish when the hub stops. */
const SHUTDOWN_GRACE_MS = 2_000;

async function main(): Promise<void> {
  let hub: RunningHub;
  try {
    hub = await startNodeHub(process.env);
  } catch (error) {
    process.exit(reportStartFailure(error));
  }
  process.stderr.write(`\n  TapeBackarr hub is ready: open ${hub.url}\n\n`);
  const stop = () => {
    hub.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

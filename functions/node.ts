import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { type ServerType, serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Cron } from "croner";
import { createApp } from "./app.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { migrateCatalog, openCatalog } from "./db/client-node.ts";
import type { AssetSource, Deps, Logger } from "./deps.ts";
import { createNodeLogger } from "./logger-node.ts";
import { schedulerTick } from "./services/runs/scheduler-tick.ts";
import { bootstrapHub } from "./services/setup/bootstrap-hub.ts";

const require = createRequire(import.meta.url);

const nodeAssets: AssetSource = {
  async get(name) {
    if (name !== "htmx.min.js") return null;
    return {
      body: await readFile(require.resolve("htmx.org/dist/htmx.min.js"), "utf8"),
      contentType: "text/javascript; charset=utf-8",
    };
  },
};

export interface RunningHub {
  url: string;
  server: ServerType;
  close(): Promise<void>;
}

/** Parses config, opens and migrates the catalog, bootstraps, and serves the app on Node. */
export async function startNodeHub(
  env: Record<string, string | undefined>,
  logger?: Logger,
): Promise<RunningHub> {
  const config = parseConfig(env);
  const log = logger ?? createNodeLogger(config.LOG_LEVEL);
  const databaseUrl = config.DATABASE_URL ?? `file:${config.DATA_DIR}/tapebackarr.db`;
  const catalog = openCatalog(databaseUrl, config.DATABASE_AUTH_TOKEN);
  await migrateCatalog(catalog, databaseUrl);
  const now = () => new Date();
  const boot = await bootstrapHub({ db: catalog.db, now }, config);
  if (boot.createdAdmin) announceAdmin(boot.createdAdmin, log);

  const deps: Deps = {
    config,
    db: catalog.db,
    logger: log,
    secrets: boot.secrets,
    assets: nodeAssets,
    now,
    peerIp: (c) => getConnInfo(c).remote.address,
    runtime: {
      database: databaseUrl.startsWith("file:")
        ? `embedded libSQL file (${databaseUrl.slice(5)})`
        : "remote libSQL",
      scheduler: "on: every 30 s in each hub process",
    },
  };
  const { app } = createApp(deps);
  // The scheduler: the same tick the workerd cron trigger calls, every 30 s.
  const ticker = new Cron(
    "*/30 * * * * *",
    { protect: true, catch: (error) => log.error({ err: String(error) }, "scheduler tick failed") },
    async () => {
      await schedulerTick({ db: catalog.db, now }, log, {
        agentSilenceMinutes: config.AGENT_SILENCE_MINUTES,
      });
    },
  );
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, () => resolve(s));
    s.once("error", (error: NodeJS.ErrnoException) => {
      ticker.stop();
      catalog.client.close();
      reject(
        error.code === "EADDRINUSE"
          ? new ConfigError(
              `Port ${config.PORT} on ${config.HOST} is already in use (another hub running?); set PORT to another port`,
            )
          : error,
      );
    });
  });
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
        server.close(() => {
          catalog.client.close();
          resolve();
        });
        // Idle keep-alive sockets go now; requests in flight get a moment to finish, then their
        // connections are cut: a long poll or a stalled client must not keep the hub from
        // stopping. Agents retry every post, and every post is idempotent.
        const http = server as Server;
        http.closeIdleConnections();
        setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      }),
  };
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
  try {
    const hub = await startNodeHub(process.env);
    process.stderr.write(`\n  TapeBackarr hub is ready: open ${hub.url}\n\n`);
    const stop = () => {
      hub.close().then(() => process.exit(0));
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

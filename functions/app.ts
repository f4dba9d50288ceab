import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { AGENT_API_PREFIX, MAX_REPORT_BYTES } from "../contracts/agent-protocol.ts";
import { Alert } from "../views/partials/alert.tsx";
import type { AppEnv, Deps } from "./deps.ts";
import { AppError, asAppError, toErrorBody } from "./errors.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { requestLog } from "./middleware/logging.ts";
import { requestContext } from "./middleware/request-context.ts";
import { registerCatalogSnapshotRoute } from "./routes/agent/catalog-snapshot.ts";
import { registerAgentProtocol } from "./routes/agent/protocol.ts";
import { registerAgentRoutes } from "./routes/api/agents.ts";
import { registerApiKeyRoutes } from "./routes/api/api-keys.ts";
import { registerAuditLogRoutes } from "./routes/api/audit-logs.ts";
import { registerAuthRoutes } from "./routes/api/auth.ts";
import { registerCatalogRoutes } from "./routes/api/catalog.ts";
import { registerCatalogResources } from "./routes/api/catalog-resources.ts";
import { registerEncryptionKeyRoutes } from "./routes/api/encryption-keys.ts";
import { registerEventStream } from "./routes/api/event-stream.ts";
import { registerHealthRoutes } from "./routes/api/health.ts";
import { registerLibraryRoutes } from "./routes/api/library.ts";
import { registerLifecycle } from "./routes/api/lifecycle.ts";
import { registerMonitorRoutes } from "./routes/api/monitor.ts";
import { registerOpenApiRoute } from "./routes/api/openapi.ts";
import { registerProxmoxRoutes } from "./routes/api/proxmox.ts";
import { API_PREFIX, ApiRouter } from "./routes/api/router.ts";
import { registerRunRoutes } from "./routes/api/runs.ts";
import { registerSettingsRoutes } from "./routes/api/settings.ts";
import { registerSiteRoutes } from "./routes/api/sites.ts";
import { registerUserRoutes } from "./routes/api/users.ts";
import { registerAdminPages } from "./routes/pages/admin-pages.ts";
import { registerAgentPages } from "./routes/pages/agent-pages.ts";
import { registerAssetRoutes } from "./routes/pages/assets.ts";
import { registerDashboardPages } from "./routes/pages/dashboard-pages.ts";
import { registerDocsPages } from "./routes/pages/docs-pages.ts";
import { registerDrivePages } from "./routes/pages/drive-pages.ts";
import { renderErrorPage } from "./routes/pages/error-page.ts";
import { registerGuestPages, registerProxmoxSourcePages } from "./routes/pages/guest-pages.ts";
import { registerJobPages } from "./routes/pages/job-pages.ts";
import { registerKeyPages } from "./routes/pages/key-pages.ts";
import { registerLibraryPages } from "./routes/pages/library-pages.ts";
import { registerLogPages } from "./routes/pages/log-pages.ts";
import { registerPassportPages } from "./routes/pages/passport-pages.ts";
import { registerPoolPages } from "./routes/pages/pool-pages.ts";
import { registerRestorePages } from "./routes/pages/restore-pages.ts";
import { PageRouter } from "./routes/pages/router.ts";
import { registerRunPages } from "./routes/pages/run-pages.ts";
import { registerSessionPages } from "./routes/pages/session-pages.ts";
import { registerSetPages } from "./routes/pages/set-pages.ts";
import { registerSettingsPages } from "./routes/pages/settings-pages.ts";
import { registerSitePages } from "./routes/pages/site-pages.ts";
import { registerSourcePages } from "./routes/pages/source-pages.ts";
import { registerTapePages } from "./routes/pages/tape-pages.ts";

export interface HubApp {
  app: Hono<AppEnv>;
  api: ApiRouter;
  agentApi: ApiRouter;
  pages: PageRouter;
}

/** Builds the whole hub from injected deps; no runtime-specific import lives on this path. */
export function createApp(deps: Deps): HubApp {
  const app = new Hono<AppEnv>();
  app.use(requestContext(deps));
  app.use(requestLog());
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    }),
  );
  app.use(
    `${API_PREFIX}/*`,
    cors({
      origin: (origin) => (deps.config.CORS_ORIGINS.includes(origin) ? origin : null),
      credentials: true,
      allowHeaders: ["Authorization", "Content-Type", "X-CSRF-Token", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"],
      maxAge: 600,
    }),
  );
  app.use(authenticate());
  app.use(limitBody(deps.config.MAX_BODY_BYTES));

  const api = new ApiRouter(app);
  registerHealthRoutes(api);
  registerAuthRoutes(api);
  registerUserRoutes(api);
  registerApiKeyRoutes(api);
  registerAuditLogRoutes(api);
  registerEventStream(api);
  registerMonitorRoutes(api);
  registerCatalogResources(api);
  registerSiteRoutes(api);
  registerLibraryRoutes(api);
  registerLifecycle(api);
  registerAgentRoutes(api);
  registerRunRoutes(api);
  registerEncryptionKeyRoutes(api);
  registerCatalogRoutes(api);
  registerProxmoxRoutes(api);
  registerSettingsRoutes(api);
  registerOpenApiRoute(api);

  const agentApi = new ApiRouter(app, AGENT_API_PREFIX);
  registerAgentProtocol(agentApi);
  registerCatalogSnapshotRoute(agentApi);

  const pages = new PageRouter(app);
  registerAssetRoutes(pages);
  registerSessionPages(pages);
  registerDashboardPages(pages);
  registerTapePages(pages);
  registerPoolPages(pages);
  registerJobPages(pages);
  registerSourcePages(pages);
  registerGuestPages(pages);
  registerProxmoxSourcePages(pages);
  registerRunPages(pages);
  registerSetPages(pages);
  registerAgentPages(pages);
  registerSitePages(pages);
  registerRestorePages(pages);
  registerAdminPages(pages);
  registerDrivePages(pages);
  registerLibraryPages(pages);
  registerSettingsPages(pages);
  registerLogPages(pages);
  registerKeyPages(pages);
  registerPassportPages(pages);
  registerDocsPages(pages);

  app.notFound((c) => renderError(c, new AppError("not_found", `Nothing at ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    const appError = asAppError(error);
    if (appError.status >= 500) {
      c.get("deps")?.logger.error(
        { requestId: c.get("requestId"), err: serializeError(error) },
        "unhandled error",
      );
    }
    return renderError(c, appError);
  });
  return { app, api, agentApi, pages };
}

/**
 * Browsers and API clients get MAX_BODY_BYTES; an enrolled agent's reports get what the contract
 * lets the agent send (MAX_REPORT_BYTES), so a chunk the agent may cut is never refused for size.
 */
function limitBody(maxBodyBytes: number) {
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError("payload_too_large", `The request body is larger than ${maxSize} bytes`);
      },
    });
  const forClients = limit(maxBodyBytes);
  const forAgents = limit(Math.max(maxBodyBytes, MAX_REPORT_BYTES));
  return (c: Context<AppEnv>, next: () => Promise<void>) =>
    c.get("agent") && c.req.path.startsWith(`${AGENT_API_PREFIX}/orders/`)
      ? forAgents(c, next)
      : forClients(c, next);
}

async function renderError(c: Context<AppEnv>, error: AppError): Promise<Response> {
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  const requestId = c.get("requestId") ?? "unknown";
  const status = error.status as 400;
  if (isJsonPath(c.req.path)) return c.json(toErrorBody(error, requestId), status);
  const htmx = c.req.header("hx-request") === "true";
  if (error.code === "unauthorized") {
    if (htmx) {
      c.header("HX-Redirect", "/login");
      return c.body(null, 401);
    }
    if (c.req.method === "GET") {
      const { pathname, search } = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(pathname + search)}`);
    }
  }
  const shownId = status >= 500 ? requestId : undefined;
  if (htmx) return c.html(Alert({ kind: "error", message: error.message, requestId: shownId }).value, status);
  return c.html(await renderErrorPage(c, error, shownId), status);
}

function isJsonPath(path: string): boolean {
  return [API_PREFIX, AGENT_API_PREFIX].some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function serializeError(error: unknown) {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { value: String(error) };
}

import { h, type SafeHtml } from "../html.ts";
import { Attention } from "../partials/attention.tsx";

export interface LayoutModel {
  title: string;
  /** Signed-in user, or null on the login page. */
  user: { username: string; role: string } | null;
  csrfToken: string | null;
  current?: string;
  /** The hub's time zone; absent or null: each browser shows its own. */
  timeZone?: string | null;
}

const NAV = [
  { href: "/", label: "Dashboard" },
  { href: "/tapes", label: "Tapes" },
  { href: "/library", label: "Library" },
  { href: "/pools", label: "Pools" },
  { href: "/sources", label: "Sources" },
  { href: "/guests", label: "Guests" },
  { href: "/jobs", label: "Jobs" },
  { href: "/restore", label: "Restore" },
  { href: "/agents", label: "Agents" },
  { href: "/sites", label: "Sites" },
  { href: "/logs", label: "Logs" },
];

const HELP_NAV = [
  { href: "/keys", label: "Keys" },
  { href: "/docs", label: "Help" },
];

const ADMIN_NAV = [
  { href: "/users", label: "Users" },
  { href: "/api-keys", label: "API keys" },
  { href: "/settings", label: "Settings" },
];

export function Layout(props: LayoutModel & { children?: unknown }): SafeHtml {
  const headers = props.csrfToken ? JSON.stringify({ "X-CSRF-Token": props.csrfToken }) : undefined;
  return (
    <html lang="en" data-time-zone={props.timeZone ?? undefined}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · TapeBackarr</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/htmx.min.js" defer></script>
        <script src="/assets/local-time.js" defer></script>
        <script src="/assets/hx-sse.js" defer></script>
        <script src="/assets/print.js" defer></script>
      </head>
      <body hx-headers:inherited={headers}>
        {props.user ? (
          <div
            id="toasts"
            class="toasts"
            aria-live="polite"
            hx-sse:connect="/api/v1/events/stream?format=html"
            hx-swap="beforeend"
          ></div>
        ) : null}
        <header class="top">
          <a class="brand" href="/">
            TapeBackarr
          </a>
          {props.user ? (
            <nav aria-label="Main">
              {[...NAV, ...HELP_NAV, ...(props.user.role === "admin" ? ADMIN_NAV : [])].map((item) => (
                <a href={item.href} aria-current={props.current === item.href ? "page" : undefined}>
                  {item.label}
                </a>
              ))}
            </nav>
          ) : null}
          {props.user ? (
            <div class="who">
              <span>
                {props.user.username} ({props.user.role})
              </span>
              <form hx-post="/logout">
                <button class="link" type="submit">
                  Sign out
                </button>
              </form>
            </div>
          ) : null}
        </header>
        {props.user ? <Attention items={null} /> : null}
        <main>{props.children}</main>
      </body>
    </html>
  );
}

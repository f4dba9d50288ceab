import { h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Alert } from "../partials/alert.tsx";

export interface ErrorPageModel {
  layout: Omit<LayoutModel, "title" | "current">;
  status: number;
  message: string;
  /** Shown for a hub fault, so an operator can find it in the hub log. */
  requestId?: string | undefined;
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  429: "Too many requests",
};

export function errorTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? "Something went wrong" : "Request refused");
}

/** A failed page request, inside the normal layout (with the navigation when signed in). */
export function ErrorPage(model: ErrorPageModel): SafeHtml {
  const title = errorTitle(model.status);
  return (
    <Layout title={title} {...model.layout}>
      <section class="card">
        <h1>{title}</h1>
        <Alert kind="error" message={model.message} requestId={model.requestId} />
        <p>
          <a href={model.layout.user ? "/" : "/login"}>
            {model.layout.user ? "Back to the dashboard" : "Sign in"}
          </a>
        </p>
      </section>
    </Layout>
  );
}

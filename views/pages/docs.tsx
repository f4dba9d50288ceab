import { h, raw, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";

export interface DocsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  docs: { name: string; title: string }[];
  /** The chosen doc rendered from docs/*.md (the repository's own text); null on the index. */
  doc: { title: string; html: string } | null;
}

export function DocsPage(model: DocsModel): SafeHtml {
  return (
    <Layout {...model.layout} title={model.doc?.title ?? "Help"} current="/docs">
      {model.doc ? null : <h1>Help</h1>}
      <nav class="card" aria-label="Documents">
        {model.docs.map((d) => (
          <a href={`/docs/${d.name}`}>{d.title}</a>
        ))}
      </nav>
      {model.doc ? <article class="card doc">{raw(model.doc.html)}</article> : null}
    </Layout>
  );
}

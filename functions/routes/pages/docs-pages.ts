import { z } from "zod";
import { HUB_DOCS } from "../../../contracts/doc-blocks.ts";
import { renderDocument } from "../../../views/html.ts";
import { DocsPage } from "../../../views/pages/docs.tsx";
import { DOC_NAMES, getDoc } from "../../services/docs/get-doc.ts";
import type { PageRouter } from "./router.ts";
import { layoutFor } from "./session-pages.ts";

const docParams = z.object({ name: z.enum(DOC_NAMES as [string, ...string[]]) });
const docList = DOC_NAMES.map((name) => ({ name, title: HUB_DOCS[name].title }));

/** In-app help: docs/operator-guide.md and docs/tape-format.md, rendered. */
export function registerDocsPages(pages: PageRouter): void {
  pages.route(
    { method: "GET", path: "/docs", permission: "read", summary: "Help: the operator guide and tape format" },
    async (c) => c.html(renderDocument(DocsPage({ layout: await layoutFor(c), docs: docList, doc: null }))),
  );
  pages.route(
    {
      method: "GET",
      path: "/docs/:name",
      params: docParams,
      permission: "read",
      summary: "One help document",
      site: "hub",
    },
    async (c, { params }) =>
      c.html(
        renderDocument(
          DocsPage({
            layout: await layoutFor(c),
            docs: docList,
            doc: await getDoc(c.get("deps").assets, params.name),
          }),
        ),
      ),
  );
}

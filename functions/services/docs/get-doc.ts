import { marked } from "marked";
import { docAnchor, HUB_DOCS, type HubDocName } from "../../../contracts/doc-blocks.ts";
import type { AssetSource } from "../../deps.ts";
import { notFound } from "../../errors.ts";

export const DOC_NAMES = Object.keys(HUB_DOCS) as HubDocName[];

/** The markdown text of one of the docs the hub ships (docs/*.md, bundled on workerd). */
export async function readDoc(assets: AssetSource, name: string): Promise<string> {
  const doc = HUB_DOCS[name as HubDocName];
  const text = doc ? await assets.get(doc.file) : null;
  if (!doc || !text) throw notFound("Document", name);
  return text.body;
}

/**
 * One doc rendered to HTML, each heading with its anchor (the pages' help links point at them).
 * The docs are this repository's own files, not user input.
 */
export async function getDoc(assets: AssetSource, name: string) {
  const markdown = await readDoc(assets, name);
  const html = (await marked.parse(markdown, { gfm: true })).replace(
    /<h([1-6])>(.*?)<\/h\1>/g,
    (_, level: string, inner: string) => `<h${level} id="${docAnchor(inner)}">${inner}</h${level}>`,
  );
  return { name, title: HUB_DOCS[name as HubDocName].title, html };
}

import { createElement } from "typed-html";

/**
 * HTML that is already safe to send: produced by `h` (whose string children are escaped)
 * or wrapped on purpose with `raw`. typed-html escapes attribute values but never text,
 * so every text child goes through `escapeHtml` here, once, in one place.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Marks trusted markup (our own CSS/JS, pre-rendered fragments). Never pass user input. */
export function raw(value: string): SafeHtml {
  return new SafeHtml(value);
}

type Child = SafeHtml | string | number | boolean | null | undefined | Child[];
type Props = Record<string, unknown> | null;
type Component = (props: Record<string, unknown> & { children: SafeHtml[] }) => SafeHtml;

function renderChild(child: Child): string {
  if (child === null || child === undefined || child === false || child === true) return "";
  if (child instanceof SafeHtml) return child.value;
  if (Array.isArray(child)) return child.map(renderChild).join("");
  return escapeHtml(String(child));
}

/*
 * typed-html escapes only & and " in attribute values. A quoted value holding < or > is safe
 * HTML, but markup in a value (a file name in a form field) should not show up in the page as
 * markup at all: the two are swapped for private-use characters before typed-html sees them and
 * written as &lt; / &gt; after, so typed-html cannot escape our entities a second time.
 */
const LT = "\uE000";
const GT = "\uE001";

function cleanAttributes(props: Props): Record<string, string | boolean> | null {
  if (!props) return null;
  const out: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || name === "children") continue;
    out[name] = typeof value === "boolean" ? value : String(value).replaceAll("<", LT).replaceAll(">", GT);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** typed-html writes camelCase attributes in kebab-case; SVG's own camelCase ones must stay as they are. */
const SVG_ATTRIBUTES: [string, string][] = [
  [" view-box=", " viewBox="],
  [" preserve-aspect-ratio=", " preserveAspectRatio="],
];

function openTagEntities(tag: string): string {
  let out = tag.replaceAll(LT, "&lt;").replaceAll(GT, "&gt;");
  for (const [kebab, svg] of SVG_ATTRIBUTES) out = out.replace(kebab, svg);
  return out;
}

/** JSX factory for views: text children escaped, attributes escaped by typed-html. */
export function h(tag: string | Component, props: Props, ...children: Child[]): SafeHtml {
  if (typeof tag === "function") {
    const rendered = children.map((c) => new SafeHtml(renderChild(c)));
    return tag({ ...(props ?? {}), children: rendered });
  }
  const body = children.map(renderChild).join("");
  // typed-html closes void elements (<input>, <meta>) only when given no content at all.
  const attributes = cleanAttributes(props) as never;
  const markup = body ? createElement(tag, attributes, body) : createElement(tag, attributes);
  // Values hold no ">" (swapped above) and typed-html escapes '"', so the first ">" ends the tag.
  const tagEnd = markup.indexOf(">") + 1;
  return new SafeHtml(openTagEntities(markup.slice(0, tagEnd)) + markup.slice(tagEnd));
}

export function Fragment(props: { children?: SafeHtml[] }): SafeHtml {
  return new SafeHtml((props.children ?? []).map((c) => c.value).join(""));
}

export function renderDocument(page: SafeHtml): string {
  return `<!doctype html>\n${page.value}`;
}

export declare namespace h {
  namespace JSX {
    type Element = SafeHtml;
    interface ElementChildrenAttribute {
      children: unknown;
    }
    interface IntrinsicElements {
      [tag: string]: Record<string, unknown>;
    }
  }
}

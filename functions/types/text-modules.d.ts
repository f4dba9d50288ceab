/** Files bundled as text by wrangler's Text module rule (wrangler.toml). */
declare module "htmx.org/dist/htmx.min.js" {
  const text: string;
  export default text;
}

declare module "*.md" {
  const text: string;
  export default text;
}

declare module "htmx.org/dist/ext/hx-sse.min.js" {
  const text: string;
  export default text;
}

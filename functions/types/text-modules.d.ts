/** Files bundled as text by wrangler's Text module rule (wrangler.toml). */
declare module "htmx.org/dist/htmx.min.js" {
  const text: string;
  export default text;
}

declare module "*.md" {
  const text: string;
  export default text;
}

import { h, raw, type SafeHtml } from "../html.ts";

/** Print styles: A4, black on white, no navigation; the print button hides itself on paper. */
const PRINT_CSS = `
body { font: 11pt/1.4 system-ui, sans-serif; color: #000; background: #fff; margin: 2em auto; max-width: 50em; }
h1 { font-size: 18pt; margin: 0 0 .3em; } h2 { font-size: 13pt; margin: 1.2em 0 .4em; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 3px 6px; text-align: left; vertical-align: top; font-size: 9.5pt; }
pre, code.key { font: 9pt/1.3 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
pre { border: 1px solid #bbb; padding: 6px; background: #f6f6f6; }
.qr svg { width: 60mm; height: 60mm; } .muted { color: #444; }
.sheet { page-break-after: always; break-after: page; } .sheet:last-child { page-break-after: auto; break-after: auto; }
@page { size: A4; margin: 14mm; }
@media print { .no-print { display: none; } body { margin: 0; max-width: none; } pre { background: none; } }
`;

export function PrintLayout(props: { title: string; children?: unknown }): SafeHtml {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>{props.title} · TapeBackarr</title>
        <style>{raw(PRINT_CSS)}</style>
      </head>
      <body>
        <p class="no-print">
          <button type="button" onclick="window.print()">
            Print
          </button>{" "}
          <a href="/">Back to TapeBackarr</a>
        </p>
        {props.children}
      </body>
    </html>
  );
}

/**
 * The printed sheets (passports, key sheet): /assets/print.css, A4, black on white, no
 * navigation, and /assets/print.js, which makes every `[data-print]` button print the page.
 * Static files, so the CSP's style-src and script-src 'self' allow them (inline ones are refused).
 */
export const PRINT_STYLES = `
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

/** One listener on the document, so a sheet htmx swaps in later (the key sheet) prints too. */
export const PRINT_SCRIPT = `(() => {
  "use strict";
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("[data-print]")) window.print();
  });
})();
`;

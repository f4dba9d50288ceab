import { h, type SafeHtml } from "../html.ts";

/** A printed sheet: its own stylesheet and print button (views/assets/print.ts), no navigation. */
export function PrintLayout(props: { title: string; children?: unknown }): SafeHtml {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>{props.title} · TapeBackarr</title>
        <link rel="stylesheet" href="/assets/print.css" />
        <script src="/assets/print.js" defer></script>
      </head>
      <body>
        <p class="no-print">
          <button type="button" data-print>
            Print
          </button>{" "}
          <a href="/">Back to TapeBackarr</a>
        </p>
        {props.children}
      </body>
    </html>
  );
}

import { Fragment, h, type SafeHtml } from "../html.ts";

/** Which key a set is encrypted with, by fingerprint (the one on its TOC, key sheet and passport). */
export function SetKey(props: { fingerprint: string | null }): SafeHtml {
  return props.fingerprint === null ? (
    <span class="muted">not encrypted</span>
  ) : (
    <>
      encrypted with key <code class="wrap set-key">{props.fingerprint}</code>
    </>
  );
}

import { type HelpTopic, helpHref } from "../../contracts/doc-blocks.ts";
import { h, type SafeHtml } from "../html.ts";

/** A link to the section of /docs that explains what this page does. */
export function HelpLink(props: { topic: HelpTopic; children?: unknown }): SafeHtml {
  return (
    <a class="help-link" href={helpHref(props.topic)}>
      {props.children}
    </a>
  );
}

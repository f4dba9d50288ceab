import { h, type SafeHtml } from "../html.ts";

export interface ToastModel {
  id: number;
  title: string;
  text: string;
  severity: string;
  href: string | null;
}

/** One live event as a toast, appended to the page's toast area by the SSE stream. */
export function Toast(props: ToastModel): SafeHtml {
  return (
    <div class={`toast ${props.severity}`} role="status" data-event-id={String(props.id)}>
      <strong>{props.title}</strong> {props.text}
      {props.href ? (
        <a href={props.href} class="toast-link">
          Open
        </a>
      ) : null}
    </div>
  );
}

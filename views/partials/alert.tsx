import { h } from "../html.ts";

export function Alert(props: { kind: "error" | "ok"; message: string; requestId?: string | undefined }) {
  return (
    <div class={`alert ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      {props.message}
      {props.requestId ? <span class="muted"> (request {props.requestId})</span> : null}
    </div>
  );
}

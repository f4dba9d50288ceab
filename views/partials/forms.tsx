import { h, type SafeHtml } from "../html.ts";

/**
 * A form that posts with htmx and shows the server's answer (success or validation message) in
 * place; `confirm` is the question asked first, for an action that cannot be taken back.
 */
export function HxForm(props: {
  action: string;
  id: string;
  children?: unknown;
  submit: string;
  confirm?: string;
}): SafeHtml {
  return (
    <form
      class="stack"
      hx-post={props.action}
      hx-target={`#${props.id}-result`}
      hx-swap="innerHTML"
      hx-confirm={props.confirm}
    >
      {props.children}
      <button type="submit">{props.submit}</button>
      <div id={`${props.id}-result`} aria-live="polite"></div>
    </form>
  );
}

export function Field(props: {
  label: string;
  name: string;
  value?: string;
  type?: string;
  required?: boolean;
  placeholder?: string;
}): SafeHtml {
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required ?? false}
        placeholder={props.placeholder}
      />
    </label>
  );
}

export function Select(props: {
  label: string;
  name: string;
  options: { value: string; label: string }[];
  selected?: string;
  required?: boolean;
}): SafeHtml {
  return (
    <label>
      {props.label}
      <select name={props.name} required={props.required ?? false}>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.selected}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A table's header row; a `false` column is left out (a control the role may not use). */
export function TableHead(props: { columns: (string | false)[] }): SafeHtml {
  return (
    <thead>
      <tr>
        {props.columns
          .filter((c): c is string => c !== false)
          .map((c) => (
            <th>{c}</th>
          ))}
      </tr>
    </thead>
  );
}

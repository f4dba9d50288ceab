import { Fragment, h, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

interface Channel {
  kind: "email" | "telegram";
  enabled: boolean;
  config: Record<string, unknown>;
  events: string[];
  secretSet: boolean;
  updatedAt: Date | null;
}

export interface SettingsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  jobDefaults: { compression: string; blockSize: number };
  notifications: Channel[];
  facts: { version: string; database: string; scheduler: string; orderKeyFingerprint: string };
  /** The hub's time zone, or null: UTC for schedules, each browser's own zone for times. */
  timeZone: string | null;
  compressions: readonly string[];
  blockSizes: number[];
  events: readonly string[];
}

const EVENT_LABELS: Record<string, string> = {
  "run.failed": "a run failed",
  "run.completed": "a run completed",
  "tape.needed": "a tape must be inserted",
  "drive.alert": "a drive reports an alert",
};

const SECRET_NAME = { email: "password", telegram: "bot token" } as const;

/** Hub settings for admins. Secrets are write-only: the page only ever says set / not set. */
export function SettingsPage(model: SettingsModel): SafeHtml {
  const email = model.notifications.find((c) => c.kind === "email");
  const telegram = model.notifications.find((c) => c.kind === "telegram");
  const str = (c: Channel | undefined, key: string) => {
    const v = c?.config[key];
    return Array.isArray(v) ? v.join(", ") : v === undefined || v === null ? "" : String(v);
  };
  return (
    <Layout {...model.layout} title="Settings" current="/settings">
      <h1>Settings</h1>
      <section class="card">
        <h2>Time zone</h2>
        <p class="muted">
          {model.timeZone
            ? `Schedules run in ${model.timeZone} and every page shows times in it.`
            : "Not set: schedules run in UTC and every page shows times in the zone of the browser reading it."}
        </p>
        <form class="stack" hx-post="/settings/time-zone" hx-target="#time-zone-result">
          <label>
            Time zone (an IANA name such as Europe/Berlin; empty: UTC for schedules, the browser's zone for
            times)
            <input
              name="timeZone"
              type="text"
              value={model.timeZone ?? ""}
              placeholder="Europe/Berlin"
              autocomplete="off"
              maxlength="64"
            />
          </label>
          <button type="submit">Save time zone</button>
          <div id="time-zone-result" aria-live="polite"></div>
        </form>
      </section>
      <section class="card">
        <h2>Notifications</h2>
        <p class="muted">
          Where TapeBackarr should tell you about failed runs and tapes to insert. This release stores the
          channels; it does not send messages yet. Passwords and tokens are stored encrypted with the hub
          master key and are never shown again: leave the field empty to keep the stored one.
        </p>
        <h3>E-mail (SMTP)</h3>
        <ChannelForm kind="email" channel={email} events={model.events}>
          <Field label="SMTP host" name="host" value={str(email, "host")} placeholder="smtp.example.com" />
          <Field label="Port" name="port" type="number" value={str(email, "port") || "587"} />
          <Field label="From" name="from" value={str(email, "from")} placeholder="tapes@example.com" />
          <Field label="To (comma-separated)" name="to" value={str(email, "to")} />
          <Field label="User (empty: no authentication)" name="username" value={str(email, "username")} />
        </ChannelForm>
        <h3>Telegram</h3>
        <ChannelForm kind="telegram" channel={telegram} events={model.events}>
          <Field label="Chat id" name="chatId" value={str(telegram, "chatId")} placeholder="-1001234567890" />
        </ChannelForm>
      </section>
      <section class="card">
        <h2>Defaults for new jobs</h2>
        <form class="stack" hx-post="/settings/job-defaults" hx-target="#job-defaults-result">
          <label>
            Compression (for a job created without one)
            <select name="compression">
              {model.compressions.map((c) => (
                <option value={c} selected={c === model.jobDefaults.compression}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tape block size (of each new backup set; a set keeps the size it was written with)
            <select name="blockSize">
              {model.blockSizes.map((b) => (
                <option value={String(b)} selected={b === model.jobDefaults.blockSize}>
                  {`${b / 1024} KiB`}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Save defaults</button>
          <div id="job-defaults-result" aria-live="polite"></div>
        </form>
      </section>
      <section class="card">
        <h2>This hub</h2>
        <table>
          <tbody>
            <tr>
              <th>Version</th>
              <td>{model.facts.version}</td>
            </tr>
            <tr>
              <th>Catalog database</th>
              <td>{model.facts.database}</td>
            </tr>
            <tr>
              <th>Scheduler</th>
              <td>{model.facts.scheduler}</td>
            </tr>
            <tr>
              <th>Order signing key (SHA-256 thumbprint)</th>
              <td>
                <code class="wrap">{model.facts.orderKeyFingerprint}</code>
              </td>
            </tr>
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

function ChannelForm(props: {
  kind: "email" | "telegram";
  channel: Channel | undefined;
  events: readonly string[];
  children?: unknown;
}): SafeHtml {
  const { kind, channel } = props;
  const secretField = kind === "email" ? "password" : "botToken";
  const clearField = kind === "email" ? "clearPassword" : "clearBotToken";
  const chosen = channel?.updatedAt ? channel.events : ["run.failed", "tape.needed"];
  return (
    <form class="stack" hx-post={`/settings/notifications/${kind}`} hx-target={`#${kind}-result`}>
      <label class="check">
        <input type="checkbox" name="enabled" checked={channel?.enabled ?? false} /> Send to this channel
      </label>
      {props.children}
      <label for={`${kind}-secret`}>
        {kind === "email" ? "Password" : "Bot token"} (empty keeps the stored one)
      </label>
      <SecretInput kind={kind} name={secretField} />
      <p class="muted">
        Stored {SECRET_NAME[kind]}: <SecretState kind={kind} set={!!channel?.secretSet} />
      </p>
      <label class="check">
        <input type="checkbox" name={clearField} /> Remove the stored {SECRET_NAME[kind]}
      </label>
      <fieldset>
        <legend>Tell me when</legend>
        {props.events.map((e) => (
          <label class="check">
            <input type="checkbox" name="events" value={e} checked={chosen.includes(e)} />{" "}
            {EVENT_LABELS[e] ?? e}
          </label>
        ))}
      </fieldset>
      <p class="muted">
        {channel?.updatedAt ? (
          <>
            Last saved <Time at={channel.updatedAt} />
          </>
        ) : (
          "Not set up yet"
        )}
      </p>
      <button type="submit">Save {kind === "email" ? "e-mail" : "Telegram"}</button>
      <div id={`${kind}-result`} aria-live="polite"></div>
    </form>
  );
}

export function SecretState(props: { kind: string; set: boolean; oob?: boolean }): SafeHtml {
  return (
    <span id={`${props.kind}-secret-state`} class="secret-state" hx-swap-oob={props.oob ? "true" : undefined}>
      {props.set ? "set" : "not set"}
    </span>
  );
}

/** Never carries a value: what was typed is not sent back, and a save swaps in an empty field. */
export function SecretInput(props: { kind: string; name: string; oob?: boolean }): SafeHtml {
  return (
    <input
      id={`${props.kind}-secret`}
      name={props.name}
      type="password"
      autocomplete="new-password"
      hx-swap-oob={props.oob ? "true" : undefined}
    />
  );
}

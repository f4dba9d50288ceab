import type { ChannelView } from "../../functions/services/settings/list-channels.ts";
import { Fragment, h, raw, type SafeHtml } from "../html.ts";
import { Layout, type LayoutModel } from "../layouts/base.tsx";
import { Field } from "../partials/forms.tsx";
import { Time } from "../partials/time.tsx";

export interface SettingsModel {
  layout: Omit<LayoutModel, "title" | "current">;
  jobDefaults: { compression: string; blockSize: number };
  notifications: ChannelView[];
  facts: { version: string; database: string; scheduler: string; orderKeyFingerprint: string };
  /** The hub's time zone, or null: UTC for schedules, each browser's own zone for times. */
  timeZone: string | null;
  compressions: readonly string[];
  blockSizes: number[];
  events: readonly string[];
  /** Words for each event kind. */
  eventLabels: Record<string, string>;
  severities: readonly string[];
  /** Why this hub cannot send through a channel (e-mail on workerd). */
  unavailable: Partial<Record<"email" | "telegram", string>>;
  /** What a channel may be limited to. */
  sites: { id: number; name: string }[];
  pools: { id: number; name: string }[];
}

const SECRET_NAME = { email: "password", telegram: "bot token" } as const;

/** Hub settings for admins. Secrets are write-only: the page only ever says set / not set. */
export function SettingsPage(model: SettingsModel): SafeHtml {
  const email = model.notifications.find((c) => c.kind === "email");
  const telegram = model.notifications.find((c) => c.kind === "telegram");
  const str = (c: ChannelView | undefined, key: string) => {
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
          Where TapeBackarr tells you about failed runs, tapes to insert and drives that need care. Each event
          goes once to each channel that subscribes to its kind at its severity or above; a message that
          cannot be sent is retried with growing pauses, and the last error shows here. Passwords and tokens
          are stored encrypted with the hub master key and are never shown again: leave the field empty to
          keep the stored one. E-mail needs a TCP socket: the Node hub sends it, a hub on Cloudflare Workers
          sends Telegram only.
        </p>
        <h3>E-mail (SMTP)</h3>
        <ChannelForm kind="email" channel={email} model={model}>
          <Field label="SMTP host" name="host" value={str(email, "host")} placeholder="smtp.example.com" />
          <Field label="Port" name="port" type="number" value={str(email, "port") || "587"} />
          <label>
            Encryption
            <select name="security">
              {[
                ["starttls", "STARTTLS required (port 587)"],
                ["tls", "TLS from the start (port 465)"],
                ["none", "None (a local relay, port 25)"],
              ].map(([value, label]) => (
                <option value={value} selected={(str(email, "security") || "starttls") === value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <Field label="From" name="from" value={str(email, "from")} placeholder="tapes@example.com" />
          <Field label="To (comma-separated)" name="to" value={str(email, "to")} />
          <Field label="User (empty: no authentication)" name="username" value={str(email, "username")} />
        </ChannelForm>
        <h3>Telegram</h3>
        <ChannelForm kind="telegram" channel={telegram} model={model}>
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
  channel: ChannelView | undefined;
  model: SettingsModel;
  children?: unknown;
}): SafeHtml {
  const { kind, channel, model } = props;
  const unavailable = model.unavailable[kind];
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
        {model.events.map((e) => (
          <label class="check">
            <input type="checkbox" name="events" value={e} checked={chosen.includes(e)} />{" "}
            {model.eventLabels[e] ?? e}
          </label>
        ))}
      </fieldset>
      <label>
        Only events of at least this severity
        <select name="minSeverity">
          {model.severities.map((v) => (
            <option value={v} selected={(channel?.minSeverity ?? "info") === v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <QuietHoursFields kind={kind} channel={channel} model={model} />
      <LimitFields
        name="siteIds"
        legend="Only for these sites"
        choices={model.sites}
        chosen={channel?.siteIds}
      />
      <LimitFields
        name="poolIds"
        legend="Only for these pools"
        choices={model.pools}
        chosen={channel?.poolIds}
      />
      {unavailable ? <p class="alert error">{unavailable}</p> : null}
      <p class="muted">
        {channel?.updatedAt ? (
          <>
            Last saved <Time at={channel.updatedAt} />
          </>
        ) : (
          "Not set up yet"
        )}
        {channel?.lastSentAt ? (
          <>
            ; last message sent <Time at={channel.lastSentAt} />
          </>
        ) : (
          ""
        )}
        {channel?.pending ? `; ${channel.pending} waiting to be sent` : ""}
        {channel?.held ? `; ${channel.held} held for the digest at the end of the quiet hours` : ""}
      </p>
      {channel?.lastError ? (
        <p class="alert error" data-last-error={kind}>
          Last error
          {channel.lastErrorAt ? (
            <>
              {" "}
              (<Time at={channel.lastErrorAt} />)
            </>
          ) : (
            ""
          )}
          : {channel.lastError}
        </p>
      ) : null}
      <button type="submit">Save {kind === "email" ? "e-mail" : "Telegram"}</button>{" "}
      <button
        type="button"
        hx-post={`/settings/notifications/${kind}/test`}
        hx-target={`#${kind}-result`}
        disabled={!channel?.updatedAt}
      >
        Send a test message
      </button>
      <div id={`${kind}-result`} aria-live="polite"></div>
    </form>
  );
}

function QuietHoursFields(props: {
  kind: string;
  channel: ChannelView | undefined;
  model: SettingsModel;
}): SafeHtml {
  const quiet = props.channel?.quietHours;
  return (
    <fieldset>
      <legend>Quiet hours (empty: none)</legend>
      <p class="muted">
        Between these times, events below the chosen severity wait and arrive as one digest when the quiet
        hours end; the others are sent at once.
      </p>
      <Field label="From (HH:MM)" name="quietStart" value={quiet?.start ?? ""} placeholder="22:00" />
      <Field label="Until (HH:MM)" name="quietEnd" value={quiet?.end ?? ""} placeholder="07:00" />
      <Field
        label="In the time zone (empty: the hub's)"
        name="quietZone"
        value={quiet?.timeZone ?? ""}
        placeholder={props.model.timeZone ?? "UTC"}
      />
      <label>
        Hold events below
        <select name="holdBelow">
          {props.model.severities.map((v) => (
            <option value={v} selected={(quiet?.holdBelow ?? "critical") === v}>
              {v}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}

/** Boxes limiting a channel to some sites or pools; none ticked: all. Events naming none still go. */
function LimitFields(props: {
  name: string;
  legend: string;
  choices: { id: number; name: string }[];
  chosen: number[] | null | undefined;
}): SafeHtml {
  if (props.choices.length === 0) return raw("");
  return (
    <fieldset>
      <legend>{props.legend} (none ticked: all)</legend>
      {props.choices.map((choice) => (
        <label class="check">
          <input
            type="checkbox"
            name={props.name}
            value={String(choice.id)}
            checked={props.chosen?.includes(choice.id) ?? false}
          />{" "}
          {choice.name}
        </label>
      ))}
    </fieldset>
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

import { formatTime } from "../format.ts";
import { h, raw, type SafeHtml } from "../html.ts";

export interface KeySheetModel {
  name: string;
  fingerprint: string;
  createdAt: Date;
  wrapped: string;
  hint: string | null;
  /** SVG markup from the qrcode package, of `wrapped` (trusted: made by the hub, not user input). */
  qrSvg: string;
  steps: { text: string; sh: string | null }[];
}

/** The paper key for the fire safe: nothing to remember but the passphrase. */
export function KeySheet(model: KeySheetModel): SafeHtml {
  return (
    <section class="card key-sheet printable" id="key-sheet-content">
      <p class="no-print">
        <button type="button" data-print>
          Print this key sheet
        </button>
      </p>
      <h1>TapeBackarr key sheet: {model.name}</h1>
      <p>
        Fingerprint{" "}
        <code class="key" id="fingerprint">
          {model.fingerprint}
        </code>{" "}
        · created {formatTime(model.createdAt)}
      </p>
      <p>
        The data key below is wrapped with a passphrase (scrypt N=2^17, r=8, p=1, then AES-256-GCM). Without
        the passphrase it is useless; with it, it decrypts every set on tape with this fingerprint.
      </p>
      <h2>Passphrase hint</h2>
      <p id="hint">{model.hint ?? "(none given)"}</p>
      <h2>Wrapped key</h2>
      <pre id="wrapped">{model.wrapped}</pre>
      <div class="qr" id="qr" role="img" aria-label="QR code of the wrapped key">
        {raw(model.qrSvg)}
      </div>
      <h2>Restore steps</h2>
      <ol>
        {model.steps.map((s) => (
          <li>
            {s.text}
            {s.sh ? <pre>{s.sh}</pre> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

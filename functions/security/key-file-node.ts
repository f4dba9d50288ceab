import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../config.ts";
import { SECRET_NAMES, type SecretStore, type SecretValues } from "../services/setup/hub-secrets.ts";
import { base64url, fromBase64url } from "./crypto.ts";

/** The hub's private keys on Node when they are not given as variables: one JSON file, mode 0600. */
export const KEY_FILE_NAME = "hub-secrets.json";
const FORMAT = "tapebackarr-hub-secrets/1";
const ABOUT =
  "The TapeBackarr hub's private keys. Keep this file private (mode 0600) and back it up apart from the catalog: without masterKey the stored encryption keys are lost. See docs/operator-guide.md, Hub secrets.";

/** `$DATA_DIR/hub-secrets.json`; a looser mode is tightened to 0600 (and said), an unreadable file stops the start. */
export function keyFileStore(dataDir: string, warn: (message: string) => void): SecretStore {
  const path = join(dataDir, KEY_FILE_NAME);
  let existed = false;
  return {
    where: path,
    async read() {
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw unreadable(path, error);
      });
      existed = !!info;
      if (!info) return {};
      if (!info.isFile()) throw new ConfigError(`The hub's key file ${path} is not a regular file`);
      const mode = info.mode & 0o777;
      if (mode & 0o077) {
        await chmod(path, 0o600).catch((error: NodeJS.ErrnoException) => {
          throw new ConfigError(
            `The hub's key file ${path} is readable by others (mode ${octal(mode)}) and this user cannot change that (${error.code}): run chmod 600 ${path}`,
          );
        });
        warn(`The hub's key file ${path} was mode ${octal(mode)}; tightened it to 0600`);
      }
      const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
        throw unreadable(path, error);
      });
      return parseKeyFile(path, text);
    },
    async write(values) {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      const body: Record<string, string> = { format: FORMAT, about: ABOUT };
      for (const name of SECRET_NAMES) {
        const value = values[name];
        if (value) body[name] = base64url(value);
      }
      const temp = `${path}.${process.pid}.tmp`;
      const file = await open(temp, "wx", 0o600);
      try {
        await file.writeFile(`${JSON.stringify(body, null, 2)}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      if (existed) await rename(temp, path);
      else {
        // A first file is linked, not renamed, so a second hub process starting on the same
        // DATA_DIR at the same moment fails instead of replacing the keys the first one uses.
        try {
          await link(temp, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
          throw new ConfigError(`Another hub process created ${path} at the same moment; start again`);
        } finally {
          await unlink(temp);
        }
      }
      existed = true;
      const dir = await open(dataDir, "r");
      await dir.sync().finally(() => dir.close());
    },
  };
}

function parseKeyFile(path: string, text: string): SecretValues {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`The hub's key file ${path} is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || (parsed as { format?: unknown }).format !== FORMAT)
    throw new ConfigError(`The hub's key file ${path} is not a TapeBackarr key file (format ${FORMAT})`);
  const values: SecretValues = {};
  for (const name of SECRET_NAMES) {
    const value = (parsed as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(value))
      throw new ConfigError(`The hub's key file ${path}: ${name} must be 32 bytes in base64url`);
    values[name] = fromBase64url(value);
  }
  return values;
}

function unreadable(path: string, error: NodeJS.ErrnoException): ConfigError {
  return new ConfigError(
    `Cannot read the hub's key file ${path} (${error.code ?? error.message}): it must be readable by the user the hub runs as`,
  );
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

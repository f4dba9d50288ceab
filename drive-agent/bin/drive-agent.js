#!/usr/bin/env node
// Launcher so `drive-agent` runs from a fresh clone without a build step: tsx loads the TypeScript.
// The agent needs Node >= 22.18 (execa 10, type stripping); on an older system node it re-runs itself under the
// project's pinned node@22 devDependency instead of failing.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// 22.18 is where Node strips TypeScript types itself: the encode worker thread (docs/adr/0026)
// is loaded without tsx.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../main.ts");
} else {
  const pinned = fileURLToPath(new URL("../../node_modules/node/bin/node", import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `drive-agent needs Node 22.18 or newer (found ${process.version}); run npm ci first\n`,
    );
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

#!/usr/bin/env node
// Launcher so `drive-agent` runs from a fresh clone without a build step: tsx loads the TypeScript.
// The agent needs Node >= 22 (execa 10); on an older system node it re-runs itself under the
// project's pinned node@22 devDependency instead of failing.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const major = Number(process.versions.node.split(".")[0]);
if (major >= 22) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../main.ts");
} else {
  const pinned = fileURLToPath(new URL("../../node_modules/node/bin/node", import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(`drive-agent needs Node 22 or newer (found ${process.version}); run npm ci first\n`);
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
